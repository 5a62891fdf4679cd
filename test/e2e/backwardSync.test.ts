/**
 * Backward sync on Apache mod_dav (plain WebDAV: identity by path, ETag and size), through
 * the API, Temporal and the worker: what people do in the object folders shows up in the
 * ERP, the manual's "folders are managed by the ERP, files by the cloud".
 */
import { createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, backwardSync, dav, davUrl, directSync, setUpCloud } from '../support/sync.js';

let h: Harness;
let azure: number;
let deco: number;
beforeAll(async () => {
  h = await createHarness({ worker: true });
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  azure = await addRecord(h, 'res.partner', 'Azure Interior');
  deco = await addRecord(h, 'res.partner', 'Deco Addict');
  await attach(h, 'res.partner', azure, 'scan1.pdf', 'scan one');
  await directSync(h);
});
afterAll(async () => h?.close());

type Att = { id: number; name: string; type: string; url: string; folder: boolean; size: number; resId: number };
const attachmentsOf = async (id: number) => (await h.api.call('GET', `/api/records/res.partner/${id}/attachments`)).json as Att[];
const A = '/Odoo/Contacts/Azure Interior';
const D = '/Odoo/Contacts/Deco Addict';

test('a new file and a new subfolder in an object folder become URL attachments; our own upload is not re-imported', async () => {
  expect(await dav(h, 'PUT', `${A}/photo.jpg`, { body: 'a photo' })).toBe(201);
  expect(await dav(h, 'MKCOL', `${A}/Drafts`)).toBe(201);
  expect(await dav(h, 'PUT', `${A}/Drafts/deep.txt`, { body: 'not listed' })).toBe(201);
  expect(await backwardSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
  const atts = await attachmentsOf(azure);
  expect(atts.map((a) => [a.name, a.type, a.folder]).sort()).toEqual([['Drafts', 'url', true], ['photo.jpg', 'url', false], ['scan1.pdf', 'url', false]]);
  const photo = atts.find((a) => a.name === 'photo.jpg')!;
  expect(photo).toMatchObject({ url: davUrl(h, `${A}/photo.jpg`), size: 7 });
  expect(atts.find((a) => a.name === 'Drafts')!.url).toBe(davUrl(h, `${A}/Drafts`));
  // Run again: nothing new.
  expect(await backwardSync(h)).toMatchObject({ planned: 0 });
});

test('a file renamed in the cloud renames the same attachment', async () => {
  const before = (await attachmentsOf(azure)).find((a) => a.name === 'photo.jpg')!;
  expect(await dav(h, 'MOVE', `${A}/photo.jpg`, { to: `${A}/photo-2020.jpg` })).toBe(201);
  await backwardSync(h);
  const after = (await attachmentsOf(azure)).find((a) => a.id === before.id)!;
  expect(after).toMatchObject({ name: 'photo-2020.jpg', url: davUrl(h, `${A}/photo-2020.jpg`) });
});

test('a file moved to another object folder moves the same attachment to that record', async () => {
  const before = (await attachmentsOf(azure)).find((a) => a.name === 'photo-2020.jpg')!;
  expect(await dav(h, 'MOVE', `${A}/photo-2020.jpg`, { to: `${D}/photo-2020.jpg` })).toBe(201);
  await backwardSync(h);
  expect((await attachmentsOf(azure)).some((a) => a.id === before.id)).toBe(false);
  const moved = (await attachmentsOf(deco)).find((a) => a.id === before.id)!;
  expect(moved).toMatchObject({ name: 'photo-2020.jpg', url: davUrl(h, `${D}/photo-2020.jpg`) });
  const content = await h.api.call('GET', `/api/attachments/${before.id}/content`);
  expect(content.text).toBe('a photo');
});

test('a file whose content changed refreshes its attachment', async () => {
  expect(await dav(h, 'PUT', `${D}/photo-2020.jpg`, { body: 'a much larger photo' })).toBe(204);
  await backwardSync(h);
  expect((await attachmentsOf(deco)).find((a) => a.name === 'photo-2020.jpg')!.size).toBe(19);
});

test('an attachment renamed in the ERP gets its cloud name back', async () => {
  const photo = (await attachmentsOf(deco)).find((a) => a.name === 'photo-2020.jpg')!;
  expect((await h.api.call('PATCH', `/api/attachments/${photo.id}`, { name: 'renamed in odoo.jpg' })).status).toBe(200);
  await backwardSync(h);
  expect((await attachmentsOf(deco)).find((a) => a.id === photo.id)!.name).toBe('photo-2020.jpg');
});

test('a subfolder renamed in the cloud renames its folder link', async () => {
  const drafts = (await attachmentsOf(azure)).find((a) => a.name === 'Drafts')!;
  expect(await dav(h, 'MOVE', `${A}/Drafts`, { to: `${A}/Drafts 2026` })).toBe(201);
  await backwardSync(h);
  expect((await attachmentsOf(azure)).find((a) => a.id === drafts.id)).toMatchObject({ name: 'Drafts 2026', folder: true, url: davUrl(h, `${A}/Drafts 2026`) });
});

test('a file deleted in the cloud unlinks its attachment; a deleted subfolder unlinks its folder link', async () => {
  expect(await dav(h, 'DELETE', `${D}/photo-2020.jpg`)).toBe(204);
  expect(await dav(h, 'DELETE', `${A}/Drafts 2026`)).toBe(204);
  // As on a Nextcloud whose capabilities say it keeps deleted files (files.undelete).
  await h.services.database.sql`update cloud_connection set capabilities = coalesce(capabilities, '{}'::jsonb) || '{"trashbin": true}'::jsonb`;
  await backwardSync(h);
  expect(await attachmentsOf(deco)).toEqual([]);
  expect((await attachmentsOf(azure)).map((a) => a.name)).toEqual(['scan1.pdf']);
  // The log says where a deleted file can be restored from.
  const logs = await h.api.call('GET', '/api/logs?direction=backward&q=photo-2020.jpg');
  expect(logs.json.items[0].message).toMatch(/is gone from the cloud \(it is in the trash bin of the cloud user: Files -> Deleted files restores it/);
});

test('a file moved out of every synced folder unlinks its attachment', async () => {
  expect(await dav(h, 'PUT', `${A}/leaving.txt`, { body: 'bye' })).toBe(201);
  await backwardSync(h);
  expect((await attachmentsOf(azure)).some((a) => a.name === 'leaving.txt')).toBe(true);
  expect(await dav(h, 'MKCOL', '/Elsewhere')).toBe(201);
  expect(await dav(h, 'MOVE', `${A}/leaving.txt`, { to: '/Elsewhere/leaving.txt' })).toBe(201);
  await backwardSync(h);
  expect((await attachmentsOf(azure)).some((a) => a.name === 'leaving.txt')).toBe(false);
  expect(await dav(h, 'GET', '/Elsewhere/leaving.txt')).toBe(200);
});

test('a subfolder link deleted in the ERP stays away; the subfolder and its files stay in the cloud', async () => {
  expect(await dav(h, 'MKCOL', `${A}/Archive`)).toBe(201);
  expect(await dav(h, 'PUT', `${A}/Archive/old.txt`, { body: 'old' })).toBe(201);
  await backwardSync(h);
  const link = (await attachmentsOf(azure)).find((a) => a.name === 'Archive')!;
  expect(link.folder).toBe(true);
  expect((await h.api.call('DELETE', `/api/attachments/${link.id}`)).status).toBe(204);
  await directSync(h);
  await backwardSync(h);
  expect((await attachmentsOf(azure)).some((a) => a.name === 'Archive')).toBe(false);
  expect(await dav(h, 'GET', `${A}/Archive/old.txt`)).toBe(200);
});

test('an object folder deleted in the cloud: its attachments are unlinked, and the next direct sync recreates the folder', async () => {
  await dav(h, 'PUT', `${D}/keep.txt`, { body: 'k' });
  await backwardSync(h);
  expect((await attachmentsOf(deco)).map((a) => a.name)).toEqual(['keep.txt']);
  expect(await dav(h, 'DELETE', D)).toBe(204);
  await backwardSync(h);
  expect(await attachmentsOf(deco)).toEqual([]);
  await directSync(h);
  expect(await dav(h, 'PROPFIND', D)).toBe(207);
});

test('the mass-deletion guard holds a mass unlink back until an admin acknowledges it', async () => {
  for (let i = 0; i < 10; i++) expect(await dav(h, 'PUT', `${D}/doc-${i}.txt`, { body: `doc ${i}` })).toBe(201);
  await backwardSync(h);
  expect(await attachmentsOf(deco)).toHaveLength(10);
  for (let i = 0; i < 10; i++) await dav(h, 'DELETE', `${D}/doc-${i}.txt`);

  expectError(await h.api.call('POST', '/api/queue/acknowledge-deletions'), 409);
  await backwardSync(h);
  expect(await attachmentsOf(deco)).toHaveLength(10);
  const red = await h.api.call('GET', '/api/logs?level=error');
  expect(red.json.items[0].message).toMatch(/Mass deletion held back: 10 of \d+ tracked attachments would be unlinked \(in \/Odoo\/Contacts\/Deco Addict\)/);

  expect((await h.api.call('POST', '/api/queue/acknowledge-deletions')).status).toBe(200);
  // As on a Nextcloud whose capabilities say it keeps deleted files (files.undelete).
  await h.services.database.sql`update cloud_connection set capabilities = coalesce(capabilities, '{}'::jsonb) || '{"trashbin": true}'::jsonb`;
  await backwardSync(h);
  expect(await attachmentsOf(deco)).toEqual([]);
  expect((await attachmentsOf(azure)).map((a) => a.name)).toEqual(['scan1.pdf']);
  // The log says where a deleted file can be restored from.
  const logs = await h.api.call('GET', '/api/logs?direction=backward&q=photo-2020.jpg');
  expect(logs.json.items[0].message).toMatch(/is gone from the cloud \(it is in the trash bin of the cloud user: Files -> Deleted files restores it/);
});

test('direct and backward alternating over a changing tree: the ERP ends up equal to the cloud', async () => {
  for (let round = 0; round < 4; round++) {
    await attach(h, 'res.partner', deco, `erp-${round}.txt`, `from the ERP ${round}`);
    await dav(h, 'PUT', `${A}/cloud-${round}.txt`, { body: `from the cloud ${round}` });
    if (round > 0) await dav(h, 'MOVE', `${A}/cloud-${round - 1}.txt`, { to: `${D}/cloud-${round - 1}.txt` });
    await directSync(h);
    await backwardSync(h);
  }
  const cloudNames = async (folder: string) => {
    const { WebDavCloud } = await import('../../src/cloud/webdav/adapter.js');
    const listing = await new WebDavCloud(h.dav).list(folder);
    return listing!.children.filter((c) => c.type === 'file').map((c) => c.path.slice(folder.length + 1)).sort();
  };
  expect((await attachmentsOf(azure)).map((a) => a.name).sort()).toEqual(await cloudNames(A));
  expect((await attachmentsOf(deco)).map((a) => a.name).sort()).toEqual(await cloudNames(D));
  expect((await attachmentsOf(deco)).every((a) => a.type === 'url')).toBe(true);
});

function expectError(res: { status: number }, status: number) {
  expect(res.status).toBe(status);
}

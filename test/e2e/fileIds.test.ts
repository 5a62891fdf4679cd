/**
 * The file-id strategy, end to end: Apache mod_dav behind test/support/nextcloudLayer.ts,
 * which adds Nextcloud's `oc:fileid` (PROPFIND) and `OC-FileId` (MKCOL, PUT) to it. With
 * file ids, identity survives what defeats path and ETag matching: a rename together
 * with a content change, a folder renamed after files were added to it.
 */
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';
import { addRecord, addSyncModel, attach, backwardSync, cloudTree, directSync } from '../support/sync.js';

let h: Harness;
let layer: NextcloudLayer;
let azure: number;
let deco: number;
beforeAll(async () => {
  h = await createHarness({ worker: true });
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync' });
  // The layer's URL is the connection's: everything the service does goes through it.
  const put = await h.api.call('PUT', '/api/connection', { url: layer.url, username: h.dav.username, password: h.dav.password });
  expect(put.status).toBe(200);
  const confirmed = await h.api.call('POST', '/api/connection/confirm');
  expect(confirmed.json).toMatchObject({ state: 'confirmed', capabilities: { fileIds: true, conditionalWrites: true } });
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  azure = await addRecord(h, 'res.partner', 'Azure Interior');
  deco = await addRecord(h, 'res.partner', 'Deco Addict');
  await attach(h, 'res.partner', azure, 'scan1.pdf', 'scan one');
  await directSync(h);
});
afterAll(async () => {
  await h?.close();
  await layer?.close();
});

type Att = { id: number; name: string; url: string; size: number };
const attachmentsOf = async (id: number) => (await h.api.call('GET', `/api/records/res.partner/${id}/attachments`)).json as Att[];
const A = '/Odoo/Contacts/Azure Interior';
const D = '/Odoo/Contacts/Deco Addict';
// A person working in the cloud (through the layer, as through Nextcloud's web UI).
const at = (p: string) => layer.url + p.split('/').filter(Boolean).map(encodeURIComponent).join('/');
async function person(method: string, p: string, opts: { to?: string; body?: string } = {}): Promise<number> {
  const headers: Record<string, string> = { authorization: basicAuth(h.dav.username, h.dav.password) };
  if (opts.to) headers.destination = at(opts.to);
  const res = await fetch(at(p), { method, headers, body: opts.body });
  await res.arrayBuffer();
  return res.status;
}

test('links are internal /index.php/f/<fileid> links', async () => {
  const [scan] = await attachmentsOf(azure);
  expect(scan!.url).toMatch(/\/index\.php\/f\/\d+$/);
});

test('"Open Cloud Folder": the record\'s folder by file id on Nextcloud; refused clearly when there is none', async () => {
  const r = await h.api.call('GET', `/api/records/res.partner/${azure}/cloud-folder`);
  expect(r.status).toBe(200);
  expect(r.json).toEqual({ url: expect.stringMatching(/\/index\.php\/f\/\d+$/), path: A });
  const [row] = await h.services.database.sql`select file_id from cloud_items where ref = ${`object:res.partner:${azure}`}`;
  expect(r.json.url.endsWith(`/f/${row!.file_id}`)).toBe(true);
  const loner = await addRecord(h, 'res.users', 'Not synced');
  expect((await h.api.call('GET', `/api/records/res.users/${loner}/cloud-folder`)).json.error.code).toBe('no_cloud_folder');
  expect((await h.api.call('GET', '/api/records/res.partner/999999/cloud-folder')).status).toBe(404);
  expect((await h.api.call('GET', '/api/records/res.partner/abc/cloud-folder')).status).toBe(422);
});

test('a file renamed and rewritten at once keeps its attachment (file id), which is renamed and refreshed', async () => {
  expect(await person('PUT', `${A}/notes.txt`, { body: 'v1' })).toBe(201);
  await backwardSync(h);
  const notes = (await attachmentsOf(azure)).find((a) => a.name === 'notes.txt')!;
  expect(await person('MOVE', `${A}/notes.txt`, { to: `${A}/notes-final.txt` })).toBe(201);
  expect(await person('PUT', `${A}/notes-final.txt`, { body: 'version two' })).toBe(204);
  await backwardSync(h);
  const after = (await attachmentsOf(azure)).find((a) => a.id === notes.id)!;
  expect(after).toMatchObject({ name: 'notes-final.txt', size: 11, url: notes.url });
});

test('a file moved to another record keeps its id and its link', async () => {
  const notes = (await attachmentsOf(azure)).find((a) => a.name === 'notes-final.txt')!;
  expect(await person('MOVE', `${A}/notes-final.txt`, { to: `${D}/notes-final.txt` })).toBe(201);
  await backwardSync(h);
  expect((await attachmentsOf(deco)).find((a) => a.id === notes.id)).toMatchObject({ url: notes.url });
});

test('an object folder renamed in the cloud after a file was added to it is found by its id and renamed back', async () => {
  expect(await person('PUT', `${A}/extra.txt`, { body: 'x' })).toBe(201);
  expect(await person('MOVE', A, { to: '/Odoo/Contacts/Azure by Bob' })).toBe(201);
  await directSync(h);
  const tree = await cloudTree(h, '/Odoo/Contacts');
  expect(tree).toEqual(expect.arrayContaining([`${A}/scan1.pdf`, `${A}/extra.txt`]));
  expect(tree.some((p) => p.includes('Azure by Bob'))).toBe(false);
  // The file-id link still opens the file after all that: it names no path.
  const [scan] = await attachmentsOf(azure);
  expect(scan!.url).toMatch(/\/index\.php\/f\/\d+$/);
});

test('incremental scans (ETags propagate to the root on Nextcloud): an unchanged tree costs one PROPFIND, in both directions; a change deep down, one per level', async () => {
  await backwardSync(h);
  const propfinds = (mark: number) => layer.requests.slice(mark).filter((r) => r.startsWith('PROPFIND '));
  let mark = layer.requests.length;
  await backwardSync(h);
  expect(propfinds(mark)).toEqual(['PROPFIND /remote.php/dav/files/sync/Odoo']);

  expect(await person('PUT', `${D}/deep-change.txt`, { body: 'new' })).toBe(201);
  mark = layer.requests.length;
  await backwardSync(h);
  expect(propfinds(mark)).toEqual(['PROPFIND /remote.php/dav/files/sync/Odoo', 'PROPFIND /remote.php/dav/files/sync/Odoo/Contacts', `PROPFIND /remote.php/dav/files/sync${D}`]);
  expect((await attachmentsOf(deco)).some((a) => a.name === 'deep-change.txt')).toBe(true);

  // The direct sync's discovery the same: it looks below the root only when its ETag moved.
  await directSync(h);
  mark = layer.requests.length;
  expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
  expect(propfinds(mark)).toEqual(['PROPFIND /remote.php/dav/files/sync/Odoo']);
  expect(await person('PUT', `${D}/another.txt`, { body: 'new' })).toBe(201);
  mark = layer.requests.length;
  await directSync(h);
  expect(propfinds(mark)).toEqual(['PROPFIND /remote.php/dav/files/sync/Odoo', 'PROPFIND /remote.php/dav/files/sync/Odoo/Contacts']);
});

test('a record back in scope after a change made while it was out of it is scanned again (the skip counts what was in scope)', async () => {
  const [model] = (await h.api.call('GET', '/api/sync-models')).json as { id: number }[];
  await backwardSync(h);
  expect((await h.api.call('PATCH', `/api/sync-models/${model!.id}`, { domain: [['name', '!=', 'Deco Addict']] })).status).toBe(200);
  await backwardSync(h);
  expect(await person('PUT', `${D}/while-out.txt`, { body: 'added while out of scope' })).toBe(201);
  await backwardSync(h); // Deco is out of scope: its folder is not looked at
  expect((await attachmentsOf(deco)).some((a) => a.name === 'while-out.txt')).toBe(false);
  expect((await h.api.call('PATCH', `/api/sync-models/${model!.id}`, { domain: [] })).status).toBe(200);
  await backwardSync(h);
  expect((await attachmentsOf(deco)).some((a) => a.name === 'while-out.txt')).toBe(true);
});

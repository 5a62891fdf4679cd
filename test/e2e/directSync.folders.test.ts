/**
 * Direct sync, folders: the manual's "Models Sync" and "Objects Sync" through every real
 * part (API, Temporal, worker, Postgres, Apache mod_dav), including a person tampering
 * with the managed folders in the cloud between runs.
 */
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, cloudTree, dav, davLogMark, davUrl, davRequestsSince, directSync, setUpCloud } from '../support/sync.js';

let h: Harness;
let contacts: number;
let azure: number;
beforeAll(async () => {
  h = await createHarness({ worker: true });
  await setUpCloud(h);
  contacts = await addSyncModel(h, {
    model: 'res.partner', folderName: 'Contacts',
    defaultFolders: [{ name: 'Folder 1', children: [{ name: 'Folder 1.1', children: [] }] }],
  });
  azure = await addRecord(h, 'res.partner', 'Azure Interior');
  await addRecord(h, 'res.partner', 'Deco Addict');
  await attach(h, 'res.partner', azure, 'scan1.jpeg', 'jpeg bytes');
});
afterAll(async () => h?.close());

test('first sync: Root / Model folder / Object folders (with default folders) / files', async () => {
  expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
  expect(await cloudTree(h)).toEqual([
    '/Odoo/', '/Odoo/Contacts/',
    '/Odoo/Contacts/Azure Interior/', '/Odoo/Contacts/Azure Interior/Folder 1/', '/Odoo/Contacts/Azure Interior/Folder 1/Folder 1.1/',
    '/Odoo/Contacts/Azure Interior/scan1.jpeg',
    '/Odoo/Contacts/Deco Addict/', '/Odoo/Contacts/Deco Addict/Folder 1/', '/Odoo/Contacts/Deco Addict/Folder 1/Folder 1.1/',
  ]);
});

test('a run with no change writes nothing to the cloud and lists only what changed', async () => {
  // The first run's own writes changed folder ETags: one more run records them.
  await directSync(h);
  const mark = await davLogMark();
  const summary = await directSync(h);
  expect(summary).toMatchObject({ planned: 0, done: 0 });
  const requests = await davRequestsSince(h, mark);
  expect(requests.filter((r) => !r.startsWith('PROPFIND'))).toEqual([]);
  // The root (depth 1) only: the model folder's ETag is unchanged, so it is not listed.
  expect(requests).toHaveLength(1);
});

test('default folders are not synced after creation: deleting one is left alone', async () => {
  expect(await dav(h, 'DELETE', '/Odoo/Contacts/Deco Addict/Folder 1')).toBe(204);
  await directSync(h);
  expect(await cloudTree(h, '/Odoo/Contacts/Deco Addict')).toEqual([]);
});

test('an object folder renamed in the cloud is renamed back, contents and all', async () => {
  expect(await dav(h, 'MOVE', '/Odoo/Contacts/Azure Interior', { to: '/Odoo/Contacts/Azure by Bob' })).toBe(201);
  expect(await directSync(h)).toMatchObject({ failed: 0 });
  const tree = await cloudTree(h, '/Odoo/Contacts');
  expect(tree).toContain('/Odoo/Contacts/Azure Interior/scan1.jpeg');
  expect(tree.some((p) => p.includes('Azure by Bob'))).toBe(false);
  const logs = await h.api.call('GET', '/api/logs?level=warning');
  expect(logs.json.items.map((i: { message: string }) => i.message).join('\n')).toMatch(/renamed or moved to \/Odoo\/Contacts\/Azure by Bob/);
});

test('an object folder deleted in the cloud is created again', async () => {
  expect(await dav(h, 'DELETE', '/Odoo/Contacts/Deco Addict')).toBe(204);
  await directSync(h);
  expect(await cloudTree(h, '/Odoo/Contacts')).toContain('/Odoo/Contacts/Deco Addict/');
});

test('renaming the record in the ERP renames its folder', async () => {
  expect((await h.api.call('PATCH', `/api/records/res.partner/${azure}`, { name: 'Azure Interior SA' })).status).toBe(200);
  await directSync(h);
  const tree = await cloudTree(h, '/Odoo/Contacts');
  expect(tree).toContain('/Odoo/Contacts/Azure Interior SA/scan1.jpeg');
  expect(tree).not.toContain('/Odoo/Contacts/Azure Interior/');
  const [row] = await h.services.database.sql`select path from cloud_items where ref like 'attachment:%'`;
  expect(row!.path).toBe('/Odoo/Contacts/Azure Interior SA/scan1.jpeg');
  // On plain WebDAV a link is the file's URL: the URL attachment follows the move.
  const [att] = (await h.api.call('GET', `/api/records/res.partner/${azure}/attachments`)).json;
  expect(att.url).toBe(davUrl(h, '/Odoo/Contacts/Azure Interior SA/scan1.jpeg'));
  const viaLink = await fetch(att.url, { headers: { authorization: basicAuth(h.dav.username, h.dav.password) } });
  expect(await viaLink.text()).toBe('jpeg bytes');
});

test("a model folder renamed in the cloud is renamed back; changing folderName renames it", async () => {
  expect(await dav(h, 'MOVE', '/Odoo/Contacts', { to: '/Odoo/People' })).toBe(201);
  await directSync(h);
  expect(await cloudTree(h, '/Odoo')).toContain('/Odoo/Contacts/Azure Interior SA/scan1.jpeg');

  expect((await h.api.call('PATCH', `/api/sync-models/${contacts}`, { folderName: 'Customers' })).status).toBe(200);
  await directSync(h);
  const tree = await cloudTree(h, '/Odoo');
  expect(tree).toContain('/Odoo/Customers/Azure Interior SA/scan1.jpeg');
  expect(tree.filter((p) => /^\/Odoo\/[^/]+\/$/.test(p))).toEqual(['/Odoo/Customers/']);
});

test('a model folder deleted in the cloud is recreated with its object folders', async () => {
  expect(await dav(h, 'DELETE', '/Odoo/Customers')).toBe(204);
  await directSync(h);
  expect(await cloudTree(h, '/Odoo')).toEqual(expect.arrayContaining(['/Odoo/Customers/', '/Odoo/Customers/Azure Interior SA/', '/Odoo/Customers/Deco Addict/']));
});

test('the root folder deleted in the cloud is recreated', async () => {
  expect(await dav(h, 'DELETE', '/Odoo')).toBe(204);
  expect(await directSync(h)).toMatchObject({ failed: 0 });
  expect(await cloudTree(h)).toEqual(expect.arrayContaining(['/Odoo/', '/Odoo/Customers/', '/Odoo/Customers/Deco Addict/']));
});

test('a name expression renames existing folders; one that renders empty falls back with a warning', async () => {
  await h.api.call('PATCH', `/api/records/res.partner/${azure}`, { fields: { ref: 'C-001' } });
  expect((await h.api.call('PATCH', `/api/sync-models/${contacts}`, { nameExpression: '${object.ref}' })).status).toBe(200);
  await directSync(h);
  const tree = await cloudTree(h, '/Odoo/Customers');
  // Azure has a ref; Deco Addict's renders "False" (the manual's semantics), a name like any other.
  expect(tree).toEqual(expect.arrayContaining(['/Odoo/Customers/C-001/', '/Odoo/Customers/False/']));

  expect((await h.api.call('PATCH', `/api/sync-models/${contacts}`, { nameExpression: '${object.ref or ""}' })).status).toBe(200);
  await directSync(h);
  expect(await cloudTree(h, '/Odoo/Customers')).toEqual(expect.arrayContaining(['/Odoo/Customers/C-001/', '/Odoo/Customers/Deco Addict/']));
  const logs = await h.api.call('GET', '/api/logs?level=warning');
  expect(logs.json.items.map((i: { message: string }) => i.message).join('\n')).toMatch(/name expression of sync model "Customers" \(\d+\) gave an empty name for res.partner,\d+/);
});

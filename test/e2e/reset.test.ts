/**
 * The manual's "reset connection": sync stops, the cloud-item mapping is erased (for good),
 * links already made keep working, and a new connection starts from scratch: folders are
 * created again, attachments already turned into links are not sent again.
 */
import { createHarness, basicAuth, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, cloudTree, directSync, setUpCloud } from '../support/sync.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ worker: true });
});
afterAll(async () => h?.close());

const count = async (table: string) => (await h.services.database.sql.unsafe(`select count(*)::int as n from ${table}`))[0]!.n as number;

test('reset: mapping and queue erased, connection gone, links kept; a new connection rebuilds the folders only', async () => {
  expect((await h.api.call('POST', '/api/connection/reset')).json.error.code).toBe('nothing_to_reset');
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  const rec = await addRecord(h, 'res.partner', 'Before Reset');
  const att = await attach(h, 'res.partner', rec, 'kept.txt', 'kept after reset');
  expect((await directSync(h)).outcome).toBe('completed');
  const [linked] = await h.services.database.sql`select type, url from erp_attachments where id = ${att}`;
  expect(linked!.type).toBe('url');
  expect(await count('cloud_items')).toBeGreaterThan(0);

  // Bad input first: nothing happens.
  expect((await h.api.call('POST', '/api/connection/reset', { confirm: true })).status).toBe(422);
  expect(await count('cloud_items')).toBeGreaterThan(0);

  const reset = await h.api.call('POST', '/api/connection/reset');
  expect(reset.status).toBe(200);
  expect(reset.json).toMatchObject({ reset: true, erased: { cloudItems: 4 }, stoppedRuns: [] });
  expect(await count('cloud_items')).toBe(0);
  expect(await count('operations')).toBe(0);
  // The mapping is no ERP's any more: another one may take over.
  expect(await h.services.database.sql`select mapping_erp from settings`).toEqual([{ mapping_erp: null }]);
  expect((await h.api.call('GET', '/api/connection')).json).toEqual({ state: 'unconfigured' });
  expect((await h.api.call('POST', '/api/sync/direct')).json.error.code).toBe('cloud_not_confirmed');
  // The link still opens the file: it stays in the cloud.
  const res = await fetch(linked!.url as string, { headers: { authorization: basicAuth(h.dav.username, h.dav.password) } });
  expect(await res.text()).toBe('kept after reset');
  const logs = await h.api.call('GET', '/api/logs?level=warning&q=reset');
  expect(logs.json.items[0].message).toMatch(/was reset: 4 cloud items forgotten/);

  // A new connection (here: a fresh root on the same storage) starts from scratch.
  await setUpCloud(h, { rootFolder: 'Odoo2' });
  const another = await attach(h, 'res.partner', rec, 'new.txt', 'new after reset');
  expect((await directSync(h)).outcome).toBe('completed');
  const tree = await cloudTree(h);
  expect(tree).toEqual(expect.arrayContaining(['/Odoo2/', '/Odoo2/Contacts/', '/Odoo2/Contacts/Before Reset/', '/Odoo2/Contacts/Before Reset/new.txt']));
  expect(tree).not.toContain('/Odoo2/Contacts/Before Reset/kept.txt'); // already a link: not sent again
  const [again] = await h.services.database.sql`select type from erp_attachments where id = ${another}`;
  expect(again!.type).toBe('url');
});

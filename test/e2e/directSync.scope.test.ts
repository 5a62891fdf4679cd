/**
 * Direct sync, scope: which records a sync model takes (filters, periods, priority), what
 * happens when a record enters, leaves or changes sync model, and ERP-side deletions.
 * The manual's "Sale Orders of Anita Oliver" / "Cancelled Sale Orders" story is the script.
 */
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, cloudTree, dav, directSync, setUpCloud } from '../support/sync.js';

let h: Harness;
let anitaModel: number;
let cancelledModel: number;
const so: Record<string, number> = {};
beforeAll(async () => {
  // Periods are relative to today: the run's "today" is pinned to the manual's 2020-09-03.
  h = await createHarness({ worker: true, tuning: { today: () => '2020-09-03' } });
  await setUpCloud(h);
  anitaModel = await addSyncModel(h, { model: 'sale.order', folderName: 'Sale Orders of Anita Oliver', domain: [['user_id', '=', 'Anita Oliver']] });
  for (const [name, fields] of [
    ['S001', { user_id: 'Anita Oliver', state: 'sale' }],
    ['S002', { user_id: 'Anita Oliver', state: 'sale' }],
    ['S005', { user_id: 'Anita Oliver', state: 'sale' }],
    ['S009', { user_id: 'Marc Demo', state: 'sale' }],
  ] as const) so[name] = await addRecord(h, 'sale.order', name, fields);
  await attach(h, 'sale.order', so.S005!, 'offer.pdf', 'offer of S005');
});
afterAll(async () => h?.close());

const tree = () => cloudTree(h, '/Odoo');
const attachmentsOf = async (id: number) => (await h.api.call('GET', `/api/records/sale.order/${id}/attachments`)).json as { id: number; name: string; type: string; url: string }[];

test('filters: only matching records get folders', async () => {
  await directSync(h);
  expect(await tree()).toEqual([
    '/Odoo/Sale Orders of Anita Oliver/',
    '/Odoo/Sale Orders of Anita Oliver/S001/', '/Odoo/Sale Orders of Anita Oliver/S002/',
    '/Odoo/Sale Orders of Anita Oliver/S005/', '/Odoo/Sale Orders of Anita Oliver/S005/offer.pdf',
  ]);
});

test("priority: S005 cancelled matches both, and 'Cancelled Sale Orders' placed higher takes it: the folder moves, files and all", async () => {
  cancelledModel = await addSyncModel(h, { model: 'sale.order', folderName: 'Cancelled Sale Orders', domain: [['state', '=', 'cancel']] });
  expect((await h.api.call('PUT', '/api/sync-models/order', { ids: [cancelledModel, anitaModel] })).status).toBe(200);
  await h.api.call('PATCH', `/api/records/sale.order/${so.S005}`, { fields: { state: 'cancel' } });
  const [before] = await attachmentsOf(so.S005!);
  await directSync(h);
  const t = await tree();
  expect(t).toContain('/Odoo/Cancelled Sale Orders/S005/offer.pdf');
  expect(t).not.toContain('/Odoo/Sale Orders of Anita Oliver/S005/');
  // The same attachment, with a link that still opens the file.
  const [after] = await attachmentsOf(so.S005!);
  expect(after!.id).toBe(before!.id);
  const res = await fetch(after!.url, { headers: { authorization: basicAuth(h.dav.username, h.dav.password) } });
  expect(await res.text()).toBe('offer of S005');
});

test('a record that stops matching keeps its folder and links; its new attachments stay in the ERP', async () => {
  await attach(h, 'sale.order', so.S002!, 'old.pdf', 'old');
  await directSync(h);
  await h.api.call('PATCH', `/api/records/sale.order/${so.S002}`, { fields: { user_id: 'Marc Demo' } });
  await attach(h, 'sale.order', so.S002!, 'new.pdf', 'new');
  await directSync(h);
  expect(await tree()).toEqual(expect.arrayContaining(['/Odoo/Sale Orders of Anita Oliver/S002/', '/Odoo/Sale Orders of Anita Oliver/S002/old.pdf']));
  const atts = await attachmentsOf(so.S002!);
  expect(atts.map((a) => [a.name, a.type])).toEqual([['old.pdf', 'url'], ['new.pdf', 'binary']]);
});

test('a record that starts matching gets its folder and its attachments synced', async () => {
  await attach(h, 'sale.order', so.S009!, 'contract.pdf', 'contract');
  await h.api.call('PATCH', `/api/records/sale.order/${so.S009}`, { fields: { user_id: 'Anita Oliver' } });
  await directSync(h);
  expect(await tree()).toContain('/Odoo/Sale Orders of Anita Oliver/S009/contract.pdf');
  expect((await attachmentsOf(so.S009!))[0]!.type).toBe('url');
});

test('a URL attachment deleted in the ERP: its cloud file is deleted by the next direct sync', async () => {
  const [contract] = await attachmentsOf(so.S009!);
  expect((await h.api.call('DELETE', `/api/attachments/${contract!.id}`)).status).toBe(204);
  await directSync(h);
  expect(await tree()).not.toContain('/Odoo/Sale Orders of Anita Oliver/S009/contract.pdf');
  expect(await tree()).toContain('/Odoo/Sale Orders of Anita Oliver/S009/');
});

test('a record deleted in the ERP: its object folder and contents are deleted in the cloud', async () => {
  expect((await h.api.call('DELETE', `/api/records/sale.order/${so.S005}`)).status).toBe(204);
  await directSync(h);
  expect((await tree()).filter((p) => p.includes('S005'))).toEqual([]);
  const logs = await h.api.call('GET', '/api/logs?q=deleted%20in%20the%20ERP');
  expect(logs.json.items.length).toBeGreaterThan(0);
});

test('a deleted sync model: its folder stays with everything in it, nothing new is synced there', async () => {
  expect((await h.api.call('DELETE', `/api/sync-models/${anitaModel}`)).status).toBe(204);
  await attach(h, 'sale.order', so.S001!, 'after-delete.pdf', 'x');
  await directSync(h);
  const t = await tree();
  expect(t).toEqual(expect.arrayContaining(['/Odoo/Sale Orders of Anita Oliver/S001/', '/Odoo/Sale Orders of Anita Oliver/S002/old.pdf']));
  expect(t).not.toContain('/Odoo/Sale Orders of Anita Oliver/S001/after-delete.pdf');
  // A person deleting it in the cloud is not "repaired" either: it is no longer checked.
  expect(await dav(h, 'DELETE', '/Odoo/Sale Orders of Anita Oliver/S001')).toBe(204);
  await directSync(h);
  expect(await tree()).not.toContain('/Odoo/Sale Orders of Anita Oliver/S001/');
});

test('a new sync model with other filters takes the records over: folders move to it (manual, "Attach an object to another model folder")', async () => {
  const byState = await addSyncModel(h, { model: 'sale.order', folderName: 'Confirmed Orders', domain: [['state', '=', 'sale']] });
  await directSync(h);
  const t = await tree();
  // S001 (its folder was deleted in the cloud) is created; S009 moves from the deleted model's folder.
  expect(t).toEqual(expect.arrayContaining(['/Odoo/Confirmed Orders/S001/', '/Odoo/Confirmed Orders/S009/', '/Odoo/Confirmed Orders/S002/old.pdf']));
  expect(t).not.toContain('/Odoo/Sale Orders of Anita Oliver/S009/');
  // Restoring the old one puts it back at the bottom of the order: records stay put.
  expect((await h.api.call('POST', `/api/sync-models/${anitaModel}/restore`)).status).toBe(200);
  await h.api.call('PUT', '/api/sync-models/order', { ids: [cancelledModel, byState, anitaModel] });
  await directSync(h);
  expect(await tree()).toContain('/Odoo/Confirmed Orders/S009/');
});

test("periods: on the manual's 2020-09-03, 'last 2 months' takes July and August", async () => {
  const periodic = await addSyncModel(h, {
    model: 'account.move', folderName: 'Recent invoices',
    periods: [{ field: 'invoice_date', direction: 'last', amount: 2, unit: 'months', includeCurrent: false }],
  });
  for (const [name, date] of [['INV/06', '2020-06-30'], ['INV/07', '2020-07-01'], ['INV/08', '2020-08-31'], ['INV/09', '2020-09-01']]) {
    await h.api.call('POST', '/api/records', { model: 'account.move', name, fields: { invoice_date: date } });
  }
  await directSync(h);
  expect(await cloudTree(h, '/Odoo/Recent invoices')).toEqual(['/Odoo/Recent invoices/INV-07/', '/Odoo/Recent invoices/INV-08/']);
  expect(periodic).toBeGreaterThan(0);
});

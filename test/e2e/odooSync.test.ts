/**
 * Direct and backward sync with Odoo as the ERP (the protocol emulator of test/support,
 * Odoo 17 over JSON-RPC) and Apache as the cloud, through the API, Temporal and a worker:
 * the foundation's slice, then a rename, a move and a delete in each direction.
 */
import { OdooClient } from '../../src/erp/odoo/client.js';
import { createHarness, type Harness } from '../support/harness.js';
import { startOdooEmulator, type OdooEmulator } from '../support/odooEmulator.js';
import { addSyncModel, backwardSync, cloudTree, dav, directSync, setUpCloud } from '../support/sync.js';

let h: Harness;
let odoo: OdooEmulator;
let rpc: OdooClient;
let azure: number;
let deco: number;
let invoice: number;
beforeAll(async () => {
  [h, odoo] = await Promise.all([
    createHarness({ worker: true }),
    startOdooEmulator({ version: 17, database: 'shop', seed: 'none', users: [{ login: 'sync', password: 'pw', apiKey: 'sync-api-key', uid: 2, partnerId: 3, isAdmin: true }] }),
  ]);
  rpc = new OdooClient({ url: odoo.url, database: 'shop', username: 'sync', apiKey: 'sync-api-key' });
  const create = async (model: string, vals: Record<string, unknown>) => rpc.call<number>(model, 'create', { kwargs: { vals_list: vals } });
  azure = await create('res.partner', { name: 'Azure Interior', is_company: true });
  deco = await create('res.partner', { name: 'Deco Addict', is_company: true });
  invoice = await create('ir.attachment', { name: 'invoice.pdf', datas: Buffer.from('%PDF-1.4 invoice of Azure').toString('base64'), res_model: 'res.partner', res_id: azure });
  expect((await h.api.call('PUT', '/api/erp', { kind: 'odoo', url: odoo.url, database: 'shop', username: 'sync', apiKey: 'sync-api-key' })).status).toBe(200);
  expect((await h.api.call('POST', '/api/erp/confirm')).json).toMatchObject({ state: 'confirmed', inUse: 'odoo', version: '17.0' });
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts', domain: [['is_company', '=', true]] });
});
afterAll(async () => {
  await h?.close();
  await odoo?.close();
});

const attachment = async (id: number) => (await rpc.call<Array<Record<string, unknown>>>('ir.attachment', 'read', { ids: [id], kwargs: { fields: ['name', 'type', 'url', 'store_fname', 'file_size', 'mimetype', 'res_id'], context: { bin_size: true } } }))[0];
const attachmentsOf = (resId: number) => rpc.call<Array<Record<string, any>>>('ir.attachment', 'search_read', { kwargs: { domain: [['res_model', '=', 'res.partner'], ['res_id', '=', resId]], fields: ['name', 'type', 'url', 'mimetype'], order: 'id' } });
const A = '/Odoo/Contacts/Azure Interior';

test('direct: the Odoo binary goes to the cloud, then Odoo\'s attachment becomes a URL attachment with its binary released', async () => {
  expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
  expect(await cloudTree(h)).toEqual(expect.arrayContaining([`${A}/`, `${A}/invoice.pdf`, '/Odoo/Contacts/Deco Addict/']));
  const res = await fetch(`${h.dav.url}Odoo/Contacts/Azure%20Interior/invoice.pdf`, { headers: { authorization: `Basic ${Buffer.from(`${h.dav.username}:${h.dav.password}`).toString('base64')}` } });
  expect(await res.text()).toBe('%PDF-1.4 invoice of Azure');
  // Released as Odoo needs it: no binary left, and no PDF mimetype that would make Odoo's
  // viewer fetch the cloud page as a PDF.
  expect(await attachment(invoice)).toMatchObject({ type: 'url', store_fname: false, file_size: 0, mimetype: 'application/octet-stream', url: expect.stringContaining('invoice.pdf') });
  // People without a cloud login download it through the service, by its Odoo id.
  const proxied = await fetch(`${h.api.url}/api/attachments/${invoice}/content`, { headers: { authorization: `Bearer ${h.api.token}` } });
  expect(proxied.status).toBe(200);
  expect(proxied.headers.get('content-disposition')).toContain('invoice.pdf');
  expect(await proxied.text()).toBe('%PDF-1.4 invoice of Azure');
  expect((await h.api.call('GET', `/api/attachments/${invoice + 1000}/content`)).status).toBe(404);
});

test('direct: a record renamed in Odoo renames its folder; a URL attachment deleted in Odoo deletes its file', async () => {
  await rpc.call('res.partner', 'write', { ids: [azure], kwargs: { vals: { name: 'Azure Interior SA' } } });
  await rpc.call('ir.attachment', 'unlink', { ids: [invoice] });
  expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
  const tree = await cloudTree(h);
  expect(tree).toContain('/Odoo/Contacts/Azure Interior SA/');
  expect(tree).not.toContain(`${A}/`);
  expect(tree.filter((p) => p.endsWith('invoice.pdf'))).toEqual([]);
});

test('backward: a file added in the cloud becomes a URL attachment in Odoo; renamed, moved to another record, deleted: mirrored', async () => {
  const S = '/Odoo/Contacts/Azure Interior SA';
  expect(await dav(h, 'PUT', `${S}/from-cloud.txt`, { body: 'made in the cloud' })).toBe(201);
  expect(await backwardSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
  const [made] = (await attachmentsOf(azure)).filter((a) => a.name === 'from-cloud.txt');
  expect(made).toMatchObject({ type: 'url', url: expect.stringContaining('from-cloud.txt') });

  expect(await dav(h, 'MOVE', `${S}/from-cloud.txt`, { to: `${S}/renamed.txt` })).toBe(201);
  await backwardSync(h);
  expect((await attachment(made!.id))).toMatchObject({ name: 'renamed.txt', res_id: azure });

  expect(await dav(h, 'MOVE', `${S}/renamed.txt`, { to: '/Odoo/Contacts/Deco Addict/renamed.txt' })).toBe(201);
  await backwardSync(h);
  expect((await attachment(made!.id))).toMatchObject({ name: 'renamed.txt', res_id: deco });

  expect(await dav(h, 'DELETE', '/Odoo/Contacts/Deco Addict/renamed.txt')).toBe(204);
  await backwardSync(h);
  expect(await attachment(made!.id)).toBeUndefined();
  // The credentials stayed in the worker: not in any workflow history.
  const runs = [];
  for await (const w of h.services.temporal.workflow.list({ query: `TaskQueue = '${h.services.taskQueue}'` })) runs.push(w);
  for (const w of runs) expect(JSON.stringify(await h.services.temporal.workflow.getHandle(w.workflowId, w.runId).fetchHistory())).not.toContain('sync-api-key');
});

test('a sync model Odoo cannot search is saved as invalid with the reason, and each run says it is not synced', async () => {
  const cases: Array<[Record<string, unknown>, RegExp | null]> = [
    [{ model: 'res.partner', folderName: 'Bad field', domain: [['no_such_field', '=', 1]] }, /res.partner has no field no_such_field/],
    [{ model: 'res.partner', folderName: 'Bad path', domain: [['country_id.no_such', '=', 'US']] }, /res.country has no field no_such \(in country_id.no_such\)/],
    [{ model: 'no.such.model', folderName: 'Bad model' }, /Odoo has no model no.such.model/],
    [{ model: 'res.partner', folderName: 'By display name', domain: [['display_name', 'ilike', 'Azure']] }, /display_name cannot be searched in Odoo 17/],
    [{ model: 'res.partner', folderName: 'Bad expression', nameExpression: '${object.nickname}' }, /res.partner has no field nickname/],
    [{ model: 'res.partner', folderName: 'Fine', domain: [['country_id.code', '=', 'US']], nameExpression: '${object.name} (${object.country_id.name})' }, null],
  ];
  const ids: number[] = [];
  for (const [body, reason] of cases) {
    const r = await h.api.call('POST', '/api/sync-models', body);
    expect(r.status).toBe(201);
    expect({ folder: body.folderName, invalid: r.json.invalidReason }).toEqual({ folder: body.folderName, invalid: reason ? expect.stringMatching(reason) : null });
    ids.push(r.json.id);
  }
  // Fixed and saved again: valid.
  const fixed = await h.api.call('PATCH', `/api/sync-models/${ids[0]}`, { domain: [['name', 'ilike', 'Azure']] });
  expect(fixed.json.invalidReason).toBeNull();
  // The run says which ones it leaves out, by name.
  expect((await directSync(h)).outcome).toBe('completed');
  const logs = await h.api.call('GET', '/api/logs?level=warning&q=is%20not%20synced');
  expect(logs.json.items.map((l: { message: string }) => l.message)).toEqual(expect.arrayContaining([
    expect.stringMatching(/^Sync model "Bad model" \(\d+\) is not synced: Odoo has no model/),
    expect.stringMatching(/^Sync model "By display name" \(\d+\) is not synced: display_name cannot be searched/),
  ]));
  expect(logs.json.items.some((l: { message: string }) => l.message.includes('"Fine"') || l.message.includes('"Bad field"'))).toBe(false);
  for (const id of ids) await h.api.call('DELETE', `/api/sync-models/${id}`);
});

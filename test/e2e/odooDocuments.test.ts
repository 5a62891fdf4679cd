/**
 * Enterprise Documents (the manual, "Solutions for Enterprise Documents"), end to end: an
 * Odoo with the Documents app (the emulator, in the 17 shape with documents.folder and in
 * the 18 shape with folders as documents), through the API, Temporal and a worker, with
 * plain Apache as the cloud (17) and Apache behind the Nextcloud layer (18: file ids, ETags
 * that change up to the root). No sync model is set up: the folders appear under "Odoo / Odoo Docs"
 * nested as in Odoo, their documents' files are uploaded and released, spreadsheets stay,
 * and the manual's table of changes on either side holds.
 */
import { OdooClient } from '../../src/erp/odoo/client.js';
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';
import { startOdooEmulator, type OdooEmulator, type OdooVersion } from '../support/odooEmulator.js';
import { backwardSync, cloudTree, directSync, setUpCloud } from '../support/sync.js';

const D = '/Odoo/Odoo Docs';
type Doc = Record<string, any>;

describe.each([[17, 'Apache'], [18, 'Nextcloud']] as [OdooVersion, string][])('Odoo %i, %s', (version, cloud) => {
  let h: Harness;
  let layer: NextcloudLayer | null = null;
  let odoo: OdooEmulator;
  /** A person working in the cloud (through the layer on "Nextcloud", as through its web UI). */
  const dav = async (_h: Harness, method: string, p: string, opts: { to?: string; body?: string } = {}) => {
    const at = (q: string) => (layer?.url ?? h.dav.url) + q.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    const headers: Record<string, string> = { authorization: basicAuth(h.dav.username, h.dav.password), ...(opts.to ? { destination: at(opts.to) } : {}) };
    const res = await fetch(at(p), { method, headers, body: opts.body });
    await res.arrayBuffer();
    return res.status;
  };
  let rpc: OdooClient;
  const create = async (model: string, vals: Record<string, unknown>) => rpc.call<number>(model, 'create', { kwargs: { vals_list: vals } });
  // 16/17: documents.folder; 18 on: a document of type folder.
  const folderModel = version >= 18 ? 'documents.document' : 'documents.folder';
  const parentField = version >= 18 ? 'folder_id' : 'parent_folder_id';
  const mkFolder = (name: string, parent?: number) => create(folderModel, { name, ...(version >= 18 ? { type: 'folder' } : {}), ...(parent ? { [parentField]: parent } : {}) });
  const mkDocument = async (folder: number, name: string, content: string, mimetype?: string) => {
    const attachment = await create('ir.attachment', { name, datas: Buffer.from(content).toString('base64'), ...(mimetype ? { mimetype } : {}) });
    return { attachment, document: await create('documents.document', { name, folder_id: folder, attachment_id: attachment }) };
  };
  const documentsIn = (folder: number) => rpc.call<Doc[]>('documents.document', 'search_read', {
    kwargs: { domain: [['folder_id', '=', folder], ['type', '!=', 'folder']], fields: ['name', 'type', 'url', 'attachment_id'], order: 'id' },
  });
  /** The link to a cloud item: by file id on Nextcloud, by path on plain WebDAV. */
  const linkTo = (name: string) => (cloud === 'Nextcloud' ? expect.stringMatching(/\/index\.php\/f\/\d+$/) : expect.stringContaining(name));
  const attachment = async (id: number) => (await rpc.call<Doc[]>('ir.attachment', 'read', { ids: [id], kwargs: { fields: ['type', 'url', 'store_fname', 'file_size'], context: { bin_size: true } } }))[0];
  let hr: number, contracts: number, finance: number;
  let scan: { attachment: number; document: number }, contract: { attachment: number; document: number }, budget: { attachment: number; document: number };

  beforeAll(async () => {
    [h, odoo] = await Promise.all([
      createHarness({ worker: true }),
      startOdooEmulator({ version, database: 'shop', seed: 'none', documents: true, users: [{ login: 'sync', password: 'pw', apiKey: 'sync-api-key', uid: 2, partnerId: 3, isAdmin: true }] }),
    ]);
    rpc = new OdooClient({ url: odoo.url, database: 'shop', username: 'sync', apiKey: 'sync-api-key' });
    hr = await mkFolder('HR');
    contracts = await mkFolder('Contracts', hr);
    finance = await mkFolder('Finance');
    scan = await mkDocument(hr, 'scan1.jpeg', 'JPEG scan');
    contract = await mkDocument(contracts, 'contract.pdf', '%PDF contract');
    budget = await mkDocument(finance, 'Budget', '{"sheets": []}', 'application/o-spreadsheet');
    expect((await h.api.call('PUT', '/api/erp', { kind: 'odoo', url: odoo.url, database: 'shop', username: 'sync', apiKey: 'sync-api-key' })).status).toBe(200);
    const confirmed = await h.api.call('POST', '/api/erp/confirm');
    expect(confirmed.json).toMatchObject({ state: 'confirmed', documents: { shape: version >= 18 ? 'documents' : 'folders', folder: 'Odoo Docs' } });
    if (cloud === 'Nextcloud') {
      layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync' });
      await setUpCloud(h, { url: layer.url });
      expect((await h.api.call('GET', '/api/connection')).json.capabilities).toMatchObject({ fileIds: true, etagPropagation: true });
    } else {
      await setUpCloud(h);
    }
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await layer?.close();
    await odoo?.close();
  });

  test('direct, with no sync model: the folders nest under Odoo Docs, the files go up and are released, spreadsheets stay', async () => {
    expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    const tree = await cloudTree(h);
    expect(tree).toEqual(expect.arrayContaining([`${D}/`, `${D}/HR/`, `${D}/HR/Contracts/`, `${D}/Finance/`, `${D}/HR/scan1.jpeg`, `${D}/HR/Contracts/contract.pdf`]));
    expect(tree.filter((p) => p.includes('Budget'))).toEqual([]);
    expect(await attachment(scan.attachment)).toMatchObject({ type: 'url', store_fname: false, file_size: 0, url: linkTo('scan1.jpeg') });
    expect(await attachment(contract.attachment)).toMatchObject({ type: 'url', store_fname: false });
    expect(await attachment(budget.attachment)).toMatchObject({ type: 'binary', store_fname: expect.any(String) });
    // The documents stay documents, in their folders.
    expect((await documentsIn(hr)).map((d) => d.name)).toEqual(['scan1.jpeg']);
  });

  test('direct: a folder renamed, a subfolder moved and one added in Odoo are mirrored; a document deleted in Odoo deletes its file', async () => {
    await rpc.call(folderModel, 'write', { ids: [hr], kwargs: { vals: { name: 'People' } } });
    await rpc.call(folderModel, 'write', { ids: [contracts], kwargs: { vals: { [parentField]: finance } } });
    await mkFolder('2026', finance);
    await rpc.call('documents.document', 'unlink', { ids: [scan.document] });
    expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    const tree = await cloudTree(h);
    expect(tree).toEqual(expect.arrayContaining([`${D}/People/`, `${D}/Finance/Contracts/contract.pdf`, `${D}/Finance/2026/`]));
    expect(tree.filter((p) => p.startsWith(`${D}/HR`) || p.endsWith('scan1.jpeg'))).toEqual([]);
  });

  test('backward: a cloud file becomes a URL document in its folder; renamed, moved to another folder, deleted: mirrored; the nested folders are never linked', async () => {
    const P = `${D}/People`;
    expect(await dav(h, 'PUT', `${P}/from-cloud.txt`, { body: 'made in the cloud' })).toBe(201);
    expect(await dav(h, 'MKCOL', `${P}/Photos`)).toBe(201);
    expect(await backwardSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    const made = (await documentsIn(hr)).sort((a, b) => a.name.localeCompare(b.name));
    expect(made).toEqual([
      expect.objectContaining({ name: 'from-cloud.txt', type: 'url', url: linkTo('from-cloud.txt'), attachment_id: false }),
      expect.objectContaining({ name: 'Photos', type: 'url', url: linkTo('Photos') }),
    ]);
    // Finance/Contracts and Finance/2026 are Documents folders: no URL document for them.
    expect((await documentsIn(finance)).map((d) => d.name)).toEqual(['Budget']);

    expect(await dav(h, 'MOVE', `${P}/from-cloud.txt`, { to: `${P}/renamed.txt` })).toBe(201);
    expect(await backwardSync(h)).toMatchObject({ failed: 0 });
    expect((await documentsIn(hr)).map((d) => d.name).sort()).toEqual(['Photos', 'renamed.txt']);

    expect(await dav(h, 'MOVE', `${P}/renamed.txt`, { to: `${D}/Finance/2026/renamed.txt` })).toBe(201);
    expect(await backwardSync(h)).toMatchObject({ failed: 0 });
    const folder2026 = (await rpc.call<Doc[]>(folderModel, 'search_read', { kwargs: { domain: [['name', '=', '2026']], fields: ['id'] } }))[0]!.id as number;
    expect((await documentsIn(folder2026)).map((d) => d.name)).toEqual(['renamed.txt']);
    expect((await documentsIn(hr)).map((d) => d.name)).toEqual(['Photos']);

    expect(await dav(h, 'DELETE', `${D}/Finance/2026/renamed.txt`)).toBe(204);
    // A released file deleted in the cloud deletes its document (and the file's attachment).
    expect(await dav(h, 'DELETE', `${D}/Finance/Contracts/contract.pdf`)).toBe(204);
    expect(await backwardSync(h)).toMatchObject({ failed: 0 });
    expect(await documentsIn(folder2026)).toEqual([]);
    expect(await documentsIn(contracts)).toEqual([]);
    expect(await attachment(contract.attachment)).toBeUndefined();
  });

  test('direct: a Documents folder renamed in the cloud is named back; one deleted in the cloud is made again', async () => {
    // (Plain WebDAV has no file ids: a renamed folder is known by what it holds, here its Photos link;
    // on Nextcloud by its id.)
    expect(await dav(h, 'MOVE', `${D}/People`, { to: `${D}/Team` })).toBe(201);
    expect(await dav(h, 'DELETE', `${D}/Finance/Contracts`)).toBe(204);
    expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    const tree = await cloudTree(h);
    expect(tree).toEqual(expect.arrayContaining([`${D}/People/Photos/`, `${D}/Finance/Contracts/`]));
    expect(tree.filter((p) => p.startsWith(`${D}/Team`))).toEqual([]);
  });

  test('backward right after a Documents folder was renamed in the cloud: no link for it, nothing inside it unlinked; direct names it back', async () => {
    expect(await dav(h, 'PUT', `${D}/Finance/2026/note.txt`, { body: 'a note' })).toBe(201);
    expect(await backwardSync(h)).toMatchObject({ failed: 0 });
    const folder2026 = (await rpc.call<Doc[]>(folderModel, 'search_read', { kwargs: { domain: [['name', '=', '2026']], fields: ['id'] } }))[0]!.id as number;
    expect((await documentsIn(folder2026)).map((d) => d.name)).toEqual(['note.txt']);

    // Renamed in the cloud, and the backward sync comes first. (Without file ids the
    // service cannot tell a rename from a deletion here: it waits for the direct sync.)
    expect(await dav(h, 'MOVE', `${D}/Finance/2026`, { to: `${D}/Finance/Year` })).toBe(201);
    expect(await backwardSync(h)).toMatchObject({ failed: 0 });
    expect((await documentsIn(finance)).map((d) => d.name)).toEqual(['Budget']);
    expect((await documentsIn(folder2026)).map((d) => d.name)).toEqual(['note.txt']);

    expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    const tree = await cloudTree(h);
    expect(tree).toContain(`${D}/Finance/2026/note.txt`);
    expect(tree.filter((p) => p.startsWith(`${D}/Finance/Year`))).toEqual([]);
    expect(await backwardSync(h)).toMatchObject({ failed: 0 });
    expect((await documentsIn(folder2026)).map((d) => d.name)).toEqual(['note.txt']);
    expect((await documentsIn(finance)).map((d) => d.name)).toEqual(['Budget']);
  });

  test('a nested folder archived in Odoo stays in the cloud and is never linked as a subfolder', async () => {
    await rpc.call(folderModel, 'write', { ids: [contracts], kwargs: { vals: { active: false } } });
    expect(await dav(h, 'PUT', `${D}/Finance/memo.txt`, { body: 'a memo' })).toBe(201); // Finance changes: it is listed
    expect(await backwardSync(h)).toMatchObject({ failed: 0 });
    expect((await documentsIn(finance)).map((d) => d.name).sort()).toEqual(['Budget', 'memo.txt']);
    expect(await cloudTree(h)).toContain(`${D}/Finance/Contracts/`);
  });

  test('direct: a synced document moved to another folder in Odoo: its cloud file follows, and the backward sync leaves it there', async () => {
    const moving = await mkDocument(hr, 'moving.pdf', '%PDF moving');
    expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    expect(await cloudTree(h)).toContain(`${D}/People/moving.pdf`);
    await rpc.call('documents.document', 'write', { ids: [moving.document], kwargs: { vals: { folder_id: finance } } });
    expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    const tree = await cloudTree(h);
    expect(tree).toContain(`${D}/Finance/moving.pdf`);
    expect(tree).not.toContain(`${D}/People/moving.pdf`);
    const res = await fetch((await attachment(moving.attachment))!.url, { headers: { authorization: basicAuth(h.dav.username, h.dav.password) }, redirect: 'manual' });
    expect(res.status).toBeLessThan(400); // the link follows the file (by path on plain WebDAV, by id on Nextcloud)
    await res.arrayBuffer();
    expect(await backwardSync(h)).toMatchObject({ failed: 0 });
    expect((await documentsIn(finance)).map((d) => d.name)).toContain('moving.pdf');
    expect((await documentsIn(hr)).map((d) => d.name)).not.toContain('moving.pdf');
  });

  test('most Documents folders gone from the ERP at once (an upgrade gave them new ids): nothing is deleted or made again in the cloud, the log says why', async () => {
    await mkFolder('Extra');
    expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    const before = await cloudTree(h, D);
    // The upgrade, as a migration does it: the same folders under new ids.
    const table = odoo.state.table(folderModel);
    const folders = [...table.values()].filter((r) => version < 18 || r.type === 'folder');
    for (const f of folders) {
      table.delete(f.id);
      odoo.state.insert(folderModel, { ...f, id: f.id + 1000, ...(f[parentField] ? { [parentField]: (f[parentField] as number) + 1000 } : {}) });
    }
    expect(await directSync(h)).toMatchObject({ outcome: 'completed' });
    // Nothing deleted, and nothing made again beside itself under the new ids.
    expect(await cloudTree(h, D)).toEqual(before);
    const errors = (await h.api.call('GET', '/api/logs?level=error')).json.items.map((i: { message: string }) => i.message);
    expect(errors).toContainEqual(expect.stringMatching(/of the \d+ "Odoo Docs" folders are gone from the ERP at once: none is deleted from the cloud/));
  });

  test('an Odoo that no longer shows Documents: the syncs go on, the Odoo Docs folders are left alone, and the log says why', async () => {
    // The app uninstalled from the same Odoo (another Odoo would need a reset first).
    for (const model of Object.keys(odoo.state.models)) if (model.startsWith('documents.')) delete (odoo.state.models as Record<string, unknown>)[model];
    expect((await h.api.call('POST', '/api/erp/confirm')).json).toMatchObject({ state: 'confirmed', documents: null });
    await new Promise((r) => setTimeout(r, 2500)); // the worker reads the ERP connection again within 2 s
    const before = await cloudTree(h, D);
    expect(await directSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    expect(await backwardSync(h)).toMatchObject({ outcome: 'completed', failed: 0 });
    expect(await cloudTree(h, D)).toEqual(before);
    const warnings = (await h.api.call('GET', '/api/logs?level=warning')).json.items.map((i: { message: string }) => i.message);
    expect(warnings).toContainEqual(expect.stringMatching(/the ERP shows no Enterprise Documents .*: they are left as they are/));
  });
});

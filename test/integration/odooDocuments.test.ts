/**
 * The Odoo adapter's Enterprise Documents (src/erp/odoo/documents.ts) against the emulator,
 * on every version it emulates: detected in the shape the version has, folders read as
 * records of the virtual model with their parent, files listed without spreadsheets or
 * links, URL documents made once, and the moves that cannot be mirrored refused with a
 * reason instead of half-done.
 */
import { DOCUMENTS_MODEL } from '../../src/domain/documents.js';
import { OdooClient } from '../../src/erp/odoo/client.js';
import { OdooErp } from '../../src/erp/odoo/adapter.js';
import { startOdooEmulator, type OdooEmulator, type OdooVersion } from '../support/odooEmulator.js';

const users = [{ login: 'sync', password: 'pw', apiKey: 'sync-api-key', uid: 2, partnerId: 3, isAdmin: true }];
const settings = (url: string) => ({ url, database: 'shop', username: 'sync', apiKey: 'sync-api-key' });

test('an Odoo without the Documents app has none: nothing to mirror', async () => {
  const odoo = await startOdooEmulator({ version: 17, database: 'shop', seed: 'none', users });
  try {
    expect(await new OdooErp(settings(odoo.url)).documents()).toBeNull();
  } finally {
    await odoo.close();
  }
});

describe.each([16, 17, 18, 19] as OdooVersion[])('Odoo %i with Documents', (version) => {
  let odoo: OdooEmulator;
  let erp: OdooErp;
  let rpc: OdooClient;
  // (JSON-2, on 19, answers a create with the list of ids.)
  const create = async (model: string, vals: Record<string, unknown>) => [await rpc.call<number | number[]>(model, 'create', { kwargs: { vals_list: vals } })].flat()[0]!;
  const folderModel = version >= 18 ? 'documents.document' : 'documents.folder';
  const mkFolder = (name: string, parent?: number) => create(folderModel, { name, ...(version >= 18 ? { type: 'folder' } : {}), ...(parent ? { [version >= 18 ? 'folder_id' : 'parent_folder_id']: parent } : {}) });
  const mkDocument = async (folder: number, name: string, mimetype?: string) => {
    const attachment = await create('ir.attachment', { name, datas: Buffer.from(`${name} content`).toString('base64'), ...(mimetype ? { mimetype } : {}) });
    return { attachment, document: await create('documents.document', { name, folder_id: folder, attachment_id: attachment }) };
  };
  let hr: number, sub: number, other: number;
  let scan: { attachment: number; document: number };
  let partnerFile: number;

  beforeAll(async () => {
    odoo = await startOdooEmulator({ version, database: 'shop', seed: 'none', documents: true, users });
    rpc = new OdooClient(settings(odoo.url));
    erp = new OdooErp(settings(odoo.url));
    hr = await mkFolder('HR');
    sub = await mkFolder('Contracts', hr);
    other = await mkFolder('Finance');
    scan = await mkDocument(hr, 'scan.jpeg', 'image/jpeg');
    await mkDocument(hr, 'Budget', 'application/o-spreadsheet');
    await create('documents.document', { name: 'A link', folder_id: hr, url: 'https://example.com/x' });
    const partner = await create('res.partner', { name: 'Azure' });
    partnerFile = await create('ir.attachment', { name: 'invoice.pdf', datas: Buffer.from('pdf').toString('base64'), res_model: 'res.partner', res_id: partner });
  });
  afterAll(async () => odoo?.close());

  test('detected in the version\'s shape; folders are records with their parent', async () => {
    expect(await erp.documents()).toEqual({ shape: version >= 18 ? 'documents' : 'folders' });
    const folders = await erp.searchRecords(DOCUMENTS_MODEL, []);
    expect(folders.map((f) => [f.id, f.displayName, f.parentId])).toEqual([[hr, 'HR', null], [sub, 'Contracts', hr], [other, 'Finance', null]]);
    expect(await erp.existingRecordIds(DOCUMENTS_MODEL, [hr, sub, 999])).toEqual(new Set([hr, sub]));
  });

  test('a folder\'s files are its documents\' attachments, as attachments of the folder: no spreadsheet, no link', async () => {
    const files = await erp.listAttachments(DOCUMENTS_MODEL, [hr, sub]);
    expect(files).toEqual([expect.objectContaining({ id: scan.attachment, resModel: DOCUMENTS_MODEL, resId: hr, name: 'scan.jpeg', type: 'binary' })]);
    expect((await erp.getAttachment(scan.attachment))).toMatchObject({ resModel: DOCUMENTS_MODEL, resId: hr });
    // An ordinary attachment is untouched by the Documents view.
    expect(await erp.getAttachment(partnerFile)).toMatchObject({ resModel: 'res.partner', name: 'invoice.pdf' });
  });

  test('a URL document is made once per link, tracked by its negated id, moved, renamed and deleted as a document', async () => {
    const input = { resModel: DOCUMENTS_MODEL, resId: hr, name: 'cloud.txt', url: 'https://cloud.test/f/1', mimetype: 'text/plain', size: 3, isFolder: false };
    const made = await erp.createUrlAttachment(input);
    expect(made).toMatchObject({ resModel: DOCUMENTS_MODEL, resId: hr, name: 'cloud.txt', type: 'url', url: 'https://cloud.test/f/1' });
    expect(made.id).toBeLessThan(0);
    expect((await erp.createUrlAttachment(input)).id).toBe(made.id);
    expect(await erp.updateAttachment(made.id, { name: 'moved.txt', resModel: DOCUMENTS_MODEL, resId: other })).toMatchObject({ id: made.id, name: 'moved.txt', resId: other });
    expect(await erp.existingAttachmentIds([made.id, scan.attachment])).toEqual(new Set([made.id, scan.attachment]));
    await erp.unlinkAttachment(made.id);
    await erp.unlinkAttachment(made.id); // gone already: success
    expect(await erp.existingAttachmentIds([made.id])).toEqual(new Set());
    expect(await erp.updateAttachment(made.id, { name: 'x' })).toBeNull();
  });

  test('moves between Documents and records are refused with the reason, nothing written', async () => {
    await expect(erp.updateAttachment(scan.attachment, { resModel: 'res.partner', resId: 1 })).rejects.toThrow(/is a document of Odoo's Documents app: it can move between Documents folders only/);
    await expect(erp.updateAttachment(partnerFile, { resModel: DOCUMENTS_MODEL, resId: hr })).rejects.toThrow(/belongs to a record, not to Odoo's Documents app/);
    expect(await erp.getAttachment(scan.attachment)).toMatchObject({ resModel: DOCUMENTS_MODEL, resId: hr });
    expect(await erp.getAttachment(partnerFile)).toMatchObject({ resModel: 'res.partner' });
  });

  test('a file\'s document deleted in Odoo counts as its attachment deleted; unlinking the file deletes its document', async () => {
    const kept = await mkDocument(other, 'kept.pdf');
    const gone = await mkDocument(other, 'gone.pdf');
    await rpc.call('documents.document', 'unlink', { ids: [gone.document] });
    expect(await erp.existingAttachmentIds([kept.attachment, gone.attachment])).toEqual(new Set([kept.attachment]));
    await erp.unlinkAttachment(kept.attachment);
    expect(await rpc.call<number[]>('documents.document', 'search', { kwargs: { domain: [['id', '=', kept.document]] } })).toEqual([]);
    expect(await erp.getAttachment(kept.attachment)).toBeNull();
  });

  test('an attachment of a record that a document also shows stays the record\'s: it moves between records as before', async () => {
    const [a, b] = [await create('res.partner', { name: 'Invoice A' }), await create('res.partner', { name: 'Invoice B' })];
    const shared = await create('ir.attachment', { name: 'bill.pdf', datas: Buffer.from('bill').toString('base64'), res_model: 'res.partner', res_id: a });
    await create('documents.document', { name: 'bill.pdf', folder_id: other, attachment_id: shared });
    expect(await erp.updateAttachment(shared, { resModel: 'res.partner', resId: b })).toMatchObject({ resModel: 'res.partner', resId: b });
  });
});


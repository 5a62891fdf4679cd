import { assignRecords, dedupeSiblingNames, planDirectSync, refs, type DirectPlanInput, type MappedItem } from '../../src/domain/planning/direct.js';
import type { ErpAttachment, ErpRecord, SyncModel } from '../../src/domain/types.js';

const model = (id: number, folderName: string, sequence: number, m = 'sale.order'): SyncModel => ({
  id, model: m, folderName, sequence, domain: [], periods: [], nameExpression: null, defaultFolders: [], active: true,
});
const record = (id: number, displayName: string, m = 'sale.order'): ErpRecord => ({ model: m, id, displayName, fields: {}, writeDate: '2026-12-01T00:00:00Z' });
const binary = (id: number, resId: number, name: string, resModel = 'sale.order'): ErpAttachment => ({
  id, resModel, resId, name, type: 'binary', url: null, isFolder: false, mimetype: 'application/pdf', size: 10, checksum: null,
});

function input(over: Partial<DirectPlanInput> = {}): DirectPlanInput {
  const orders = model(1, 'Sale Orders', 20);
  return {
    rootFolder: 'Odoo',
    syncModels: [orders],
    matches: new Map([[1, [record(7, 'S00007')]]]),
    attachments: new Map([['sale.order:7', [binary(70, 7, 'offer.pdf')]]]),
    mapping: new Map(),
    ...over,
  };
}

test('a first sync creates root, model folder, object folder, then uploads', () => {
  const ops = planDirectSync(input());
  expect(ops.map((o) => [o.kind, 'path' in o.payload ? o.payload.path : null])).toEqual([
    ['create_folder', '/Odoo'],
    ['create_folder', '/Odoo/Sale Orders'],
    ['create_folder', '/Odoo/Sale Orders/S00007'],
    ['upload', '/Odoo/Sale Orders/S00007/offer.pdf'],
  ]);
  expect(new Set(ops.map((o) => o.dedupeKey)).size).toBe(ops.length);
});

test('an object folder is planned even for a record without attachments', () => {
  const ops = planDirectSync(input({ attachments: new Map() }));
  expect(ops.at(-1)).toMatchObject({ kind: 'create_folder', payload: { path: '/Odoo/Sale Orders/S00007' } });
});

test('planning against its own result emits nothing: idempotent', () => {
  const first = planDirectSync(input());
  const mapping = new Map<string, MappedItem>(first.map((o) => [o.payload.ref, { ref: o.payload.ref, path: (o.payload as { path: string }).path }]));
  // The file is mapped and already released (the attachment is a URL now).
  const after = planDirectSync(input({ mapping, attachments: new Map([['sale.order:7', [{ ...binary(70, 7, 'offer.pdf'), type: 'url', url: 'x' }]]]) }));
  expect(after).toEqual([]);
});

test('an uploaded file whose binary is still in the ERP gets its release planned again (crash in between)', () => {
  const mapping = new Map<string, MappedItem>([
    [refs.root(), { ref: 'root', path: '/Odoo' }],
    [refs.modelFolder(1), { ref: 'model:1', path: '/Odoo/Sale Orders' }],
    [refs.objectFolder('sale.order', 7), { ref: 'object:sale.order:7', path: '/Odoo/Sale Orders/S00007' }],
    [refs.attachment(70), { ref: 'attachment:70', path: '/Odoo/Sale Orders/S00007/offer.pdf' }],
  ]);
  expect(planDirectSync(input({ mapping }))).toEqual([
    { kind: 'replace_with_url', dedupeKey: 'replace_with_url:attachment:70', payload: { ref: 'attachment:70', attachmentId: 70, resModel: 'sale.order', resId: 7 } },
  ]);
});

test("priority: the manual's S00001 matches both and goes to 'Cancelled Sale Orders', placed higher", () => {
  const cancelled = model(2, 'Cancelled Sale Orders', 10);
  const orders = model(1, 'Sale Orders', 20);
  const s1 = record(1, 'S00001');
  const s2 = record(2, 'S00002');
  const matches = new Map([[1, [s1, s2]], [2, [s1]]]);
  const assigned = assignRecords([orders, cancelled], matches);
  expect(assigned.get('sale.order:1')!.syncModel.folderName).toBe('Cancelled Sale Orders');
  expect(assigned.get('sale.order:2')!.syncModel.folderName).toBe('Sale Orders');
  const ops = planDirectSync(input({ syncModels: [cancelled, orders], matches, attachments: new Map() }));
  const objectPaths = ops.filter((o) => o.payload.ref.startsWith('object:')).map((o) => (o.payload as { path: string }).path);
  expect(objectPaths.sort()).toEqual(['/Odoo/Cancelled Sale Orders/S00001', '/Odoo/Sale Orders/S00002']);
});

test('names are sanitised and sibling collisions get a stable suffix', () => {
  const ops = planDirectSync(input({
    matches: new Map([[1, [record(3, 'Anita: Oliver'), record(4, 'Anita- Oliver')]]]),
    attachments: new Map([['sale.order:3', [binary(31, 3, 'scan?.pdf'), binary(30, 3, 'scan-.pdf'), binary(32, 3, 'Scan-.PDF')]]]),
  }));
  const paths = ops.map((o) => (o.payload as { path?: string }).path);
  expect(paths).toEqual(expect.arrayContaining([
    '/Odoo/Sale Orders/Anita- Oliver',
    '/Odoo/Sale Orders/Anita- Oliver (2)',
    '/Odoo/Sale Orders/Anita- Oliver/scan-.pdf',
    '/Odoo/Sale Orders/Anita- Oliver/scan- (2).pdf',
    '/Odoo/Sale Orders/Anita- Oliver/Scan- (3).PDF',
  ]));
  // Lowest id keeps the plain name, whatever order the ERP listed them in.
  const upload30 = ops.find((o) => o.kind === 'upload' && o.payload.attachmentId === 30)!;
  expect((upload30.payload as { path: string }).path).toBe('/Odoo/Sale Orders/Anita- Oliver/scan-.pdf');
});

test('a mapped folder keeps its recorded path', () => {
  const mapping = new Map<string, MappedItem>([[refs.root(), { ref: 'root', path: '/Old Root' }]]);
  const ops = planDirectSync(input({ mapping }));
  expect(ops[0]).toMatchObject({ payload: { path: '/Old Root/Sale Orders' } });
});

test('dedupeSiblingNames is case-insensitive and respects names already taken', () => {
  expect(dedupeSiblingNames(['a.pdf', 'A.pdf', 'b'], ['B'])).toEqual(['a.pdf', 'A (2).pdf', 'b (2)']);
});

test("object folders take the sync model's name expression; one that does not parse falls back to the display name", () => {
  const withFields = (id: number, name: string, fields: Record<string, unknown>) => ({ ...record(id, name), fields });
  const named = { ...model(1, 'Sale Orders', 20), nameExpression: '${object.name}, ${object.state}' };
  const ops = planDirectSync(input({ syncModels: [named], matches: new Map([[1, [withFields(7, 'S03093', { state: 'draft' })]]]), attachments: new Map() }));
  expect(ops.at(-1)).toMatchObject({ payload: { path: '/Odoo/Sale Orders/S03093, draft' } });
  const broken = { ...named, nameExpression: '${object.name' };
  const fallback = planDirectSync(input({ syncModels: [broken], attachments: new Map() }));
  expect(fallback.at(-1)).toMatchObject({ payload: { path: '/Odoo/Sale Orders/S00007' } });
});

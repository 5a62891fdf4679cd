import {
  assignRecords, assignSiblingNames, dedupeSiblingNames, isSpellingOf, planDirectSync, refs, withSuffix,
  type DirectOperation, type DirectPlanInput, type MappedItem,
} from '../../src/domain/planning/direct.js';
import type { ErpAttachment, ErpRecord, SyncModel } from '../../src/domain/types.js';

const model = (id: number, folderName: string, sequence: number, m = 'sale.order'): SyncModel => ({
  id, model: m, folderName, sequence, domain: [], periods: [], nameExpression: null, defaultFolders: [], active: true,
});
const record = (id: number, displayName: string, m = 'sale.order'): ErpRecord => ({ model: m, id, displayName, fields: {}, writeDate: '2026-12-01T00:00:00Z' });
const binary = (id: number, resId: number, name: string, resModel = 'sale.order'): ErpAttachment => ({
  id, resModel, resId, name, type: 'binary', url: null, isFolder: false, mimetype: 'application/pdf', size: 10, checksum: null,
});
const orders = model(1, 'Sale Orders', 20);

function input(over: Partial<DirectPlanInput> = {}): DirectPlanInput {
  return {
    rootFolder: 'Odoo',
    syncModels: [orders],
    matches: new Map([[1, [record(7, 'S00007')]]]),
    attachments: new Map([['sale.order:7', [binary(70, 7, 'offer.pdf')]]]),
    mapping: new Map(),
    ...over,
  };
}

const item = (ref: string, path: string, over: Partial<MappedItem> = {}): [string, MappedItem] => {
  const kind = ref === 'root' ? 'root' : ref.startsWith('model:') ? 'model_folder' : ref.startsWith('object:') ? 'object_folder' : 'file';
  const [, m, id] = ref.split(':');
  return [ref, {
    ref, kind, path, syncModelId: kind === 'model_folder' ? Number(m) : kind === 'root' ? null : 1,
    resModel: kind === 'object_folder' ? m! : null, resId: kind === 'object_folder' ? Number(id) : null, attachmentId: null, ...over,
  }];
};

/** The mapping a finished first sync leaves behind. */
const synced = () => new Map<string, MappedItem>([
  item('root', '/Odoo'),
  item('model:1', '/Odoo/Sale Orders'),
  item('object:sale.order:7', '/Odoo/Sale Orders/S00007'),
  item('attachment:70', '/Odoo/Sale Orders/S00007/offer.pdf', { kind: 'file', attachmentId: 70, resModel: 'sale.order', resId: 7 }),
]);
const released = new Map([['sale.order:7', [{ ...binary(70, 7, 'offer.pdf'), type: 'url' as const, url: 'x' }]]]);

const pathOf = (o: DirectOperation) => ('path' in o.payload ? o.payload.path : null);
const summary = (ops: DirectOperation[]) => ops.map((o) => [o.kind, pathOf(o)]);

test('a first sync creates root, model folder, object folder, then uploads', () => {
  const { ops } = planDirectSync(input());
  expect(summary(ops)).toEqual([
    ['create_folder', '/Odoo'],
    ['create_folder', '/Odoo/Sale Orders'],
    ['create_folder', '/Odoo/Sale Orders/S00007'],
    ['upload', '/Odoo/Sale Orders/S00007/offer.pdf'],
  ]);
  expect(ops[2]).toMatchObject({ payload: { parentRef: 'model:1', name: 'S00007' } });
  expect(ops[3]).toMatchObject({ payload: { parentRef: 'object:sale.order:7', name: 'offer.pdf' } });
  expect(new Set(ops.map((o) => o.dedupeKey)).size).toBe(ops.length);
});

test('an object folder is planned even for a record without attachments', () => {
  const { ops } = planDirectSync(input({ attachments: new Map() }));
  expect(ops.at(-1)).toMatchObject({ kind: 'create_folder', payload: { path: '/Odoo/Sale Orders/S00007' } });
});

test('planning against its own result emits nothing: idempotent', () => {
  expect(planDirectSync(input({ mapping: synced(), attachments: released })).ops).toEqual([]);
  // Nothing listed (no ERP change since the cursor) is nothing to do, too.
  expect(planDirectSync(input({ mapping: synced(), attachments: new Map() })).ops).toEqual([]);
});

test('an uploaded file whose binary is still in the ERP gets its release planned again (crash in between)', () => {
  expect(planDirectSync(input({ mapping: synced() })).ops).toEqual([
    { kind: 'replace_with_url', dedupeKey: 'replace_with_url:attachment:70', payload: { ref: 'attachment:70', attachmentId: 70, resModel: 'sale.order', resId: 7 } },
  ]);
});

test("priority: the manual's S005 matches both and goes to 'Cancelled Sale Orders', placed higher", () => {
  const cancelled = model(2, 'Cancelled Sale Orders', 10);
  const anita = model(1, 'Sale Orders of Anita Oliver', 20);
  const s5 = record(5, 'S005');
  const s2 = record(2, 'S002');
  const matches = new Map([[1, [s2, s5]], [2, [s5]]]);
  const assigned = assignRecords([anita, cancelled], matches);
  expect(assigned.get('sale.order:5')!.syncModel.folderName).toBe('Cancelled Sale Orders');
  expect(assigned.get('sale.order:2')!.syncModel.folderName).toBe('Sale Orders of Anita Oliver');
  const { ops } = planDirectSync(input({ syncModels: [anita, cancelled], matches, attachments: new Map() }));
  const objectPaths = ops.filter((o) => o.payload.ref.startsWith('object:')).map(pathOf);
  expect(objectPaths.sort()).toEqual(['/Odoo/Cancelled Sale Orders/S005', '/Odoo/Sale Orders of Anita Oliver/S002']);
});

test('names are sanitised and sibling collisions get a stable suffix', () => {
  const { ops } = planDirectSync(input({
    matches: new Map([[1, [record(3, 'Anita: Oliver'), record(4, 'Anita- Oliver')]]]),
    attachments: new Map([['sale.order:3', [binary(31, 3, 'scan?.pdf'), binary(30, 3, 'scan-.pdf'), binary(32, 3, 'Scan-.PDF')]]]),
  }));
  expect(ops.map(pathOf)).toEqual(expect.arrayContaining([
    '/Odoo/Sale Orders/Anita- Oliver',
    '/Odoo/Sale Orders/Anita- Oliver (2)',
    '/Odoo/Sale Orders/Anita- Oliver/scan-.pdf',
    '/Odoo/Sale Orders/Anita- Oliver/scan- (2).pdf',
    '/Odoo/Sale Orders/Anita- Oliver/Scan- (3).PDF',
  ]));
  // Lowest id keeps the plain name, whatever order the ERP listed them in.
  expect(pathOf(ops.find((o) => o.kind === 'upload' && o.payload.attachmentId === 30)!)).toBe('/Odoo/Sale Orders/Anita- Oliver/scan-.pdf');
});

test('names that sanitise to nothing, unicode and very long names', () => {
  const long = 'Ü'.repeat(300);
  const { ops } = planDirectSync(input({
    matches: new Map([[1, [record(3, '***'), record(4, 'Société Générale ✓'), record(5, long)]]]),
    attachments: new Map([['sale.order:3', [binary(30, 3, '???')]]]),
  }));
  const paths = ops.map(pathOf);
  expect(paths).toEqual(expect.arrayContaining(['/Odoo/Sale Orders/---', '/Odoo/Sale Orders/Société Générale ✓', '/Odoo/Sale Orders/---/---']));
  const longName = ops.find((o) => o.payload.ref === 'object:sale.order:5')!.payload as { name: string };
  expect(Buffer.byteLength(longName.name)).toBeLessThanOrEqual(220);
  expect(longName.name.startsWith('ÜÜÜ')).toBe(true);
});

test('a record renamed in the ERP: its folder is renamed', () => {
  const { ops } = planDirectSync(input({ mapping: synced(), attachments: released, matches: new Map([[1, [record(7, 'S00007 Acme')]]]) }));
  expect(ops).toEqual([expect.objectContaining({ kind: 'move_folder', payload: expect.objectContaining({ ref: 'object:sale.order:7', from: '/Odoo/Sale Orders/S00007', parentRef: 'model:1', name: 'S00007 Acme' }) })]);
});

test("a sync model's folder name changed: one move of the model folder, none of its children", () => {
  const renamed = { ...orders, folderName: 'Orders' };
  const { ops } = planDirectSync(input({ syncModels: [renamed], mapping: synced(), attachments: released }));
  expect(summary(ops)).toEqual([['move_folder', '/Odoo/Orders']]);
});

test('the root folder renamed in the connection: one move of the root', () => {
  const { ops } = planDirectSync(input({ rootFolder: 'ERP Files', mapping: synced(), attachments: released }));
  expect(ops).toEqual([expect.objectContaining({ kind: 'move_folder', payload: expect.objectContaining({ ref: 'root', parentRef: null, name: 'ERP Files', from: '/Odoo' }) })]);
});

test('a folder found renamed in the cloud (mapping shows where it is) is moved back', () => {
  const mapping = synced();
  mapping.set(...item('object:sale.order:7', '/Odoo/Sale Orders/renamed by Bob'));
  mapping.set('attachment:70', { ...mapping.get('attachment:70')!, path: '/Odoo/Sale Orders/renamed by Bob/offer.pdf' });
  const { ops } = planDirectSync(input({ mapping, attachments: released }));
  expect(summary(ops)).toEqual([['move_folder', '/Odoo/Sale Orders/S00007']]);
  // Discovery rebases everything below a folder it found elsewhere.
  const rebased = new Map([...synced()].map(([k, v]) => [k, { ...v, path: v.path.replace('/Odoo/Sale Orders', '/Odoo/Sales by Bob') }]));
  const moved = planDirectSync(input({ mapping: rebased, attachments: released }));
  expect(summary(moved.ops)).toEqual([['move_folder', '/Odoo/Sale Orders']]);
});

test('a folder gone from the cloud (forgotten by discovery) is created again, without re-uploading released files', () => {
  const mapping = synced();
  mapping.delete('object:sale.order:7');
  const { ops } = planDirectSync(input({ mapping, attachments: released }));
  expect(summary(ops)).toEqual([['create_folder', '/Odoo/Sale Orders/S00007']]);
});

test('reassignment: a record now matching a higher sync model moves there, files and all', () => {
  const cancelled = model(2, 'Cancelled Sale Orders', 10);
  const mapping = synced();
  mapping.set(...item('model:2', '/Odoo/Cancelled Sale Orders'));
  const { ops } = planDirectSync(input({ syncModels: [orders, cancelled], matches: new Map([[1, [record(7, 'S00007')]], [2, [record(7, 'S00007')]]]), mapping, attachments: released }));
  expect(ops).toEqual([expect.objectContaining({
    kind: 'move_folder',
    payload: expect.objectContaining({ ref: 'object:sale.order:7', parentRef: 'model:2', from: '/Odoo/Sale Orders/S00007', path: '/Odoo/Cancelled Sale Orders/S00007', target: { kind: 'object_folder', syncModelId: 2, resModel: 'sale.order', resId: 7 } }),
  })]);
});

test('reassignment after the old sync model was deleted: the folder moves to the new one', () => {
  const byState = model(3, 'Orders by state', 30);
  const mapping = synced();
  const { ops } = planDirectSync(input({ syncModels: [byState], matches: new Map([[3, [record(7, 'S00007')]]]), mapping, attachments: released }));
  expect(summary(ops)).toEqual([['create_folder', '/Odoo/Orders by state'], ['move_folder', '/Odoo/Orders by state/S00007']]);
});

test('a record that stops matching: no operation at all, its folder stays; its name stays taken', () => {
  expect(planDirectSync(input({ mapping: synced(), matches: new Map([[1, []]]), attachments: released })).ops).toEqual([]);
  // A new record with the same display name does not take the staying folder's name.
  const { ops } = planDirectSync(input({ mapping: synced(), matches: new Map([[1, [record(8, 'S00007')]]]), attachments: new Map() }));
  expect(summary(ops)).toEqual([['create_folder', '/Odoo/Sale Orders/S00007 (2)']]);
});

test('a record that starts matching: folder created and its attachments uploaded', () => {
  const mapping = synced();
  const { ops } = planDirectSync(input({
    mapping,
    matches: new Map([[1, [record(7, 'S00007'), record(9, 'S00009')]]]),
    attachments: new Map([...released, ['sale.order:9', [binary(90, 9, 'po.pdf')]]]),
  }));
  expect(summary(ops)).toEqual([['create_folder', '/Odoo/Sale Orders/S00009'], ['upload', '/Odoo/Sale Orders/S00009/po.pdf']]);
});

test('a deleted sync model keeps its folder, and its name is not reused', () => {
  const other = model(2, 'Sale Orders', 30);
  const { ops } = planDirectSync(input({ syncModels: [other], matches: new Map(), mapping: synced(), attachments: new Map() }));
  expect(summary(ops)).toEqual([['create_folder', '/Odoo/Sale Orders (2)']]);
});

test('a record deleted in the ERP: its folder is deleted; a URL attachment deleted in the ERP: its file is deleted', () => {
  const gone = planDirectSync(input({ mapping: synced(), matches: new Map([[1, []]]), attachments: new Map(), deletedRecords: new Set(['sale.order:7']) }));
  expect(gone.ops).toEqual([expect.objectContaining({ kind: 'delete_item', payload: expect.objectContaining({ ref: 'object:sale.order:7', reason: 'record_deleted' }) })]);
  const file = planDirectSync(input({ mapping: synced(), attachments: new Map(), deletedAttachments: new Set([70]) }));
  expect(file.ops).toEqual([expect.objectContaining({ kind: 'delete_item', payload: expect.objectContaining({ ref: 'attachment:70', reason: 'attachment_deleted', path: '/Odoo/Sale Orders/S00007/offer.pdf' }) })]);
  // Out of scope: not checked, nothing deleted.
  expect(planDirectSync(input({ mapping: synced(), matches: new Map([[1, []]]), attachments: new Map(), deletedAttachments: new Set([70]) })).ops).toEqual([]);
});

test('a deleted record frees its folder name for a new record in the same run (deletes come first)', () => {
  const { ops } = planDirectSync(input({ mapping: synced(), matches: new Map([[1, [record(8, 'S00007')]]]), attachments: new Map(), deletedRecords: new Set(['sale.order:7']) }));
  expect(summary(ops)).toEqual([['delete_item', '/Odoo/Sale Orders/S00007'], ['create_folder', '/Odoo/Sale Orders/S00007']]);
});

test('sibling names are stable: one record leaving scope or joining never renames the others', () => {
  const mapping = new Map<string, MappedItem>([
    item('root', '/Odoo'), item('model:1', '/Odoo/Sale Orders'),
    item('object:sale.order:3', '/Odoo/Sale Orders/Acme'),
    item('object:sale.order:5', '/Odoo/Sale Orders/Acme (2)'),
  ]);
  // Record 3 leaves scope: 5 keeps "Acme (2)". A new record 1 "Acme" gets "Acme (3)".
  const { ops } = planDirectSync(input({ mapping, matches: new Map([[1, [record(1, 'Acme'), record(5, 'Acme')]]]), attachments: new Map() }));
  expect(summary(ops)).toEqual([['create_folder', '/Odoo/Sale Orders/Acme (3)']]);
});

test('default folders travel with the creation of a new object folder', () => {
  const withDefaults = { ...orders, defaultFolders: [{ name: 'Folder 1', children: [{ name: 'Folder 1.1', children: [] }] }] };
  const { ops } = planDirectSync(input({ syncModels: [withDefaults], attachments: new Map() }));
  expect(ops.at(-1)).toMatchObject({ kind: 'create_folder', payload: { target: { kind: 'object_folder' }, defaultFolders: withDefaults.defaultFolders } });
  expect(ops[1]).toMatchObject({ kind: 'create_folder', payload: { target: { kind: 'model_folder' }, defaultFolders: [] } });
});

test("object folders take the sync model's name expression; errors and empty results fall back with a warning naming the sync model", () => {
  const withFields = (id: number, name: string, fields: Record<string, unknown>) => ({ ...record(id, name), fields });
  const named = { ...orders, nameExpression: '${object.name}, ${object.state}' };
  const ok = planDirectSync(input({ syncModels: [named], matches: new Map([[1, [withFields(7, 'S03093', { state: 'draft' })]]]), attachments: new Map() }));
  expect(ok.ops.at(-1)).toMatchObject({ payload: { path: '/Odoo/Sale Orders/S03093, draft' } });
  expect(ok.warnings).toEqual([]);

  const broken = { ...named, nameExpression: '${process.exit()}' };
  const fallback = planDirectSync(input({ syncModels: [broken], matches: new Map([[1, [record(7, 'S00007'), record(8, 'S00008')]]]), attachments: new Map() }));
  expect(fallback.ops.filter((o) => o.payload.ref.startsWith('object:')).map(pathOf)).toEqual(['/Odoo/Sale Orders/S00007', '/Odoo/Sale Orders/S00008']);
  expect(fallback.warnings).toHaveLength(1);
  expect(fallback.warnings[0]!.message).toMatch(/name expression of sync model "Sale Orders" \(1\) has a syntax error/);

  const empty = { ...orders, nameExpression: '${object.mobile or ""}' };
  const fromEmpty = planDirectSync(input({ syncModels: [empty], attachments: new Map() }));
  expect(fromEmpty.ops.at(-1)).toMatchObject({ payload: { path: '/Odoo/Sale Orders/S00007' } });
  expect(fromEmpty.warnings[0]).toMatchObject({ syncModelId: 1, resId: 7, message: expect.stringMatching(/empty name for sale.order,7/) });
  // No warning when nothing is planned for the record.
  const mapped = new Map([...synced()]);
  expect(planDirectSync(input({ syncModels: [empty], mapping: mapped, attachments: released })).warnings).toEqual([]);
});

test('introducing a name expression renames existing object folders', () => {
  const named = { ...orders, nameExpression: 'Order ${object.name}' };
  const { ops } = planDirectSync(input({ syncModels: [named], mapping: synced(), attachments: released }));
  expect(summary(ops)).toEqual([['move_folder', '/Odoo/Sale Orders/Order S00007']]);
});

test('dedupeSiblingNames is case-insensitive and respects names already taken', () => {
  expect(dedupeSiblingNames(['a.pdf', 'A.pdf', 'b'], ['B'])).toEqual(['a.pdf', 'A (2).pdf', 'b (2)']);
});

test('assignSiblingNames keeps current spellings; isSpellingOf', () => {
  expect(assignSiblingNames([{ key: 'a', base: 'X', current: null }, { key: 'b', base: 'X', current: 'X (4)' }])).toEqual([['a', 'X'], ['b', 'X (4)']]);
  expect(isSpellingOf('offer (2).pdf', 'offer.pdf')).toBe(true);
  expect(isSpellingOf('offer (1).pdf', 'offer.pdf')).toBe(false);
  expect(isSpellingOf('offer (x).pdf', 'offer.pdf')).toBe(false);
  expect(isSpellingOf('Acme Ltd', 'Acme')).toBe(false);
  expect(isSpellingOf('Acme (12)', 'Acme')).toBe(true);
});

test('withSuffix numbers the last segment before a real extension only', () => {
  expect(withSuffix('offer.pdf', 2)).toBe('offer (2).pdf');
  expect(withSuffix('archive.tar.gz', 3)).toBe('archive.tar (3).gz');
  expect(withSuffix('/Odoo/Contacts/J. Smith/README', 2)).toBe('/Odoo/Contacts/J. Smith/README (2)');
  expect(withSuffix('/Odoo/Contacts/J. Smith/notes.txt', 2)).toBe('/Odoo/Contacts/J. Smith/notes (2).txt');
  expect(withSuffix('J. Smith', 2)).toBe('J. Smith (2)');
  expect(withSuffix('.bashrc', 2)).toBe('.bashrc (2)');
  expect(isSpellingOf('J. Smith (2)', 'J. Smith')).toBe(true);
});

test('refs are stable identities', () => {
  expect([refs.root(), refs.modelFolder(3), refs.objectFolder('res.partner', 7), refs.attachment(12)]).toEqual(['root', 'model:3', 'object:res.partner:7', 'attachment:12']);
});

test('names follow the cloud\'s own rules when its capabilities give some (a Nextcloud 30 forbidding desktop.ini and ";")', () => {
  const over = {
    rootFolder: 'Odoo;ERP', syncModels: [model(1, 'Sale;Orders', 20)],
    matches: new Map([[1, [record(7, 'S;00007')]]]),
    attachments: new Map([['sale.order:7', [binary(70, 7, 'desktop.ini')]]]),
  };
  expect(summary(planDirectSync({ ...input(over), naming: { forbiddenNames: ['desktop.ini'], forbiddenCharacters: [';'] } }).ops)).toEqual([
    ['create_folder', '/Odoo-ERP'],
    ['create_folder', '/Odoo-ERP/Sale-Orders'],
    ['create_folder', '/Odoo-ERP/Sale-Orders/S-00007'],
    ['upload', '/Odoo-ERP/Sale-Orders/S-00007/desktop-ini'],
  ]);
  // Without the rules (plain WebDAV, older Nextcloud): the names as they are.
  expect(summary(planDirectSync(input(over)).ops).at(-1)).toEqual(['upload', '/Odoo;ERP/Sale;Orders/S;00007/desktop.ini']);
});

/**
 * Enterprise Documents in the pure domain: folders nested parents first (src/domain/documents.ts),
 * and the direct plan mirroring the nesting under "Odoo Docs" (src/domain/planning/direct.ts).
 */
import { documentsSyncModel, DOCUMENTS_MODEL, nestFolders } from '../../src/domain/documents.js';
import { planDirectSync, type DirectOperation, type MappedItem } from '../../src/domain/planning/direct.js';
import type { ErpAttachment, ErpRecord } from '../../src/domain/types.js';

const folder = (id: number, name: string, parentId: number | null = null): ErpRecord => ({ model: DOCUMENTS_MODEL, id, displayName: name, fields: {}, writeDate: '2026-12-01T00:00:00Z', parentId });
const file = (id: number, folderId: number, name: string): ErpAttachment => ({
  id, resModel: DOCUMENTS_MODEL, resId: folderId, name, type: 'binary', url: null, isFolder: false, mimetype: 'image/jpeg', size: 10, checksum: null,
});
const docs = documentsSyncModel();
const plan = (folders: ErpRecord[], over: { files?: ErpAttachment[]; mapping?: Map<string, MappedItem>; deleted?: number[] } = {}) => planDirectSync({
  rootFolder: 'Odoo', syncModels: [docs], matches: new Map([[docs.id, folders]]),
  deletedRecords: new Set((over.deleted ?? []).map((id) => `${DOCUMENTS_MODEL}:${id}`)),
  attachments: (over.files ?? []).reduce((m, f) => m.set(`${DOCUMENTS_MODEL}:${f.resId}`, [...(m.get(`${DOCUMENTS_MODEL}:${f.resId}`) ?? []), f]), new Map<string, ErpAttachment[]>()),
  mapping: over.mapping ?? new Map(),
});
const summary = (ops: DirectOperation[]) => ops.map((o) => [o.kind, 'path' in o.payload ? o.payload.path : null]);
const ref = (id: number) => `object:${DOCUMENTS_MODEL}:${id}`;

describe('nestFolders', () => {
  test('parents before children, each with its parent and depth', () => {
    const out = nestFolders([folder(3, 'Scans', 2), folder(2, 'HR', 1), folder(1, 'Company'), folder(4, 'Finance')]);
    expect(out.map((o) => [o.record.id, o.parent, o.depth])).toEqual([[1, null, 0], [4, null, 0], [2, 1, 1], [3, 2, 2]]);
  });
  test('a folder whose parent is not among them (archived, not readable) goes to the top', () => {
    expect(nestFolders([folder(5, 'Orphan', 99)]).map((o) => [o.record.id, o.parent])).toEqual([[5, null]]);
  });
  test('a cycle (a broken database) is cut at its lowest id, nothing is lost', () => {
    const out = nestFolders([folder(7, 'A', 8), folder(8, 'B', 9), folder(9, 'C', 7), folder(10, 'D', 9)]);
    // 7 -> 8 -> 9 -> 7: 7 loses its parent link; 9 (parent 7) and 8 (parent 9) hang below it.
    expect(out.map((o) => [o.record.id, o.parent, o.depth])).toEqual([[7, null, 0], [9, 7, 1], [8, 9, 2], [10, 9, 2]]);
  });
  test('records that do not nest keep id order (every ordinary sync model)', () => {
    const flat = [3, 1, 2].map((id) => ({ ...folder(id, `R${id}`), parentId: undefined }));
    expect(nestFolders(flat).map((o) => [o.record.id, o.parent])).toEqual([[1, null], [2, null], [3, null]]);
  });
});

describe('the direct plan of Documents', () => {
  test('the folders nest under Root / Odoo Docs, parents first; the files go into their folder', () => {
    const { ops } = plan([folder(2, 'Contracts', 1), folder(1, 'HR')], { files: [file(50, 2, 'contract.pdf'), file(51, 1, 'scan.jpeg')] });
    expect(summary(ops)).toEqual([
      ['create_folder', '/Odoo'],
      ['create_folder', '/Odoo/Odoo Docs'],
      ['create_folder', '/Odoo/Odoo Docs/HR'],
      ['create_folder', '/Odoo/Odoo Docs/HR/Contracts'],
      ['upload', '/Odoo/Odoo Docs/HR/scan.jpeg'],
      ['upload', '/Odoo/Odoo Docs/HR/Contracts/contract.pdf'],
    ]);
    expect(ops[3]).toMatchObject({ payload: { parentRef: ref(1), name: 'Contracts', target: { kind: 'object_folder', syncModelId: -1, resModel: DOCUMENTS_MODEL, resId: 2 } } });
  });

  test('a folder moved to another parent in Odoo is moved, its subtree with it; siblings with one name are told apart per parent', () => {
    const mapping = new Map<string, MappedItem>([
      ['root', { ref: 'root', kind: 'root', path: '/Odoo', syncModelId: null, resModel: null, resId: null, attachmentId: null }],
      ['model:-1', { ref: 'model:-1', kind: 'model_folder', path: '/Odoo/Odoo Docs', syncModelId: -1, resModel: null, resId: null, attachmentId: null }],
      ...[[1, '/Odoo/Odoo Docs/HR'], [2, '/Odoo/Odoo Docs/HR/2026'], [3, '/Odoo/Odoo Docs/Finance'], [4, '/Odoo/Odoo Docs/HR/2026/Scans']].map(([id, path]) =>
        [ref(id as number), { ref: ref(id as number), kind: 'object_folder', path: path as string, syncModelId: -1, resModel: DOCUMENTS_MODEL, resId: id as number, attachmentId: null }] as [string, MappedItem]),
    ]);
    // 2026 moves from HR to Finance, where a folder of the same name is new.
    const { ops } = plan([folder(1, 'HR'), folder(2, '2026', 3), folder(3, 'Finance'), folder(4, 'Scans', 2), folder(5, '2026', 3)], { mapping });
    expect(summary(ops)).toEqual([
      ['move_folder', '/Odoo/Odoo Docs/Finance/2026'],
      ['create_folder', '/Odoo/Odoo Docs/Finance/2026 (2)'],
    ]);
    expect(ops[0]).toMatchObject({ payload: { parentRef: ref(3), from: '/Odoo/Odoo Docs/HR/2026' } });
  });

  test('a file named like a subfolder beside it takes another name', () => {
    const { ops } = plan([folder(1, 'HR'), folder(2, 'Contracts', 1)], { files: [file(60, 1, 'Contracts')] });
    expect(summary(ops).filter(([k]) => k === 'upload')).toEqual([['upload', '/Odoo/Odoo Docs/HR/Contracts (2)']]);
  });

  test('a folder deleted in Odoo after a subfolder moved out of it: the subfolder moves out first, the folder goes the next run', () => {
    const row = (ref: string, kind: MappedItem['kind'], path: string, resId: number | null = null): [string, MappedItem] =>
      [ref, { ref, kind, path, syncModelId: kind === 'root' ? null : -1, resModel: resId === null ? null : DOCUMENTS_MODEL, resId, attachmentId: null }];
    const before = new Map<string, MappedItem>([
      row('root', 'root', '/Odoo'), row('model:-1', 'model_folder', '/Odoo/Odoo Docs'),
      row(ref(1), 'object_folder', '/Odoo/Odoo Docs/Old', 1), row(ref(2), 'object_folder', '/Odoo/Odoo Docs/Old/Keep', 2), row(ref(3), 'object_folder', '/Odoo/Odoo Docs/New', 3),
    ]);
    const first = plan([folder(2, 'Keep', 3), folder(3, 'New')], { mapping: before, deleted: [1] });
    expect(summary(first.ops)).toEqual([['move_folder', '/Odoo/Odoo Docs/New/Keep']]);
    const after = new Map(before);
    after.set(ref(2), { ...before.get(ref(2))!, path: '/Odoo/Odoo Docs/New/Keep' });
    expect(summary(plan([folder(2, 'Keep', 3), folder(3, 'New')], { mapping: after, deleted: [1] }).ops)).toEqual([['delete_item', '/Odoo/Odoo Docs/Old']]);
  });

  test('a synced document moved to another folder in Odoo: its cloud file follows, under its cloud name', () => {
    const row = (r: string, kind: MappedItem['kind'], path: string, resId: number | null = null, attachmentId: number | null = null): [string, MappedItem] =>
      [r, { ref: r, kind, path, syncModelId: kind === 'root' ? null : -1, resModel: resId === null ? null : DOCUMENTS_MODEL, resId, attachmentId }];
    const mapping = new Map<string, MappedItem>([
      row('root', 'root', '/Odoo'), row('model:-1', 'model_folder', '/Odoo/Odoo Docs'),
      row(ref(1), 'object_folder', '/Odoo/Odoo Docs/HR', 1), row(ref(2), 'object_folder', '/Odoo/Odoo Docs/Finance', 2),
      row('attachment:70', 'file', '/Odoo/Odoo Docs/HR/scan (cloud name).jpeg', 1, 70),
    ]);
    const moved = { ...file(70, 2, 'scan.jpeg'), type: 'url' as const, url: 'x' };
    const { ops } = plan([folder(1, 'HR'), folder(2, 'Finance')], { mapping, files: [moved] });
    expect(summary(ops)).toEqual([['move_folder', '/Odoo/Odoo Docs/Finance/scan (cloud name).jpeg']]);
    expect(ops[0]).toMatchObject({ payload: { ref: 'attachment:70', parentRef: ref(2), from: '/Odoo/Odoo Docs/HR/scan (cloud name).jpeg', target: { kind: 'file', resId: 2 } } });
    // Where it already is: nothing.
    expect(plan([folder(1, 'HR'), folder(2, 'Finance')], { mapping, files: [{ ...moved, resId: 1 }] }).ops).toEqual([]);
  });
});


import type { CloudItem } from '../../src/cloud/port.js';
import { MIN_GUARDED_UNLINKS, planBackwardSync, type BackwardPlanInput, type TrackedItem } from '../../src/domain/planning/backward.js';

const file = (path: string, etag: string, size = 10, fileId: string | null = null): CloudItem => ({ path, type: 'file', size, etag, lastModified: null, fileId });
const dir = (path: string, etag: string, fileId: string | null = null): CloudItem => ({ path, type: 'folder', size: 0, etag, lastModified: null, fileId });
const A = '/Odoo/Contacts/Azure';
const D = '/Odoo/Contacts/Deco';
const tracked = (id: number, path: string, over: Partial<TrackedItem> = {}): TrackedItem => ({
  ref: `attachment:${id}`, attachmentId: id, kind: 'file', path, fileId: null, etag: `e${id}`, size: 10, resModel: 'res.partner', resId: path.startsWith(A) ? 1 : 2, ...over,
});

function input(over: Partial<BackwardPlanInput> = {}): BackwardPlanInput {
  return {
    scanned: [{ resModel: 'res.partner', resId: 1, path: A, children: [file(`${A}/scan.pdf`, 'e1')] }],
    missing: [],
    tracked: [tracked(1, `${A}/scan.pdf`)],
    erpNames: new Map([[1, 'scan.pdf']]),
    maxDeleteShare: 0.2,
    deletionsAcknowledged: false,
    ...over,
  };
}
const kinds = (i: BackwardPlanInput) => planBackwardSync(i).ops.map((o) => [o.kind, 'reason' in o.payload ? o.payload.reason : o.payload.path]);

test('nothing changed: nothing to do', () => {
  expect(planBackwardSync(input()).ops).toEqual([]);
});

test('a new file and a new first-level subfolder become URL attachments of the record', () => {
  const { ops } = planBackwardSync(input({ scanned: [{ resModel: 'res.partner', resId: 1, path: A, children: [file(`${A}/scan.pdf`, 'e1'), file(`${A}/photo.jpg`, 'x', 99), dir(`${A}/Drafts`, 'y')] }] }));
  expect(ops).toEqual([
    expect.objectContaining({ kind: 'create_link', payload: expect.objectContaining({ name: 'photo.jpg', isFolder: false, size: 99, mimetype: 'image/jpeg', resId: 1 }) }),
    expect.objectContaining({ kind: 'create_link', payload: expect.objectContaining({ name: 'Drafts', isFolder: true, mimetype: 'application/x-directory' }) }),
  ]);
});

test('our own uploads (tracked) are never re-imported; the probe file never is', () => {
  expect(planBackwardSync(input({ scanned: [{ resModel: 'res.partner', resId: 1, path: A, children: [file(`${A}/scan.pdf`, 'e1'), file(`${A}/.sync-probe-ab12.txt`, 'z')] }] })).ops).toEqual([]);
});

test('a file renamed in the cloud (same ETag, plain WebDAV) renames its attachment', () => {
  expect(kinds(input({ scanned: [{ resModel: 'res.partner', resId: 1, path: A, children: [file(`${A}/scan-2020.pdf`, 'e1')] }] }))).toEqual([['update_link', 'renamed']]);
});

test('a file moved to another object folder moves the same attachment to that record', () => {
  const { ops } = planBackwardSync(input({
    scanned: [
      { resModel: 'res.partner', resId: 1, path: A, children: [] },
      { resModel: 'res.partner', resId: 2, path: D, children: [file(`${D}/scan.pdf`, 'e1')] },
    ],
  }));
  expect(ops).toEqual([expect.objectContaining({ kind: 'update_link', payload: expect.objectContaining({ attachmentId: 1, resId: 2, reason: 'moved', path: `${D}/scan.pdf` }) })]);
});

test('with file ids, identity survives a rename and a content change at once', () => {
  const withId = input({
    tracked: [tracked(1, `${A}/scan.pdf`, { fileId: '77' })],
    scanned: [{ resModel: 'res.partner', resId: 1, path: A, children: [file(`${A}/renamed.pdf`, 'new-etag', 20, '77')] }],
  });
  expect(planBackwardSync(withId).ops).toEqual([expect.objectContaining({ kind: 'update_link', payload: expect.objectContaining({ reason: 'renamed', size: 20, etag: 'new-etag', name: 'renamed.pdf' }) })]);
  // Same name, another file id: ours is gone, a new one came.
  const replaced = input({ tracked: [tracked(1, `${A}/scan.pdf`, { fileId: '77' })], scanned: [{ resModel: 'res.partner', resId: 1, path: A, children: [file(`${A}/scan.pdf`, 'e9', 10, '78')] }] });
  expect(planBackwardSync(replaced).ops.map((o) => o.kind).sort()).toEqual(['create_link', 'unlink']);
});

test('content changed: size and ETag refreshed', () => {
  expect(kinds(input({ scanned: [{ resModel: 'res.partner', resId: 1, path: A, children: [file(`${A}/scan.pdf`, 'e1-v2', 12)] }] }))).toEqual([['update_link', 'changed']]);
});

test('a file deleted in the cloud unlinks its attachment; one in a folder not listed this run is left alone', () => {
  expect(kinds(input({ scanned: [{ resModel: 'res.partner', resId: 1, path: A, children: [] }] }))).toEqual([['unlink', `${A}/scan.pdf`]]);
  expect(planBackwardSync(input({ scanned: [] })).ops).toEqual([]);
});

test('an object folder gone from the cloud unlinks what it held', () => {
  expect(kinds(input({ scanned: [], missing: [{ path: A }], tracked: [tracked(1, `${A}/scan.pdf`), tracked(2, `${A}/sub/x.pdf`)] }))).toEqual([
    ['unlink', `${A}/scan.pdf`], ['unlink', `${A}/sub/x.pdf`],
  ]);
});

test('an attachment renamed in the ERP gets the cloud name back, listed or not', () => {
  expect(kinds(input({ erpNames: new Map([[1, 'my name.pdf']]) }))).toEqual([['update_link', 'restored']]);
  expect(kinds(input({ scanned: [], erpNames: new Map([[1, 'my name.pdf']]) }))).toEqual([['update_link', 'restored']]);
});

describe('the mass-deletion guard (maxDeleteShare 0.2)', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => tracked(i + 1, `${A}/f${i}.pdf`));
  const scanKeeping = (keep: number) => [{ resModel: 'res.partner', resId: 1, path: A, children: Array.from({ length: keep }, (_, i) => file(`${A}/f${i}.pdf`, `e${i + 1}`)) }];
  test('at the share: the unlinks go through', () => {
    // 50 tracked, 10 gone = 20%: not more than the share.
    const plan = planBackwardSync(input({ tracked: many(50), scanned: scanKeeping(40), erpNames: new Map() }));
    expect(plan.held).toBeNull();
    expect(plan.ops.filter((o) => o.kind === 'unlink')).toHaveLength(10);
  });
  test('above the share: nothing is unlinked, the hold says how many and where', () => {
    const plan = planBackwardSync(input({ tracked: many(50), scanned: scanKeeping(39), erpNames: new Map() }));
    expect(plan.ops.filter((o) => o.kind === 'unlink')).toEqual([]);
    expect(plan.held).toEqual({ count: 11, tracked: 50, where: [A] });
  });
  test('acknowledged: they go through', () => {
    expect(planBackwardSync(input({ tracked: many(50), scanned: scanKeeping(39), erpNames: new Map(), deletionsAcknowledged: true })).held).toBeNull();
  });
  test(`fewer than ${MIN_GUARDED_UNLINKS} unlinks are never held`, () => {
    expect(planBackwardSync(input({ tracked: many(4), scanned: scanKeeping(0), erpNames: new Map() })).held).toBeNull();
  });
});

test('a subfolder whose folder link was deleted in the ERP is not linked again', () => {
  const scanned = [{ resModel: 'res.partner', resId: 1, path: A, children: [file(`${A}/scan.pdf`, 'e1'), dir(`${A}/Old`, 'o')] }];
  expect(planBackwardSync(input({ scanned })).ops.map((o) => o.kind)).toEqual(['create_link']);
  expect(planBackwardSync(input({ scanned, ignore: new Set([`${A}/Old`]) })).ops).toEqual([]);
});

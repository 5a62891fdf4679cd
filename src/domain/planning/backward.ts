/**
 * Backward sync planning (cloud -> ERP): compares what a scan listed in the object folders
 * with the items the service tracks there and emits the ERP-side operations. Pure.
 *
 * The manual's principle: folders are managed by the ERP, files by the cloud. So a file or
 * first-level subfolder that appears becomes a URL attachment; one renamed renames its
 * attachment (and an attachment renamed in the ERP gets the cloud name back); one moved to
 * another object folder moves the *same* attachment to that record; one gone unlinks it;
 * a file whose content changed refreshes its attachment.
 *
 * Identity, best first: the server's file id (survives renames and moves), then the path,
 * then, for items that vanished in one place and appeared in another, the same ETag and
 * size seen exactly once (a rename or move on a plain WebDAV server).
 */
import type { CloudItem } from '../../cloud/port.js';
import { guessMimetype } from '../mimetypes.js';

export interface TrackedItem {
  ref: string;
  attachmentId: number;
  kind: 'file' | 'folder_link';
  path: string;
  fileId: string | null;
  etag: string | null;
  size: number | null;
  resModel: string;
  resId: number;
}

export interface ScannedFolder {
  /** The object folder's record. */
  resModel: string;
  resId: number;
  path: string;
  /** Its direct children, as listed now. */
  children: CloudItem[];
}

export interface BackwardPlanInput {
  /** Object folders listed this run. */
  scanned: ScannedFolder[];
  /** Object folders (of records in scope) that are gone from the cloud, with all they held. */
  missing: { path: string }[];
  /** Every item tracked in the object folders of records in scope. */
  tracked: TrackedItem[];
  /** The ERP's current name of each tracked attachment (to restore cloud names). */
  erpNames: Map<number, string>;
  maxDeleteShare: number;
  /** An admin acknowledged the deletions held back by an earlier run. */
  deletionsAcknowledged: boolean;
  /**
   * Paths never (re)linked: subfolders whose folder link was deleted in the ERP. Deleting
   * the cloud folder would take files nobody tracks with it, so the link just stays away.
   */
  ignore?: Set<string>;
}

interface Target { resModel: string; resId: number; path: string; name: string }

export type BackwardOperation =
  | { kind: 'create_link'; dedupeKey: string; payload: Target & { isFolder: boolean; size: number; etag: string | null; fileId: string | null; mimetype: string } }
  | { kind: 'update_link'; dedupeKey: string; payload: Target & { ref: string; attachmentId: number; from: string; size: number | null; etag: string | null; fileId: string | null; mimetype: string | null; reason: 'renamed' | 'moved' | 'changed' | 'restored' } }
  | { kind: 'unlink'; dedupeKey: string; payload: { ref: string; attachmentId: number; path: string; resModel: string; resId: number } };

export interface DeletionHold {
  count: number;
  tracked: number;
  where: string[];
}

export interface BackwardPlan {
  ops: BackwardOperation[];
  /** Set when the mass-deletion guard held the unlinks back. */
  held: DeletionHold | null;
}

/** Fewer unlinks than this in one run are never held: deleting a file or two is normal. */
export const MIN_GUARDED_UNLINKS = 5;

/** Names the service itself leaves for a moment (the connection probe); never imported. */
const isOwnScratch = (name: string) => name.startsWith('.sync-probe-');

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';

export function planBackwardSync(input: BackwardPlanInput): BackwardPlan {
  const folders = new Map(input.scanned.map((f) => [f.path, f]));
  const goneFolders = input.missing.map((m) => m.path);
  const isGoneFolder = (path: string) => goneFolders.some((g) => path === g || path.startsWith(g + '/'));
  const matched = new Map<TrackedItem, { item: CloudItem; folder: ScannedFolder }>();
  const claimed = new Set<CloudItem>();
  const ignore = input.ignore ?? new Set<string>();
  const children = input.scanned.flatMap((f) => f.children.filter((c) => !isOwnScratch(baseName(c.path)) && !ignore.has(c.path)).map((item) => ({ item, folder: f })));

  // 1. The file id, anywhere in the scan.
  for (const t of input.tracked) {
    if (!t.fileId) continue;
    const hit = children.find((c) => c.item.fileId === t.fileId && !claimed.has(c.item));
    if (hit) { matched.set(t, hit); claimed.add(hit.item); }
  }
  // 2. The path, where the file ids do not say otherwise.
  for (const t of input.tracked) {
    if (matched.has(t)) continue;
    const hit = children.find((c) => c.item.path === t.path && !claimed.has(c.item) && !(t.fileId && c.item.fileId && c.item.fileId !== t.fileId));
    if (hit) { matched.set(t, hit); claimed.add(hit.item); }
  }
  // 3. Vanished here, appeared there with the same ETag and size: a rename or a move.
  const vanished = input.tracked.filter((t) => !matched.has(t) && !t.fileId && (folders.has(parentOf(t.path)) || isGoneFolder(t.path)));
  for (const t of vanished) {
    if (!t.etag) continue;
    const same = children.filter((c) => !claimed.has(c.item) && c.item.etag === t.etag && (t.kind === 'folder_link' ? c.item.type === 'folder' : c.item.type === 'file' && c.item.size === t.size));
    if (same.length === 1 && vanished.filter((o) => o.etag === t.etag).length === 1) { matched.set(t, same[0]!); claimed.add(same[0]!.item); }
  }

  const ops: BackwardOperation[] = [];
  const unlinks: BackwardOperation[] = [];
  for (const t of input.tracked) {
    const hit = matched.get(t);
    if (!hit) {
      // Only what was looked at can be gone: a folder not listed this run (unchanged) is not.
      if (folders.has(parentOf(t.path)) || isGoneFolder(t.path)) {
        unlinks.push({ kind: 'unlink', dedupeKey: `unlink:${t.ref}`, payload: { ref: t.ref, attachmentId: t.attachmentId, path: t.path, resModel: t.resModel, resId: t.resId } });
      } else if (input.erpNames.has(t.attachmentId) && input.erpNames.get(t.attachmentId) !== baseName(t.path)) {
        ops.push(update(t, { resModel: t.resModel, resId: t.resId, path: t.path, name: baseName(t.path) }, null, 'restored'));
      }
      continue;
    }
    const { item, folder } = hit;
    const target = { resModel: folder.resModel, resId: folder.resId, path: item.path, name: baseName(item.path) };
    const moved = folder.resModel !== t.resModel || folder.resId !== t.resId;
    const renamed = item.path !== t.path;
    const changed = item.type === 'file' && (item.size !== t.size || (item.etag !== null && t.etag !== null && item.etag !== t.etag));
    const erpName = input.erpNames.get(t.attachmentId);
    if (moved || renamed || changed) ops.push(update(t, target, item, moved ? 'moved' : renamed ? 'renamed' : 'changed'));
    else if (erpName !== undefined && erpName !== target.name) ops.push(update(t, target, item, 'restored'));
  }

  for (const { item, folder } of children) {
    if (claimed.has(item)) continue;
    const name = baseName(item.path);
    ops.push({
      kind: 'create_link',
      dedupeKey: `create_link:${item.fileId ?? item.path}`,
      payload: {
        resModel: folder.resModel, resId: folder.resId, path: item.path, name, isFolder: item.type === 'folder',
        size: item.type === 'file' ? item.size : 0, etag: item.etag, fileId: item.fileId,
        mimetype: item.type === 'folder' ? 'application/x-directory' : guessMimetype(name),
      },
    });
  }

  // The mass-deletion guard: many unlinks at once are usually a mistake (a folder moved
  // away, a share gone), so they wait for an admin.
  const limit = input.maxDeleteShare * input.tracked.length;
  if (unlinks.length >= MIN_GUARDED_UNLINKS && unlinks.length > limit && !input.deletionsAcknowledged) {
    const where = [...new Set(unlinks.map((u) => parentOf((u.payload as { path: string }).path)))].sort();
    return { ops, held: { count: unlinks.length, tracked: input.tracked.length, where } };
  }
  return { ops: [...ops, ...unlinks], held: null };
}

function update(t: TrackedItem, target: Target, item: CloudItem | null, reason: 'renamed' | 'moved' | 'changed' | 'restored'): BackwardOperation {
  return {
    kind: 'update_link',
    dedupeKey: `update_link:${t.ref}`,
    payload: {
      ...target, ref: t.ref, attachmentId: t.attachmentId, from: t.path, reason,
      size: item && item.type === 'file' ? item.size : t.size, etag: item?.etag ?? t.etag, fileId: item?.fileId ?? t.fileId,
      mimetype: item && item.type === 'file' && target.name !== baseName(t.path) ? guessMimetype(target.name) : null,
    },
  };
}

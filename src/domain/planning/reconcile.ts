/**
 * Finding managed folders in a cloud listing (the "discover" half of reconcile): pure.
 * Identity, best first: the server's file id (Nextcloud / ownCloud `oc:fileid` survives
 * renames and moves), then the path, then, on plain WebDAV servers, an ETag seen exactly
 * once among the folders nobody claimed (Apache keeps a folder's ETag across a rename,
 * so a renamed folder is found under its new name instead of being taken for deleted).
 */
import type { CloudItem } from '../../cloud/port.js';

export interface KnownFolder {
  ref: string;
  path: string;
  fileId: string | null;
  etag: string | null;
}

/** For each known folder: where the listing shows it now, or null when it is gone. */
export function findKnownFolders(known: KnownFolder[], listed: CloudItem[]): Map<string, CloudItem | null> {
  const folders = listed.filter((i) => i.type === 'folder');
  const claimed = new Set<CloudItem>();
  const found = new Map<string, CloudItem | null>();

  for (const k of known) {
    if (!k.fileId) continue;
    const hit = folders.find((f) => f.fileId === k.fileId && !claimed.has(f));
    if (hit) {
      found.set(k.ref, hit);
      claimed.add(hit);
    }
  }
  for (const k of known) {
    if (found.has(k.ref)) continue;
    const hit = folders.find((f) => f.path === k.path && !claimed.has(f) && !(k.fileId && f.fileId && f.fileId !== k.fileId));
    if (hit) {
      found.set(k.ref, hit);
      claimed.add(hit);
    }
  }
  const unclaimed = folders.filter((f) => !claimed.has(f));
  const pendingKnown = known.filter((k) => !found.has(k.ref));
  for (const k of pendingKnown) {
    if (!k.etag || k.fileId) continue;
    const sameEtag = unclaimed.filter((f) => f.etag === k.etag && !claimed.has(f));
    // An ETag shared by two folders, or by two known ones, proves nothing.
    if (sameEtag.length === 1 && pendingKnown.filter((o) => o.etag === k.etag).length === 1) {
      found.set(k.ref, sameEtag[0]!);
      claimed.add(sameEtag[0]!);
    }
  }
  for (const k of known) if (!found.has(k.ref)) found.set(k.ref, null);
  return found;
}

/**
 * The last resort on servers without file ids, when a folder's ETag changed as well (our
 * own writes inside it change it on Apache): the unclaimed folder that holds most of the
 * known folder's children, by name. At least half of them, and at least one, must match.
 */
export function matchByChildren(knownChildren: string[], candidates: { item: CloudItem; childNames: string[] }[]): CloudItem | null {
  if (knownChildren.length === 0) return null;
  const wanted = new Set(knownChildren);
  const scored = candidates
    .map((c) => ({ item: c.item, score: c.childNames.filter((n) => wanted.has(n)).length }))
    .filter((c) => c.score >= Math.max(1, Math.ceil(knownChildren.length / 2)))
    .sort((a, b) => b.score - a.score);
  if (scored.length === 0) return null;
  if (scored.length > 1 && scored[1]!.score === scored[0]!.score) return null;
  return scored[0]!.item;
}

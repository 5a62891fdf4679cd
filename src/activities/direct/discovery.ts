/**
 * Cloud discovery for the direct sync: are the root, the model folders and the object
 * folders still where the mapping says? Folders found elsewhere (renamed or moved in the
 * cloud) are re-recorded where they are, so the plan moves them back; folders gone are
 * forgotten, so the plan creates them again.
 *
 * Reads as little as it can: one depth-1 listing of the root, then a listing of each
 * model folder whose ETag changed since the last look. On servers that propagate ETags
 * (Nextcloud, ownCloud) an unchanged root ETag ends discovery after that one request.
 */
import type { CloudItem, CloudPort } from '../../cloud/port.js';
import type { MappingRepo, MappingRow } from '../../db/repos/mapping.js';
import { findKnownFolders, matchByChildren } from '../../domain/planning/reconcile.js';

export interface CloudFindings {
  listings: number;
  moved: { ref: string; from: string; to: string }[];
  missing: { ref: string; path: string }[];
}

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** How many unclaimed folders one level may list to find a renamed folder by its contents. */
const MAX_CONTENT_PROBES = 10;

/**
 * Finds known folders in a listing; on servers without file ids, falls back to comparing
 * contents for those still missing (see `matchByChildren`).
 */
async function locate(known: MappingRow[], listed: CloudItem[], mapping: MappingRepo, list: (path: string) => Promise<{ children: CloudItem[] } | null>): Promise<Map<string, CloudItem | null>> {
  const found = findKnownFolders(known, listed);
  const missing = known.filter((k) => found.get(k.ref) === null && !k.fileId);
  if (missing.length === 0) return found;
  const claimed = new Set([...found.values()].filter((v): v is CloudItem => v !== null).map((v) => v.path));
  const unclaimed = listed.filter((i) => i.type === 'folder' && !claimed.has(i.path)).slice(0, MAX_CONTENT_PROBES);
  if (unclaimed.length === 0) return found;
  const candidates: { item: CloudItem; childNames: string[] }[] = [];
  for (const item of unclaimed) {
    const listing = await list(item.path);
    candidates.push({ item, childNames: (listing?.children ?? []).map((c) => baseName(c.path)) });
  }
  for (const k of missing) {
    const hit = matchByChildren(await mapping.childNames(k.path), candidates.filter((c) => !claimed.has(c.item.path)));
    if (hit) {
      found.set(k.ref, hit);
      claimed.add(hit.path);
    }
  }
  return found;
}

export async function discoverManagedFolders(cloud: CloudPort, mapping: MappingRepo, opts: { activeModelRefs: Set<string>; etagPropagation: boolean }): Promise<CloudFindings> {
  const findings: CloudFindings = { listings: 0, moved: [], missing: [] };
  const list = async (path: string) => {
    findings.listings++;
    return cloud.list(path);
  };
  const apply = async (row: MappingRow, found: CloudItem | null) => {
    if (!found) {
      findings.missing.push({ ref: row.ref, path: row.path });
      await mapping.forgetFolders(row.path);
    } else if (found.path !== row.path) {
      findings.moved.push({ ref: row.ref, from: row.path, to: found.path });
      await mapping.rebase(row.path, found.path);
    }
  };

  // Folder rows only: the mapping also holds a row per file, and a run with no change
  // should not read them all.
  let root = (await mapping.folders()).find((r) => r.kind === 'root');
  if (!root) return findings;
  let rootListing = await list(root.path);
  if (!rootListing) {
    const top = await list('/');
    const found = top ? (await locate([root], top.children, mapping, list)).get(root.ref) ?? null : null;
    await apply(root, found);
    if (!found) return findings;
    rootListing = await list(found.path);
    if (!rootListing) return findings;
  } else if (rootListing.self.type !== 'folder') {
    await apply(root, null);
    return findings;
  }
  if (opts.etagPropagation && rootListing.self.etag !== null && rootListing.self.etag === root.etag) return findings;

  let rows = await mapping.folders();
  root = rows.find((r) => r.kind === 'root')!;
  const models = rows.filter((r) => r.kind === 'model_folder' && opts.activeModelRefs.has(r.ref) && parentOf(r.path) === root!.path);
  const foundModels = await locate(models, rootListing.children, mapping, list);
  for (const m of models) await apply(m, foundModels.get(m.ref) ?? null);

  rows = await mapping.folders();
  const objectFolders = (r: MappingRow) => r.kind === 'object_folder';
  const hasNested = (folder: MappingRow, all: MappingRow[]) => all.some((r) => objectFolders(r) && r.path.startsWith(folder.path + '/') && parentOf(r.path) !== folder.path);
  /**
   * Lists a managed folder and finds the object folders recorded in it; then, inside each
   * of those that holds nested object folders (Enterprise Documents), the same. On plain
   * WebDAV a change deep down does not change the ETags above it, so a folder with nested
   * ones is listed every time; where ETags propagate, only when its ETag changed.
   */
  const discoverInside = async (folder: MappingRow): Promise<void> => {
    const listing = await list(folder.path);
    if (!listing) {
      await apply(folder, null);
      return;
    }
    const kids = (await mapping.folders()).filter((r) => objectFolders(r) && parentOf(r.path) === folder.path);
    const found = await locate(kids, listing.children, mapping, list);
    for (const o of kids) await apply(o, found.get(o.ref) ?? null);
    const now = await mapping.folders();
    const holdsObjects = new Set(now.filter(objectFolders).map((r) => parentOf(r.path)));
    const nowByRef = new Map(now.map((r) => [r.ref, r]));
    // ETags are recorded once what is below was looked at: an attempt that fails on the way
    // leaves them as they were, and the retry looks again.
    for (const o of kids) {
      const f = found.get(o.ref);
      const row = nowByRef.get(o.ref);
      if (!f || !row) continue;
      const nests = holdsObjects.has(row.path);
      const unchanged = opts.etagPropagation && f.etag !== null && f.etag === o.etag; // (o: as recorded before this listing)
      if (nests && !unchanged) await discoverInside(row); // (records its own ETag last)
      else await mapping.setEtag(o.ref, f.etag);
    }
    await mapping.setEtag(folder.ref, listing.self.etag);
  };
  for (const m of models) {
    const seen = foundModels.get(m.ref);
    const row = rows.find((r) => r.ref === m.ref);
    if (!seen || !row) continue;
    // Unchanged ETag: nothing was added, renamed or removed directly inside it (and, where
    // ETags propagate, nowhere below it).
    if (seen.etag !== null && seen.etag === m.etag && (opts.etagPropagation || !hasNested(row, rows))) continue;
    await discoverInside(row);
  }
  await mapping.setEtag(root.ref, rootListing.self.etag);
  return findings;
}

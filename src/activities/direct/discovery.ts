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
import { findKnownFolders } from '../../domain/planning/reconcile.js';

export interface CloudFindings {
  listings: number;
  moved: { ref: string; from: string; to: string }[];
  missing: { ref: string; path: string }[];
}

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';

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

  let root = (await mapping.all()).find((r) => r.kind === 'root');
  if (!root) return findings;
  let rootListing = await list(root.path);
  if (!rootListing) {
    const top = await list('/');
    const found = top ? findKnownFolders([root], top.children).get(root.ref) ?? null : null;
    await apply(root, found);
    if (!found) return findings;
    rootListing = await list(found.path);
    if (!rootListing) return findings;
  } else if (rootListing.self.type !== 'folder') {
    await apply(root, null);
    return findings;
  }
  if (opts.etagPropagation && rootListing.self.etag !== null && rootListing.self.etag === root.etag) return findings;

  let rows = await mapping.all();
  root = rows.find((r) => r.kind === 'root')!;
  const models = rows.filter((r) => r.kind === 'model_folder' && opts.activeModelRefs.has(r.ref) && parentOf(r.path) === root!.path);
  const foundModels = findKnownFolders(models, rootListing.children);
  for (const m of models) await apply(m, foundModels.get(m.ref) ?? null);

  rows = await mapping.all();
  for (const m of models) {
    const seen = foundModels.get(m.ref);
    const row = rows.find((r) => r.ref === m.ref);
    if (!seen || !row) continue;
    // Unchanged ETag: nothing was added, renamed or removed directly inside it.
    if (seen.etag !== null && seen.etag === m.etag) continue;
    const listing = await list(row.path);
    if (!listing) {
      await apply(row, null);
      continue;
    }
    const objects = rows.filter((r) => r.kind === 'object_folder' && parentOf(r.path) === row.path);
    const foundObjects = findKnownFolders(objects, listing.children);
    for (const o of objects) await apply(o, foundObjects.get(o.ref) ?? null);
    for (const o of objects) {
      const f = foundObjects.get(o.ref);
      if (f) await mapping.setEtag(o.ref, f.etag);
    }
    await mapping.setEtag(row.ref, listing.self.etag);
  }
  await mapping.setEtag(root.ref, rootListing.self.etag);
  return findings;
}

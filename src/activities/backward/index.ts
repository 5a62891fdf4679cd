/**
 * The backward sync's activities (cloud -> ERP): scan + plan, then the ERP-side operations
 * (link what appeared, rename / move / refresh what changed, unlink what is gone). Each is
 * safe to run twice: a link already made is found again by its URL, an update sets the
 * same values, an unlink of a missing attachment is a success.
 */
import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { CloudItem, CloudPort } from '../../cloud/port.js';
import { getSettings } from '../../db/repos/connection.js';
import type { MappingRow } from '../../db/repos/mapping.js';
import { settings as settingsTable } from '../../db/schema.js';
import { planBackwardSync, type BackwardOperation, type ScannedFolder, type TrackedItem } from '../../domain/planning/backward.js';
import { assignRecords, recordKey } from '../../domain/planning/direct.js';
import type { ActivityContext, BatchInput, BatchResult } from '../context.js';
import type { Lease } from '../../workflows/shared.js';

type Op<K extends BackwardOperation['kind']> = Extract<BackwardOperation, { kind: K }>['payload'];

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';

export function backwardActivities(ctx: ActivityContext) {
  const { deps, mapping, queue } = ctx;

  async function linkOf(cloud: CloudPort, publicUrls: boolean, item: CloudItem): Promise<string> {
    return publicUrls ? cloud.publicLink(item) : cloud.linkFor(item);
  }

  return {
    /**
     * Scan + plan: lists each active model folder (depth 1), then only the object folders
     * whose ETag changed since the last scan, and plans what the ERP must mirror.
     */
    async planBackwardSync(input: { lease?: Lease } = {}): Promise<{ planned: number; enqueued: number; listings: number; held: number }> {
      await ctx.checkLease(input.lease);
      const opened = await ctx.requireCloud();
      const { cloud } = opened;
      const settings = await getSettings(deps.db);
      await ctx.claimMappingErp();
      // Log retention ("Sync Logs"): rows older than the setting go, once per run.
      await deps.log.cleanup(settings.logRetentionDays);
      const models = await ctx.activeSyncModels();
      await ctx.warnInvalidSyncModels('backward');
      const assigned = assignRecords(models, await ctx.matchRecords(models, 'backward'));
      const rows = await mapping.all();
      const inScope = (r: MappingRow) => r.resModel !== null && r.resId !== null && assigned.has(recordKey(r.resModel, r.resId));
      const activeModelRefs = new Set(models.map((m) => `model:${m.id}`));
      const objects = rows.filter((r) => r.kind === 'object_folder' && inScope(r));
      const trackedRows = rows.filter((r) => (r.kind === 'file' || r.kind === 'folder_link') && r.attachmentId !== null && inScope(r));

      const scanned: ScannedFolder[] = [];
      const missing: { path: string }[] = [];
      const scanEtags: [string, string | null][] = [];
      let listings = 0;
      const modelRows = rows.filter((r) => r.kind === 'model_folder' && activeModelRefs.has(r.ref));
      // Nextcloud changes every ancestor's ETag up to the user root on any change: one
      // listing of the root tells which model folders changed since the last scan, and an
      // unchanged tree costs that one PROPFIND. (Plain WebDAV: every model folder is listed.)
      const propagates = (opened.connection.capabilities as { etagPropagation?: boolean } | null)?.etagPropagation === true;
      const rootRow = rows.find((r) => r.kind === 'root');
      let rootListing: Awaited<ReturnType<typeof cloud.list>> = null;
      if (propagates && rootRow) {
        listings++;
        rootListing = await cloud.list(rootRow.path);
      }
      // A model folder's scan mark: its ETag and which of its object folders were in scope
      // then. A record back in scope after a change made while out of it is looked at again.
      const modelMark = (etag: string | null | undefined, here: MappingRow[]) =>
        etag ? `${etag}#${createHash('sha1').update(here.map((o) => o.ref).sort().join('\n')).digest('hex').slice(0, 16)}` : null;
      const allScannedBefore = (os: MappingRow[]) => os.every((o) => o.scanEtag !== null);
      // Object folders by the folder they are in, once: looked up for every folder listed.
      const byParent = (list: MappingRow[]) => {
        const m = new Map<string, MappingRow[]>();
        for (const o of list) {
          const here = m.get(parentOf(o.path));
          if (here) here.push(o);
          else m.set(parentOf(o.path), [o]);
        }
        return m;
      };
      const inScopeByParent = byParent(objects);
      const allByParent = byParent(rows.filter((r) => r.kind === 'object_folder'));
      const kidsOf = (folderPath: string) => inScopeByParent.get(folderPath) ?? [];
      const entryOf = (o: MappingRow, listed: CloudItem[]) => listed.find((c) => c.type === 'folder' && ((o.fileId && c.fileId === o.fileId) || c.path === o.path)) ?? null;
      /**
       * An object folder, found as `entry` in its parent's listing: listed when its ETag
       * changed, and its nested object folders (Enterprise Documents) looked at in turn. Those
       * are the service's folders, never linked as attachments. On plain WebDAV a change deep
       * down leaves the ETags above it alone, so a folder with nested ones is listed every time.
       */
      const scanObject = async (o: MappingRow, entry: CloudItem): Promise<void> => {
        const kids = kidsOf(o.path);
        // Every nested folder the service made here, in scope or not (archived in the ERP):
        // the service's, never linked as attachments.
        const nested = allByParent.get(o.path) ?? [];
        const changed = !(entry.etag !== null && entry.etag === o.scanEtag);
        if (!changed && (kids.length === 0 || propagates)) return;
        listings++;
        const inside = await cloud.list(entry.path);
        if (!inside) { missing.push({ path: o.path }); return; }
        const kidEntries = kids.map((k) => [k, entryOf(k, inside.children)] as const);
        const nestedEntries = nested.map((k) => [k, entryOf(k, inside.children)] as const);
        // A nested folder gone on a server without file ids: renamed, or deleted? The direct
        // sync tells (it finds it by its contents or makes it again); until then this folder's
        // subfolders are not linked, nor its links unlinked.
        const unsure = nestedEntries.some(([k, e]) => !e && !k.fileId);
        const managed = new Set(nestedEntries.flatMap(([, e]) => (e ? [e.path] : [])));
        if (changed && !unsure) {
          scanned.push({ resModel: o.resModel!, resId: o.resId!, path: o.path, children: inside.children.filter((c) => !managed.has(c.path)) });
          scanEtags.push([o.ref, inside.self.etag]);
        }
        for (const [k, e] of kidEntries) {
          if (e) await scanObject(k, e);
          else if (k.fileId) missing.push({ path: k.path }); // its id is nowhere in its parent: deleted (or moved out of the tree)
        }
      };
      for (const modelRow of modelRows) {
        const here = kidsOf(modelRow.path);
        const below = objects.filter((o) => o.path.startsWith(modelRow.path + '/'));
        if (here.length === 0) continue;
        const seen = rootListing?.children.find((c) => c.type === 'folder' && ((modelRow.fileId && c.fileId === modelRow.fileId) || c.path === modelRow.path));
        if (rootListing && seen && modelMark(seen.etag, below) !== null && modelMark(seen.etag, below) === modelRow.scanEtag && allScannedBefore(below)) continue; // nothing changed below it
        listings++;
        const listing = await cloud.list(modelRow.path);
        if (!listing) {
          missing.push(...here.map((o) => ({ path: o.path })));
          continue;
        }
        const missingBefore = missing.length;
        for (const o of here) {
          const entry = entryOf(o, listing.children);
          if (!entry) { missing.push({ path: o.path }); continue; }
          await scanObject(o, entry);
        }
        // The model folder's ETag as the root listing saw it (before its inside was read):
        // a change made meanwhile shows as a new ETag next time. Not when a folder went missing.
        if (seen && missing.length === missingBefore) scanEtags.push([modelRow.ref, modelMark(seen.etag, below)]);
      }
      // Tracked items of a record whose object folder the mapping no longer has: gone with it.
      const objectPaths = new Set(objects.map((o) => o.path));
      for (const t of trackedRows) {
        if (!objectPaths.has(parentOf(t.path)) && !missing.some((m) => m.path === parentOf(t.path))) missing.push({ path: parentOf(t.path) });
      }

      const attachments = new Map((await deps.erp.getAttachments(trackedRows.map((t) => t.attachmentId!))).map((a) => [a.id, a]));
      // An attachment deleted in the ERP is the direct sync's business (it deletes the file).
      const tracked: TrackedItem[] = trackedRows.filter((t) => attachments.has(t.attachmentId!)).map((t) => ({
        ref: t.ref, attachmentId: t.attachmentId!, kind: t.kind as 'file' | 'folder_link', path: t.path, fileId: t.fileId, etag: t.etag, size: t.size,
        resModel: t.resModel!, resId: t.resId!,
      }));
      const held = settings.deletionsHeld;
      const acknowledged = !!held && !!settings.deletionsAcknowledgedAt && settings.deletionsAcknowledgedAt.getTime() >= Date.parse(held.at);
      const unlinkedFolders = new Set(trackedRows.filter((t) => t.kind === 'folder_link' && !attachments.has(t.attachmentId!)).map((t) => t.path));
      const plan = planBackwardSync({
        scanned, missing, tracked, ignore: unlinkedFolders,
        erpNames: new Map([...attachments.values()].map((a) => [a.id, a.name])),
        maxDeleteShare: settings.maxDeleteShare,
        deletionsAcknowledged: acknowledged,
      });
      const enqueued = await queue.enqueue('backward', plan.ops, ctx.runId());
      if (plan.held) {
        await deps.log.write({
          direction: 'backward', level: 'error', runId: ctx.runId(), path: plan.held.where[0] ?? null,
          message: `Mass deletion held back: ${plan.held.count} of ${plan.held.tracked} tracked attachments would be unlinked (in ${plan.held.where.join(', ')}). Nothing was unlinked. Check the cloud, then POST /api/queue/acknowledge-deletions to let the next backward sync unlink them.`,
        });
        await deps.db.update(settingsTable).set({ deletionsHeld: { ...plan.held, at: new Date().toISOString() }, updatedAt: sql`now()` }).where(eq(settingsTable.id, 1));
      } else {
        if (acknowledged) await deps.db.update(settingsTable).set({ deletionsHeld: null, deletionsAcknowledgedAt: null, updatedAt: sql`now()` }).where(eq(settingsTable.id, 1));
        // Held deletions leave the folders unrecorded, so the next scan looks at them again.
        for (const [ref, etag] of scanEtags) await mapping.setScanEtag(ref, etag);
      }
      return { planned: plan.ops.length, enqueued, listings, held: plan.held?.count ?? 0 };
    },

    /** URL attachments (files and folder links) for what appeared in object folders. */
    async createLinks(input: BatchInput): Promise<BatchResult> {
      await ctx.checkLease(input.lease);
      const { cloud, connection } = await ctx.requireCloud();
      return ctx.runEach(input, async (op, scope) => {
        const p = op.payload as unknown as Op<'create_link'>;
        if (!(await deps.erp.existingRecordIds(p.resModel, [p.resId])).has(p.resId)) {
          scope.log({ level: 'warning', path: p.path, model: p.resModel, recordId: p.resId, message: `${p.path} was not linked: its record is gone from the ERP` });
          return;
        }
        const item: CloudItem = { path: p.path, type: p.isFolder ? 'folder' : 'file', size: p.size, etag: p.etag, lastModified: null, fileId: p.fileId };
        const att = await deps.erp.createUrlAttachment({
          resModel: p.resModel, resId: p.resId, name: p.name, url: await linkOf(cloud, connection.publicUrls, item),
          mimetype: p.mimetype, size: p.size, isFolder: p.isFolder,
        });
        await mapping.upsert(`attachment:${att.id}`, p.isFolder ? 'folder_link' : 'file', item, { attachmentId: att.id, resModel: p.resModel, resId: p.resId });
        scope.log({ level: 'success', path: p.path, model: p.resModel, recordId: p.resId, message: `Linked ${p.isFolder ? 'folder' : 'file'} ${p.path} as attachment ${att.id}` });
      }, 'backward');
    },

    /** Renames, moves to another record, refreshes after a content change, restores cloud names. */
    async updateLinks(input: BatchInput): Promise<BatchResult> {
      await ctx.checkLease(input.lease);
      const { cloud, connection } = await ctx.requireCloud();
      return ctx.runEach(input, async (op, scope) => {
        const p = op.payload as unknown as Op<'update_link'>;
        const row = await mapping.get(p.ref);
        const item: CloudItem = { path: p.path, type: row?.kind === 'folder_link' ? 'folder' : 'file', size: p.size ?? 0, etag: p.etag, lastModified: null, fileId: p.fileId };
        // Path-based links (plain WebDAV) follow the item; file-id and share links survive.
        const url = !p.fileId && !connection.publicUrls && p.path !== p.from ? await linkOf(cloud, false, item) : undefined;
        const updated = await deps.erp.updateAttachment(p.attachmentId, {
          name: p.name, resModel: p.resModel, resId: p.resId, ...(p.size !== null ? { size: p.size } : {}),
          ...(p.mimetype ? { mimetype: p.mimetype } : {}), ...(url ? { url } : {}),
        });
        if (!updated) {
          await mapping.forget(p.ref);
          scope.log({ level: 'warning', path: p.path, message: `Attachment ${p.attachmentId} is gone from the ERP; ${p.path} is no longer tracked` });
          return;
        }
        await mapping.upsert(p.ref, row?.kind ?? 'file', item, { attachmentId: p.attachmentId, resModel: p.resModel, resId: p.resId });
        const what = {
          renamed: `Renamed attachment ${p.attachmentId} to ${p.name}: renamed in the cloud`,
          moved: `Moved attachment ${p.attachmentId} to ${p.resModel},${p.resId}: ${p.from} moved to ${p.path}`,
          changed: `Refreshed attachment ${p.attachmentId}: ${p.path} changed in the cloud`,
          restored: `Renamed attachment ${p.attachmentId} back to ${p.name}: file names are the cloud's`,
        }[p.reason];
        scope.log({ level: p.reason === 'restored' ? 'warning' : 'success', path: p.path, model: p.resModel, recordId: p.resId, message: what });
      }, 'backward');
    },

    /** Unlinks the attachments of items gone from the cloud. */
    async unlinkAttachments(input: BatchInput): Promise<BatchResult> {
      await ctx.checkLease(input.lease);
      // On Nextcloud / ownCloud with the trash bin on, a deleted file is in its owner's trash
      // (the manual: treated as deleted); the log says where to get it back.
      const opened = await deps.openCloud();
      const trash = (opened?.connection.capabilities as { trashbin?: boolean } | null)?.trashbin === true;
      return ctx.runEach(input, async (op, scope) => {
        const p = op.payload as unknown as Op<'unlink'>;
        await deps.erp.unlinkAttachment(p.attachmentId);
        await mapping.forget(p.ref);
        const restore = trash ? ' (it is in the trash bin of the cloud user: Files -> Deleted files restores it, and the next backward sync links it again)' : '';
        scope.log({ level: 'success', path: p.path, model: p.resModel, recordId: p.resId, message: `Unlinked attachment ${p.attachmentId}: ${p.path} is gone from the cloud${restore}` });
      }, 'backward');
    },
  };
}

/**
 * The direct sync's activities (ERP -> cloud): discover + plan, then one activity per
 * operation kind. Each is safe to run twice: MKCOL on an existing folder, a MOVE already
 * made, a DELETE of a missing item and an upload found already done are all successes.
 */
import type { Readable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import { CloudError, HandedOver, type CloudItem, type CloudPort } from '../../cloud/port.js';
import { getSettings } from '../../db/repos/connection.js';
import type { LogEntry } from '../../db/repos/logs.js';
import { toMappedItem, type MappingRow } from '../../db/repos/mapping.js';
import type { OperationRow } from '../../db/repos/operations.js';
import { settings as settingsTable } from '../../db/schema.js';
import { DOCUMENTS_FOLDER_NAME, DOCUMENTS_MODEL, DOCUMENTS_SYNC_MODEL_ID, isDocumentsSyncModel } from '../../domain/documents.js';
import { joinCloudPath, MAX_NAME_BYTES, sanitizeName, type NamingRules } from '../../domain/naming.js';
import {
  planDirectSync, recordKey, refs, withSuffix,
  type CreateFolderOp, type DeleteItemOp, type MoveFolderOp, type ReplaceWithUrlOp, type UploadOp,
} from '../../domain/planning/direct.js';
import type { DefaultFolder, ErpAttachment, ErpRecord } from '../../domain/types.js';
import type { ActivityContext, BatchInput, BatchResult } from '../context.js';
import type { Lease } from '../../workflows/shared.js';
import { describe, isRetryable, isThrottled } from '../errors.js';
import { MIN_GUARDED_UNLINKS } from '../../domain/planning/backward.js';
import { bulkGroups, chooseTransfer, DEFAULT_TRANSFERS, freePath, type ServerTransfers } from '../../domain/transfers.js';
import { discoverManagedFolders } from './discovery.js';

/** `write_date` is the transaction's start and clocks drift: look back this far past the cursor. */
export const CURSOR_OVERLAP_MS = 10 * 60 * 1000;

/** Files up to this size are read whole and sent as one buffer. */
const SMALL_FILE_BYTES = 256 * 1024;

/** Uploads verified and released together (one listing per folder, one release statement). */
const VERIFY_GROUP = 50;

type Payload<T extends { payload: unknown }> = T['payload'];
const payloadOf = <T extends { payload: unknown }>(op: OperationRow) => op.payload as unknown as Payload<T>;

export function directActivities(ctx: ActivityContext) {
  const { deps, mapping, queue } = ctx;
  const log = (entry: Omit<LogEntry, 'direction' | 'runId'>) =>
    deps.log.write({ direction: 'direct', runId: ctx.runId(), ...entry });

  /**
   * The service's folders from `ref` up, made again where they are gone (someone deleted
   * them after the plan), top first, each recorded under its ref. False when `ref` is not
   * a folder the mapping knows, or one of them was renamed (not deleted) meanwhile.
   */
  async function remakeParents(ref: string | null, scope: { log(entry: Omit<LogEntry, 'direction' | 'runId'>): void }): Promise<boolean> {
    if (ref === null) return false;
    const chain = [];
    for (let row = await mapping.get(ref); row; row = row.kind === 'root' ? null : await parentRow(row)) chain.unshift(row);
    if (chain.length === 0) return false;
    const { cloud } = await ctx.requireCloud();
    for (const row of chain) {
      if (await cloud.stat(row.path)) continue;
      // Renamed rather than deleted (its id is still there, under another name)? Then it is
      // not made again beside it: the next run's discovery finds it by id and names it back.
      if (row.fileId && row.kind !== 'root') {
        const siblings = await cloud.list(row.path.slice(0, row.path.lastIndexOf('/')) || '/');
        if (siblings?.children.some((c) => c.fileId === row.fileId)) return false;
      }
      const made = await cloud.createFolder(row.path);
      await mapping.upsert(row.ref, row.kind, made, { syncModelId: row.syncModelId, resModel: row.resModel, resId: row.resId });
      scope.log({ level: 'warning', path: row.path, model: row.resModel, recordId: row.resId, message: `${row.path} was gone from the cloud (deleted after the plan): made it again` });
    }
    return true;
  }

  /** The managed folder a managed folder is in: the root, its model folder, or (Documents) its parent folder. */
  async function parentRow(row: MappingRow): Promise<MappingRow | null> {
    if (row.kind === 'model_folder') return mapping.get('root');
    const up = row.path.slice(0, row.path.lastIndexOf('/')) || '/';
    const inFolder = (await mapping.folders()).find((r) => r.path === up && (r.kind === 'object_folder' || r.kind === 'model_folder'));
    return inFolder ?? mapping.get(`model:${row.syncModelId}`);
  }

  /** Where a ref's parent is now; an operation waits (retryable) until its parent exists. */
  async function parentPath(parentRef: string | null): Promise<string> {
    if (parentRef === null) return '/';
    const parent = await mapping.get(parentRef);
    if (!parent) throw new Error(`Its parent folder (${parentRef}) is not in the cloud yet`);
    return parent.path;
  }

  /** A new object folder's default folders, named by the same rules as every name (the server's too). */
  async function createTree(cloud: CloudPort, base: string, tree: DefaultFolder[], rules: NamingRules): Promise<void> {
    for (const folder of tree) {
      const name = sanitizeName(folder.name, MAX_NAME_BYTES, rules);
      if (!name) continue;
      const path = joinCloudPath(base, name);
      await cloud.createFolder(path);
      await createTree(cloud, path, folder.children, rules);
    }
  }

  return {
    /**
     * Discover + plan: checks the managed folders in the cloud, reads the ERP's desired
     * state (incrementally: attachments by `write_date` cursor, deletions by id diff),
     * plans the difference and queues it.
     */
    async planDirectSync(input: { fullScan?: boolean; lease?: Lease } = {}): Promise<{ planned: number; enqueued: number; warnings: number; listings: number }> {
      await ctx.checkLease(input.lease);
      const { cloud, connection } = await ctx.requireCloud();
      const startedAt = new Date();
      const settings = await getSettings(deps.db);
      await ctx.claimMappingErp();
      // Log retention ("Sync Logs"): rows older than the setting go, once per run.
      await deps.log.cleanup(settings.logRetentionDays);
      const models = await ctx.activeSyncModels();
      await ctx.warnInvalidSyncModels('direct');
      const caps = (connection.capabilities ?? {}) as { etagPropagation?: boolean; forbiddenNames?: string[]; forbiddenCharacters?: string[] };
      const findings = await discoverManagedFolders(cloud, mapping, {
        activeModelRefs: new Set(models.map((m) => refs.modelFolder(m.id))),
        etagPropagation: caps.etagPropagation === true,
      });
      for (const m of findings.moved) await log({ level: 'warning', path: m.to, message: `Found ${m.from} renamed or moved to ${m.to} in the cloud: it is put back` });
      for (const m of findings.missing) await log({ level: 'warning', path: m.path, message: `${m.path} was deleted in the cloud: it is created again` });

      const mappingRows = await mapping.all();
      const matches = await ctx.matchRecords(models, 'direct');

      // Deletions: mapped records and attachments the ERP no longer has.
      const deletedRecords = new Set<string>();
      const mappedByModel = new Map<string, number[]>();
      for (const r of mappingRows) {
        if (r.kind === 'object_folder' && r.resModel && r.resId !== null) mappedByModel.set(r.resModel, [...(mappedByModel.get(r.resModel) ?? []), r.resId]);
      }
      // Documents folders in the cloud while the ERP shows no Documents app (uninstalled, or
      // this user may no longer read it): left as they are, never taken for deletions.
      if (mappedByModel.has(DOCUMENTS_MODEL) && !models.some((m) => isDocumentsSyncModel(m.id))) {
        mappedByModel.delete(DOCUMENTS_MODEL);
        await log({ level: 'warning', model: DOCUMENTS_MODEL, message: `The cloud has "${DOCUMENTS_FOLDER_NAME}" folders, but the ERP shows no Enterprise Documents (the app is gone, or this user may not read it): they are left as they are` });
      }
      for (const [model, ids] of mappedByModel) {
        const existing = await deps.erp.existingRecordIds(model, ids);
        const gone = ids.filter((id) => !existing.has(id));
        // Most Documents folders gone at once is not a clean-up: an Odoo upgrade (17 to 18
        // gives the folders new ids) or a restore. Their folders hold the only copies of the
        // released files, so nothing is deleted; an admin looks first.
        if (model === DOCUMENTS_MODEL && gone.length >= MIN_GUARDED_UNLINKS && gone.length > settings.maxDeleteShare * ids.length) {
          await log({ level: 'error', model, message: `${gone.length} of the ${ids.length} "${DOCUMENTS_FOLDER_NAME}" folders are gone from the ERP at once: none is deleted from the cloud, and Documents are not synced this run (an Odoo upgrade or a restore gives folders new ids). Check the ERP; delete the folders in the cloud by hand if they really went` });
          matches.delete(DOCUMENTS_SYNC_MODEL_ID); // nor made again beside themselves under the new ids
          continue;
        }
        for (const id of gone) deletedRecords.add(recordKey(model, id));
      }
      const inScope = new Set([...matches.values()].flat().map((r) => recordKey(r.model, r.id)));
      const mappedFiles = mappingRows.filter((r) => r.kind === 'file' && r.attachmentId !== null && r.resModel && r.resId !== null && inScope.has(recordKey(r.resModel, r.resId)));
      const existingAttachments = await deps.erp.existingAttachmentIds(mappedFiles.map((r) => r.attachmentId!));
      const deletedAttachments = new Set(mappedFiles.map((r) => r.attachmentId!).filter((id) => !existingAttachments.has(id)));

      // Attachments: all of them for records new to the mapping, the changed ones for the rest.
      const mappedObjects = new Set(mappingRows.filter((r) => r.kind === 'object_folder').map((r) => r.ref));
      const changedSince = input.fullScan || !settings.directCursor ? undefined : new Date(settings.directCursor.getTime() - CURSOR_OVERLAP_MS).toISOString();
      const attachments = new Map<string, ErpAttachment[]>();
      const byRecord = (list: ErpAttachment[]) => {
        for (const a of list) attachments.set(recordKey(a.resModel, a.resId), [...(attachments.get(recordKey(a.resModel, a.resId)) ?? []), a]);
      };
      for (const [modelName, ids] of groupIds([...matches.values()].flat())) {
        const fresh = ids.filter((id) => changedSince === undefined || !mappedObjects.has(refs.objectFolder(modelName, id)));
        const known = ids.filter((id) => !fresh.includes(id));
        byRecord(await deps.erp.listAttachments(modelName, fresh));
        if (known.length) byRecord(await deps.erp.listAttachments(modelName, known, { changedSince }));
      }

      const plan = planDirectSync({
        rootFolder: connection.rootFolder,
        naming: namingRules(caps),
        syncModels: models,
        matches,
        attachments,
        mapping: new Map(mappingRows.map((r) => [r.ref, toMappedItem(r)])),
        deletedRecords,
        deletedAttachments,
      });
      const enqueued = await queue.enqueue('direct', plan.ops, ctx.runId());
      for (const w of plan.warnings) await log({ level: 'warning', model: w.resModel, recordId: w.resId, message: w.message });
      await deps.db.update(settingsTable).set({ directCursor: startedAt, updatedAt: sql`now()` }).where(eq(settingsTable.id, 1));
      return { planned: plan.ops.length, enqueued, warnings: plan.warnings.length, listings: findings.listings };
    },

    /** MKCOL for each folder (an existing folder is success), its default folders, then the mapping. */
    async createFolders(input: BatchInput): Promise<BatchResult> {
      await ctx.checkLease(input.lease);
      const { cloud, connection } = await ctx.requireCloud();
      const rules = namingRules(connection.capabilities);
      const ops = await ctx.claimBatch(input.ids);
      const scope = ctx.batchScope('direct', input.lease);
      // Level by level (root, model folders, object folders, and nested object folders
      // (Documents) by depth): a parent always exists before its children, and siblings
      // are made side by side.
      const levelOf = (op: OperationRow) => {
        const p = payloadOf<CreateFolderOp>(op);
        return p.target.kind === 'root' ? 0 : p.target.kind === 'model_folder' ? 1 : 1 + p.path.split('/').length;
      };
      for (const level of [...new Set(ops.map(levelOf))].sort((a, b) => a - b)) {
        const here = ops.filter((op) => levelOf(op) === level);
        await ctx.eachLimited(here, ctx.concurrency, scope, async (op) => {
          try {
            const p = payloadOf<CreateFolderOp>(op);
            const known = await mapping.get(p.ref);
            const path = known?.path ?? joinCloudPath(await parentPath(p.parentRef), p.name);
            const item = await cloud.createFolder(path).catch(async (err: unknown) => {
              // 409: the parent is gone (deleted after the plan). Make the chain of the
              // service's own folders above it again, then this one.
              if (!(err instanceof CloudError && err.status === 409) || !(await remakeParents(p.parentRef, scope))) throw err;
              return cloud.createFolder(path);
            });
            const t = p.target;
            await mapping.upsert(p.ref, t.kind, item, {
              syncModelId: 'syncModelId' in t ? t.syncModelId : null,
              resModel: t.kind === 'object_folder' ? t.resModel : null,
              resId: t.kind === 'object_folder' ? t.resId : null,
            });
            // Default folders: made in a new object folder only; later edits of the tree are not synced.
            if (t.kind === 'object_folder' && p.defaultFolders.length) await createTree(cloud, path, p.defaultFolders, rules);
            scope.log({
              level: 'success', path, message: `Folder ready: ${path}`,
              model: t.kind === 'object_folder' ? t.resModel : null, recordId: t.kind === 'object_folder' ? t.resId : null,
            });
            scope.done(op);
          } catch (err) {
            await scope.failed(op, err);
          }
        });
      }
      return scope.flush();
    },

    /** Renames and moves managed folders to where the ERP wants them; the mapping follows. */
    async moveFolders(input: BatchInput): Promise<BatchResult> {
      await ctx.checkLease(input.lease);
      const { cloud, connection } = await ctx.requireCloud();
      return ctx.runEach(input, async (op, scope) => {
        const p = payloadOf<MoveFolderOp>(op);
        const row = await mapping.get(p.ref);
        if (!row) return; // forgotten since (gone from the cloud): the next plan creates it
        const wanted = joinCloudPath(await parentPath(p.parentRef), p.name);
        const syncModelId = 'syncModelId' in p.target ? p.target.syncModelId : null;
        const isFile = row.kind === 'file';
        let to: string | null = row.path === wanted ? wanted : null;
        let remade = false;
        for (let n = 1; to === null && n <= 50; n++) {
          const candidate = n === 1 ? wanted : withSuffix(wanted, n);
          try {
            await cloud.move(row.path, candidate);
            to = candidate;
          } catch (err) {
            if (!(err instanceof CloudError)) throw err;
            if (err.code === 'precondition_failed') continue; // the name is taken: next spelling
            // 409: the folder it goes into is gone (deleted after the plan). Make the
            // service's folders above it again, then try the same name once more.
            if (err.status === 409 && !remade && (await cloud.stat(row.path))) {
              remade = true;
              if (await remakeParents(p.parentRef, scope)) { n--; continue; }
            }
            if (err.code !== 'not_found') throw err;
            // The source is gone: either an earlier attempt moved it, or someone deleted it.
            const there = await cloud.stat(candidate);
            if (there && there.type === (isFile ? 'file' : 'folder') && (!row.fileId || there.fileId === row.fileId)) {
              to = candidate;
            } else if (isFile) {
              // A file deleted in the cloud is the backward sync's (it unlinks the attachment).
              scope.log({ level: 'warning', path: row.path, model: p.resModel ?? null, recordId: p.resId ?? null, message: `${row.path} was gone from the cloud: not moved to ${wanted}` });
              return;
            } else {
              // Gone (deleted in the cloud while nobody checked it): make it where it belongs.
              await mapping.forgetFolders(row.path);
              const made = await cloud.createFolder(wanted);
              await mapping.upsert(p.ref, row.kind, made, { syncModelId, resModel: row.resModel, resId: row.resId });
              scope.log({ level: 'warning', path: wanted, model: p.resModel ?? null, recordId: p.resId ?? null, message: `${row.path} was gone from the cloud: created ${wanted} instead of moving it` });
              return;
            }
          }
        }
        if (to === null) throw new Error(`No free name for ${wanted} after 50 tries`);
        await mapping.rebase(row.path, to);
        if (row.kind === 'object_folder' || row.kind === 'model_folder') await mapping.setSyncModel(p.ref, syncModelId);
        if (isFile && p.target.kind === 'file') {
          // The file now belongs to the record the ERP moved its attachment to; a path-based link follows it.
          const item: CloudItem = { path: to, type: 'file', size: row.size ?? 0, etag: row.etag, lastModified: null, fileId: row.fileId };
          await mapping.upsert(p.ref, 'file', item, { attachmentId: row.attachmentId, resModel: p.target.resModel, resId: p.target.resId, syncModelId });
          if (to !== row.path && !connection.publicUrls && !row.fileId && row.attachmentId !== null) await deps.erp.relinkAttachment(row.attachmentId, cloud.linkFor(item));
        } else if (to !== row.path && !connection.publicUrls) await relinkBelow(cloud, to);
        if (to !== row.path) {
          scope.log({
            level: to === wanted ? 'success' : 'warning', path: to, model: p.resModel ?? null, recordId: p.resId ?? null,
            message: `Moved ${row.path} to ${to}${to === wanted ? '' : ` (${wanted} is taken)`}`,
          });
        }
      }, 'direct', 1);
    },

    /** Deletes what the ERP deleted: a record's object folder, a URL attachment's file. */
    async deleteItems(input: BatchInput): Promise<BatchResult> {
      await ctx.checkLease(input.lease);
      const { cloud } = await ctx.requireCloud();
      return ctx.runEach(input, async (op, scope) => {
        const p = payloadOf<DeleteItemOp>(op);
        const row = await mapping.get(p.ref);
        if (!row) return;
        if (row.fileId) {
          // Something else at that path now (ours was replaced): leave it alone.
          const there = await cloud.stat(row.path);
          if (there && there.fileId && there.fileId !== row.fileId) {
            await mapping.forgetSubtree(row.path);
            scope.log({ level: 'warning', path: row.path, model: p.resModel, recordId: p.resId, message: `${row.path} is no longer the item the service made; it is left in place` });
            return;
          }
        }
        await cloud.remove(row.path);
        await mapping.forgetSubtree(row.path);
        scope.log({
          level: 'success', path: row.path, model: p.resModel, recordId: p.resId,
          message: p.reason === 'record_deleted' ? `Deleted ${row.path}: its record was deleted in the ERP` : `Deleted ${row.path}: its attachment was deleted in the ERP`,
        });
      }, 'direct');
    },

    /**
     * Streams each binary to the cloud without overwriting anything, verifies the copies
     * (one listing per folder: size, and SHA-1 where the server reports one), records
     * them, and releases the binaries (replace with URL) of the verified ones. A release
     * that fails is queued on its own and retried; the upload is not lost.
     */
    async uploadAttachments(input: BatchInput): Promise<BatchResult> {
      await ctx.checkLease(input.lease);
      const { cloud, connection } = await ctx.requireCloud();
      const conditional = (connection.capabilities as { conditionalWrites?: boolean } | null)?.conditionalWrites === true;
      const ops = await ctx.claimBatch(input.ids);
      const scope = ctx.batchScope('direct', input.lease);
      const payloads = new Map(ops.map((op) => [op.id, payloadOf<UploadOp>(op) as Payload<UploadOp> & { claimedPath?: string }]));
      const attachments = new Map((await deps.erp.getAttachments([...payloads.values()].map((p) => p.attachmentId))).map((a) => [a.id, a]));
      const known = await mapping.getMany([...payloads.values()].flatMap((p) => [p.ref, p.parentRef ?? '']));

      // `claimed`: the path this operation has claimed in the queue (found again after a crash).
      // `sentAs`: a path a bulk request that failed as a whole may still have written.
      interface Job { op: OperationRow; p: Payload<UploadOp> & { claimedPath?: string }; attachment: ErpAttachment; path: string; fresh: boolean; item?: CloudItem; claimed?: string; sentAs?: string }
      const jobs: Job[] = [];
      for (const op of ops) {
        const p = payloads.get(op.id)!;
        const attachment = attachments.get(p.attachmentId);
        if (!attachment || attachment.type !== 'binary') { scope.done(op); continue; } // deleted or already a link
        const mapped = known.get(p.ref);
        if (mapped) { jobs.push({ op, p, attachment, path: mapped.path, fresh: false }); continue; } // uploaded before a crash
        const parent = p.parentRef ? known.get(p.parentRef) : null;
        if (!parent) { await scope.failed(op, new Error(`Its folder (${p.parentRef}) is not in the cloud yet`)); continue; }
        jobs.push({ op, p, attachment, path: joinCloudPath(parent.path, p.name), fresh: true, claimed: p.claimedPath });
      }
      // Each upload claims its path before the PUT: a retry after a crash finds its own file.
      const claiming = jobs.filter((j) => j.fresh && !j.p.claimedPath);
      await claimPaths(claiming.map((j) => ({ id: j.op.id, path: j.path })));
      for (const j of claiming) j.claimed = j.path;
      /** The upload's folder, made again where the mapping has it; false when it is not ours to make. */
      const remade = new Map<string, Promise<boolean>>(); // lanes meeting the same missing folder make it once
      const remakeFolder = (job: Job, folder: string): Promise<boolean> => {
        const row = job.p.parentRef ? known.get(job.p.parentRef) : null;
        if (!row || row.path !== folder) return Promise.resolve(false);
        if (!remade.has(folder)) remade.set(folder, remakeParents(row.ref, scope));
        return remade.get(folder)!;
      };
      // Paths being written by this batch's lanes (PUT and bulk): two files of one batch
      // never race for one name (bulk upload would overwrite the other).
      const reservedBy = new Map<string, Job>();
      const reserve = (job: Job, path: string): boolean => {
        const holder = reservedBy.get(path);
        if (holder && holder !== job) return false;
        reservedBy.set(path, job);
        return true;
      };
      const claim = async (job: Job, path: string) => {
        if (job.claimed === path) return;
        await claimPath(job.op.id, path);
        job.claimed = path;
      };

      // Verification and release go group by group, behind the PUTs: while one group is
      // listed and released, the lanes keep uploading the next ones.
      const failed = new Set<Job>();
      const groups: Job[][] = [];
      for (let i = 0; i < jobs.length; i += VERIFY_GROUP) groups.push(jobs.slice(i, i + VERIFY_GROUP));
      const groupOf = new Map<Job, number>();
      groups.forEach((g, i) => g.forEach((j) => groupOf.set(j, i)));
      const unsettled = groups.map((g) => g.filter((j) => j.fresh).length);
      let finishing: Promise<void> = Promise.resolve();
      const settle = (i: number) => {
        finishing = finishing.then(() => finishGroup(groups[i]!));
        // Looked at once the lanes are done (below); until then a failure must not count as unhandled.
        finishing.catch(() => {});
      };
      groups.forEach((_, i) => { if (unsettled[i] === 0) settle(i); });

      const settleJob = (job: Job) => {
        const g = groupOf.get(job)!;
        if (--unsettled[g]! === 0) settle(g);
      };
      // How each file travels (src/domain/transfers.ts): one lane sends the bulk requests one
      // after another, as Nextcloud's desktop client does; the other lanes PUT (or chunk).
      const server = connection.capabilities as ServerTransfers | null;
      const transfers = deps.transfer ?? DEFAULT_TRANSFERS;
      const fresh = jobs.filter((j) => j.fresh);
      const byBulk = new Set(fresh.filter((j) => chooseTransfer(j.attachment.size, server, transfers, !j.p.claimedPath) === 'bulk'));
      type Task = { one: Job } | { bulk: Job[][] };
      const tasks: Task[] = [
        ...(byBulk.size ? [{ bulk: bulkGroups([...byBulk], (j) => j.attachment.size, transfers.bulkMaxFiles, transfers.bulkMaxRequestBytes) }] : []),
        ...fresh.filter((j) => !byBulk.has(j)).map((one) => ({ one })),
      ];
      const lanes = ctx.eachLimited(tasks, ctx.concurrency, scope, async (task) => {
        if ('one' in task) return putOne(task.one);
        for (const group of task.bulk) {
          if (scope.stopped) return; // the rest stay unsettled and are retried with the batch
          await putBulk(group);
          ctx.heartbeat({ done: scope.result.done, failed: scope.result.failed });
        }
      });

      /** One file by PUT, or by chunked upload when it is large and the server has it. */
      async function putOne(job: Job): Promise<void> {
        try {
          // The fences before every PUT: nothing more from a run that lost its lease, or
          // from an attempt that woke up after Temporal gave its batch to a newer one.
          await ctx.fence(input.lease, [job.op.id]);
          const size = job.attachment.size;
          const earlierPath = job.sentAs ?? job.p.claimedPath;
          if (earlierPath) {
            // Written by an earlier attempt (or a bulk request that failed after writing)? Then it is ours.
            const earlier = await cloud.stat(earlierPath);
            if (earlier && earlier.type === 'file' && !verifyCopy(earlier, job.attachment)) { job.path = earlierPath; return; }
          }
          const chunked = chooseTransfer(size, server, transfers, false) === 'chunked';
          const wanted = job.path;
          let triedName = false;
          for (let n = 1; n <= 50; n++) {
            const candidate = n === 1 ? wanted : withSuffix(wanted, n);
            if (!reserve(job, candidate)) continue; // another file of this batch is being written there
            // The name before was taken (412). Perhaps by the newer attempt that took this
            // operation while this one was frozen between its fence and its PUT: look again
            // before writing a second copy under another name.
            if (triedName) await ctx.fence(input.lease, [job.op.id]);
            triedName = true;
            await claim(job, candidate);
            const sha1 = job.attachment.checksum;
            // The upload key names the chunk folder: a retry of this operation, to this
            // path, of this content, resumes it.
            const send = async () => {
              // A small file is read whole and sent as one buffer: cheaper than a stream.
              if (!chunked && size <= SMALL_FILE_BYTES) return cloud.putNew(candidate, await readWhole(job.attachment, deps.erp), size, { sha1, conditional });
              const { stream } = await deps.erp.openContent(job.attachment.id, job.attachment);
              return (chunked
                ? cloud.putNewChunked(candidate, stream, size, {
                  sha1, chunkSize: transfers.chunkSizeBytes, uploadKey: `op:${job.op.id}:${candidate}:${sha1 ?? ''}`,
                  // A long upload stops between chunks once its activity is cancelled (its
                  // folder deleted) or its run may no longer write (the folder left to the
                  // attempt that took the operation over, which resumes it).
                  beforeChunk: async () => {
                    await ctx.fence(input.lease, [job.op.id]).catch((err: unknown) => { throw new HandedOver(err); });
                    ctx.throwIfCancelled();
                  },
                })
                : cloud.putNew(candidate, stream, size, { sha1, conditional })).finally(() => stream.destroy());
            };
            const put = await send().catch(async (err: unknown) => {
              // Nextcloud: a PUT into a missing folder is 404 (a chunked upload's MOVE, 409).
              // Someone deleted the record's folder after the plan: make it again (recorded
              // under its ref), then upload.
              const folderGone = err instanceof CloudError && (err.code === 'not_found' || (chunked && err.status === 409));
              if (!folderGone || !(await remakeFolder(job, parentOf(candidate)))) throw err;
              return send();
            });
            if (put) { job.path = candidate; return; }
            // Taken: by this operation's earlier attempt, whose PUT (frozen in flight) landed
            // after the look above? Then that copy is this upload's, not a stranger's file.
            if (candidate === job.p.claimedPath) {
              const there = await cloud.stat(candidate);
              if (there && there.type === 'file' && !verifyCopy(there, job.attachment)) { job.path = candidate; return; }
            }
          }
          throw new Error(`No free name for ${wanted} after 50 tries`);
        } catch (err) {
          failed.add(job);
          if (ctx.isFenced(err)) throw err;
          await scope.failed(job.op, err);
        } finally {
          settleJob(job);
        }
      }

      /**
       * Small new files, many to one request. Bulk upload overwrites (Nextcloud has no
       * precondition for its parts), so each file gets a name its folder's listing shows
       * free, claimed before the request; a file the request refused goes again by PUT (the
       * desktop client's way), which reports it. The contents are read before that listing:
       * between the look and the request there is only the claim, one statement.
       */
      async function putBulk(group: Job[]): Promise<void> {
        const settled = new Set<Job>();
        const retry: Job[] = [];
        const sending: { job: Job; path: string; content: Buffer }[] = [];
        let posted = false;
        try {
          // Before anything is recorded: an attempt that lost its batch writes nothing, not even a failure.
          await ctx.fence(input.lease, group.map((j) => j.op.id));
          const contents = new Map<Job, Buffer>();
          for (const job of group) {
            try {
              contents.set(job, await readWhole(job.attachment, deps.erp));
            } catch (err) {
              failed.add(job);
              await scope.failed(job.op, err);
              settled.add(job);
              settleJob(job);
            }
          }
          const readable = group.filter((j) => contents.has(j));
          if (readable.length === 0) return;
          await ctx.fence(input.lease, readable.map((j) => j.op.id));
          const taken = new Set<string>();
          await ctx.eachLimited([...new Set(readable.map((j) => parentOf(j.path)))], ctx.concurrency, scope, async (folder) => {
            for (const child of (await cloud.list(folder))?.children ?? []) taken.add(child.path);
          });
          for (const job of readable) {
            const path = freePath(job.path, new Set([...taken, ...[...reservedBy].filter(([, j]) => j !== job).map(([p]) => p)]));
            if (!path || !reserve(job, path)) { retry.push(job); continue; }
            taken.add(path);
            sending.push({ job, path, content: contents.get(job)! });
          }
          await claimPaths(sending.filter((s) => s.job.claimed !== s.path).map((s) => ({ id: s.job.op.id, path: s.path })));
          for (const s of sending) s.job.claimed = s.path;
          posted = true;
          const outcomes = await cloud.bulkUpload(sending.map(({ path, content }) => ({ path, content }))); // none to send: no request
          for (const s of sending) {
            if (outcomes.get(s.path)?.ok) {
              s.job.path = s.path;
              settled.add(s.job);
              settleJob(s.job);
            } else {
              retry.push(s.job);
            }
          }
        } catch (err) {
          const open = group.filter((j) => !settled.has(j) && !retry.includes(j));
          if (ctx.isFenced(err)) {
            for (const job of open) { failed.add(job); settleJob(job); }
            throw err;
          }
          if (!(err instanceof CloudError) || !isRetryable(err)) {
            // Credentials, rights, quota (or our own failure, such as the claims): recorded
            // on each file, the ones set aside for a PUT too; the batch stops as for a PUT.
            for (const job of [...open, ...retry]) { failed.add(job); await scope.failed(job.op, err); settleJob(job); }
            return;
          }
          // A transient failure of the whole request: each file by PUT, after a look at
          // whether the request wrote it anyway.
          if (posted) for (const s of sending) if (open.includes(s.job)) s.job.sentAs = s.path;
          retry.push(...open);
        }
        for (const job of retry) {
          if (scope.stopped) break;
          await putOne(job);
        }
      }

      // A stopped batch (bad credentials, throttling) leaves groups unsettled: they are
      // retried later. Whatever the lanes did, the groups already settling finish first,
      // so no verification or release runs on behind a failed activity.
      const lanesFailed = await lanes.then(() => null, (err: unknown) => err ?? new Error('an upload lane failed'));
      const finishFailed = await finishing.then(() => null, (err: unknown) => err ?? new Error('a release group failed'));
      if (lanesFailed) throw lanesFailed;
      if (finishFailed) throw finishFailed;

      /** Verifies a group's copies with one listing per folder, records them, releases the binaries. */
      async function finishGroup(group: Job[]): Promise<void> {
        await ctx.fence(input.lease, group.map((j) => j.op.id));
        const toVerify = group.filter((j) => !failed.has(j));
        const folders = [...new Set(toVerify.map((j) => parentOf(j.path)))];
        const listed = new Map<string, CloudItem>();
        for (const folder of folders) {
          const listing = await cloud.list(folder).catch(() => null);
          for (const child of listing?.children ?? []) listed.set(child.path, child);
        }
        const verified: Job[] = [];
        for (const job of toVerify) {
          const item = listed.get(job.path);
          const mismatch = !item || item.type !== 'file' ? `The cloud copy ${job.path} is not there` : verifyCopy(item, job.attachment);
          if (!mismatch) { job.item = item!; verified.push(job); continue; }
          if (job.fresh) {
            if (item) await cloud.remove(job.path).catch(() => {});
            await scope.failed(job.op, new Error(`${mismatch}: upload discarded`));
          } else {
            // Recorded before a crash, gone or changed since: forget it; the retry uploads again.
            await mapping.forget(job.p.ref);
            await scope.failed(job.op, new Error(`${mismatch}: the binary stays in the ERP and is uploaded again`));
          }
        }
        await mapping.upsertMany(verified.map((j) => ({
          ref: j.p.ref, kind: 'file' as const, item: j.item!,
          extra: { attachmentId: j.attachment.id, resModel: j.p.resModel, resId: j.p.resId, syncModelId: j.p.syncModelId },
        })));
        for (const j of verified.filter((v) => v.fresh)) {
          const wanted = j.p.path;
          scope.log({
            level: j.path === wanted ? 'success' : 'warning', path: j.path, model: j.p.resModel, recordId: j.p.resId,
            message: `Uploaded ${j.attachment.name} (${j.attachment.size} bytes) to ${j.path}${j.path === wanted ? '' : ` (${wanted} was taken)`}`,
          });
        }

        const releasing = await linksFor(cloud, connection.publicUrls, verified, scope);
        await ctx.fence(input.lease, releasing.map((r) => r.job.op.id)); // binaries go only under both fences
        const errors = await deps.erp.replaceManyWithUrl(releasing.map((r) => ({ id: r.job.attachment.id, url: r.url })));
        const retryLater: Job[] = [];
        for (const { job } of releasing) {
          const err = errors.get(job.attachment.id);
          if (err) {
            retryLater.push(job);
            scope.log({ level: 'warning', path: job.path, model: job.p.resModel, recordId: job.p.resId, message: `Uploaded, but the release failed (will retry): ${describe(err)}` });
          } else {
            scope.log({
              level: 'success', path: job.path, model: job.p.resModel, recordId: job.p.resId,
              message: `Replaced ${job.attachment.name} with a ${connection.publicUrls ? 'public' : 'URL'} link; its binary is released from the ERP`,
            });
          }
          scope.done(job.op);
        }
        const linked = new Set(releasing.map((r) => r.job));
        for (const job of verified) if (!linked.has(job)) { retryLater.push(job); scope.done(job.op); }
        await queue.enqueue('direct', retryLater.map((j) => ({
          kind: 'replace_with_url', dedupeKey: `replace_with_url:${j.p.ref}`,
          payload: { ref: j.p.ref, attachmentId: j.p.attachmentId, resModel: j.p.resModel, resId: j.p.resId } satisfies Payload<ReplaceWithUrlOp>,
        })), ctx.runId());
      }
      return scope.flush();
    },

    /**
     * Releases the ERP binary: only after the cloud copy is found again and matches, the
     * attachment becomes a URL attachment (internal link, or a public share link).
     */
    async replaceWithUrl(input: BatchInput): Promise<BatchResult> {
      await ctx.checkLease(input.lease);
      const { cloud, connection } = await ctx.requireCloud();
      return ctx.runEach(input, async (op, scope) => {
        const p = payloadOf<ReplaceWithUrlOp>(op);
        const attachment = await deps.erp.getAttachment(p.attachmentId);
        if (!attachment || attachment.type !== 'binary') return;
        const mapped = await mapping.get(p.ref);
        if (!mapped) throw new Error(`Attachment ${p.attachmentId} has no verified cloud copy yet`);
        const item = await cloud.stat(mapped.path);
        const mismatch = !item || item.type !== 'file' ? `The cloud copy ${mapped.path} is gone` : verifyCopy(item, attachment);
        if (mismatch || !item) {
          // The binary stays; upload it again rather than link to something else.
          await mapping.forget(p.ref);
          await queue.enqueue('direct', [{
            kind: 'upload', dedupeKey: `upload:${p.ref}`,
            payload: {
              ref: p.ref, attachmentId: attachment.id, resModel: p.resModel, resId: p.resId, syncModelId: mapped.syncModelId ?? 0,
              parentRef: refs.objectFolder(p.resModel, p.resId), name: sanitizeName(attachment.name) || `attachment-${attachment.id}`, path: mapped.path,
            } satisfies Payload<UploadOp>,
          }], ctx.runId());
          scope.log({ level: 'warning', path: mapped.path, model: p.resModel, recordId: p.resId, message: `${mismatch}: the binary stays in the ERP and is uploaded again` });
          return;
        }
        const url = connection.publicUrls ? await cloud.publicLink(item) : cloud.linkFor(item);
        await deps.erp.replaceWithUrl(attachment.id, url);
        await mapping.upsert(p.ref, 'file', item, { attachmentId: attachment.id, resModel: p.resModel, resId: p.resId });
        scope.log({
          level: 'success', path: item.path, model: p.resModel, recordId: p.resId,
          message: `Replaced ${attachment.name} with a ${connection.publicUrls ? 'public' : 'URL'} link; its binary is released from the ERP`,
        });
      }, 'direct');
    },
  };

  /** The link each verified copy gets; a public link that cannot be made leaves its release for a retry. */
  async function linksFor<J extends { item?: CloudItem; op: OperationRow }>(cloud: CloudPort, publicUrls: boolean, jobs: J[], scope: ReturnType<typeof ctx.batchScope>): Promise<{ job: J; url: string }[]> {
    if (!publicUrls) return jobs.map((job) => ({ job, url: cloud.linkFor(job.item!) }));
    const out: { job: J; url: string }[] = [];
    await ctx.eachLimited(jobs, ctx.concurrency, scope, async (job) => {
      try {
        out.push({ job, url: await cloud.publicLink(job.item!) });
      } catch (err) {
        // Credentials gone, or a throttling server: the batch stops (no more links asked
        // for, no more uploads started) and the run with it. The copies are recorded and
        // their releases queued like any link that could not be made yet.
        if (err instanceof CloudError && (err.code === 'auth_failed' || isThrottled(err))) {
          if (!scope.stopped) scope.log({ level: 'error', path: job.item!.path, message: `Uploaded, but the share API refused to make links: ${describe(err)}` });
          scope.stopWith(err);
          return;
        }
        scope.log({ level: 'warning', path: job.item!.path, message: `Uploaded, but no public link yet (will retry): ${describe(err)}` });
      }
    });
    return out;
  }

  /**
   * On plain WebDAV a link is the file's URL, so it moves with its folder: the URL
   * attachments of the files below a moved folder get their new links. (File-id links
   * of Nextcloud / ownCloud and public share links survive moves and stay as they are.)
   */
  async function relinkBelow(cloud: CloudPort, folder: string): Promise<void> {
    for (const row of await mapping.filesBelow(folder)) {
      if (row.fileId || row.attachmentId === null) continue;
      const link = cloud.linkFor({ path: row.path, type: 'file', size: row.size ?? 0, etag: row.etag, lastModified: null, fileId: null });
      const attachment = await deps.erp.getAttachment(row.attachmentId);
      if (attachment?.type === 'url' && attachment.url !== link) await deps.erp.relinkAttachment(row.attachmentId, link);
    }
  }

  async function claimPath(opId: number, path: string): Promise<void> {
    await deps.db.execute(sql`update operations set payload = payload || ${JSON.stringify({ claimedPath: path })}::jsonb where id = ${opId}`);
  }

  async function claimPaths(claims: { id: number; path: string }[]): Promise<void> {
    if (claims.length === 0) return;
    const values = sql.join(claims.map((c) => sql`(${c.id}::bigint, ${JSON.stringify({ claimedPath: c.path })}::jsonb)`), sql`, `);
    await deps.db.execute(sql`update operations o set payload = o.payload || v.claim from (values ${values}) as v(id, claim) where o.id = v.id`);
  }
}

/** A small attachment's whole content (for bulk upload), its announced size held to. */
async function readWhole(attachment: ErpAttachment, erp: { openContent: (id: number, a: ErpAttachment) => Promise<{ stream: Readable }> }): Promise<Buffer> {
  const { stream } = await erp.openContent(attachment.id, attachment);
  const parts: Buffer[] = [];
  let seen = 0;
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      seen += buf.length;
      if (seen > attachment.size) throw new Error(`The content of ${attachment.name} is longer than its ${attachment.size} bytes: upload aborted`);
      parts.push(buf);
    }
  } finally {
    stream.destroy();
  }
  if (seen !== attachment.size) throw new Error(`The content of ${attachment.name} ended after ${seen} of ${attachment.size} bytes: upload aborted`);
  return Buffer.concat(parts);
}

/** Why a cloud copy does not match its ERP original, or null when it does. */
export function verifyCopy(item: CloudItem, attachment: ErpAttachment): string | null {
  if (item.size !== attachment.size) return `The cloud copy ${item.path} has ${item.size} bytes, the ERP ${attachment.size}`;
  if (item.sha1 && attachment.checksum && item.sha1.toLowerCase() !== attachment.checksum.toLowerCase()) {
    return `The cloud copy ${item.path} has SHA-1 ${item.sha1}, the ERP ${attachment.checksum}`;
  }
  return null;
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

function groupIds(records: ErpRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records) out.set(r.model, [...(out.get(r.model) ?? []), r.id]);
  return out;
}

/** The server's own naming rules, from the capabilities stored at confirm. */
function namingRules(capabilities: unknown): NamingRules {
  const caps = (capabilities ?? {}) as { forbiddenNames?: string[]; forbiddenCharacters?: string[] };
  return { forbiddenNames: caps.forbiddenNames ?? [], forbiddenCharacters: caps.forbiddenCharacters ?? [] };
}

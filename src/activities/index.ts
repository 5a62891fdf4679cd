/**
 * Activities: thin, idempotent wrappers over the domain and the ports. Built by
 * `createActivities(deps)` with real dependencies (the worker and the tests alike), after
 * temporalio/samples-typescript `activities-dependency-injection`. Inputs and results
 * carry ids and counts only: no content, no secrets.
 */
import { Context } from '@temporalio/activity';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { CloudItem, CloudPort } from '../cloud/port.js';
import type { Db } from '../db/index.js';
import { OperationsQueue, type OperationRow } from '../db/repos/operations.js';
import type { SyncLog } from '../db/repos/logs.js';
import { getSettings, type ConnectionRow } from '../db/repos/connection.js';
import { cloudItems, syncModels } from '../db/schema.js';
import { planDirectSync, recordKey, withSuffix, type CreateFolderOp, type UploadOp } from '../domain/planning/direct.js';
import type { ErpAttachment, ErpRecord, SyncDirection, SyncModel } from '../domain/types.js';
import type { ErpPort } from '../erp/port.js';
import { configurationError, describe, isRetryable, toActivityFailure } from './errors.js';

export interface ActivityDeps {
  db: Db;
  erp: ErpPort;
  /** Opens the confirmed cloud connection with its decrypted credentials, or null. */
  openCloud(): Promise<{ cloud: CloudPort; connection: ConnectionRow } | null>;
  log: SyncLog;
  /** How many operations one batch activity handles, and how many at once. */
  batchSize?: number;
  concurrency?: number;
}

export interface BatchRef {
  kind: string;
  ids: number[];
}

export interface BatchResult {
  done: number;
  failed: number;
}

export function createActivities(deps: ActivityDeps) {
  const queue = new OperationsQueue(deps.db);
  const batchSize = deps.batchSize ?? 50;
  const concurrency = deps.concurrency ?? 4;
  const runId = () => Context.current().info.workflowExecution?.runId ?? null;

  async function requireCloud() {
    const opened = await deps.openCloud();
    if (!opened) throw configurationError('The cloud connection is not confirmed: save it and run "Login and Confirm" (POST /api/connection/confirm) first.');
    return opened;
  }

  async function recordItem(ref: string, kind: typeof cloudItems.$inferInsert.kind, item: CloudItem, extra: Partial<typeof cloudItems.$inferInsert>) {
    const values = { ref, kind, path: item.path, fileId: item.fileId, etag: item.etag, size: item.size, ...extra };
    await deps.db.insert(cloudItems).values(values)
      .onConflictDoUpdate({ target: cloudItems.ref, set: { ...values, updatedAt: sql`now()` } });
  }

  /**
   * Runs each operation of a batch, recording its own outcome: one bad item never blocks
   * the rest. A permanent cloud failure (credentials, rights) stops the batch and the run.
   */
  async function runEach(ids: number[], handle: (op: OperationRow) => Promise<void>, direction: SyncDirection, parallel = concurrency): Promise<BatchResult> {
    const ops = (await queue.get(ids)).filter((op) => op.status === 'pending');
    const result: BatchResult = { done: 0, failed: 0 };
    let stop: unknown = null;
    let next = 0;
    const worker = async () => {
      while (next < ops.length && !stop) {
        const op = ops[next++]!;
        try {
          await handle(op);
          await queue.complete(op.id);
          result.done++;
        } catch (err) {
          const status = await queue.fail(op.id, describe(err), isRetryable(err));
          result.failed++;
          const p = op.payload as { path?: string; resModel?: string; resId?: number };
          await deps.log.write({
            direction, level: status === 'failed' ? 'error' : 'warning', runId: runId(),
            message: `${op.kind} failed${status === 'pending' ? ' (will retry)' : ''}: ${describe(err)}`,
            path: p.path ?? null, model: p.resModel ?? null, recordId: p.resId ?? null,
          });
          if (!isRetryable(err)) stop = err;
        }
        Context.current().heartbeat({ done: result.done, failed: result.failed });
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, ops.length) }, worker));
    if (stop) throw toActivityFailure(stop);
    return result;
  }

  async function activeSyncModels(): Promise<SyncModel[]> {
    const rows = await deps.db.select().from(syncModels)
      .where(and(eq(syncModels.active, true), isNull(syncModels.deletedAt), isNull(syncModels.invalidReason)))
      .orderBy(asc(syncModels.sequence), asc(syncModels.id));
    return rows;
  }

  return {
    async loadRunSettings(): Promise<{ timeBudgetSeconds: number; batchSize: number }> {
      const s = await getSettings(deps.db);
      return { timeBudgetSeconds: s.timeBudgetSeconds, batchSize };
    },

    /** Discover + plan: reads desired (ERP) and recorded (mapping) state, queues the difference. */
    async planDirectSync(): Promise<{ planned: number; enqueued: number }> {
      const { connection } = await requireCloud();
      const models = await activeSyncModels();
      const matches = new Map<number, ErpRecord[]>();
      const attachments = new Map<string, ErpAttachment[]>();
      for (const m of models) {
        const records = await deps.erp.searchRecords(m.model, m.domain);
        matches.set(m.id, records);
        const atts = await deps.erp.listAttachments(m.model, records.map((r) => r.id));
        for (const a of atts) attachments.set(recordKey(a.resModel, a.resId), [...(attachments.get(recordKey(a.resModel, a.resId)) ?? []), a]);
      }
      const mappingRows = await deps.db.select({ ref: cloudItems.ref, path: cloudItems.path }).from(cloudItems);
      const ops = planDirectSync({
        rootFolder: connection.rootFolder,
        syncModels: models,
        matches,
        attachments,
        mapping: new Map(mappingRows.map((r) => [r.ref, r])),
      });
      const enqueued = await queue.enqueue('direct', ops, runId());
      return { planned: ops.length, enqueued };
    },

    async takeNextBatch(input: { direction: SyncDirection; limit?: number }): Promise<BatchRef | null> {
      const batch = await queue.takeBatch(input.direction, input.limit ?? batchSize);
      return batch ? { kind: batch.kind, ids: batch.ops.map((o) => o.id) } : null;
    },

    /** MKCOL for each folder (an existing folder is success), then record it in the mapping. */
    async createFolders(input: { ids: number[] }): Promise<BatchResult> {
      const { cloud } = await requireCloud();
      // One at a time, in queue order: a parent is always created before its children.
      return runEach(input.ids, async (op) => {
        const { ref, path, target } = (op.payload as CreateFolderOp['payload']);
        const item = await cloud.createFolder(path);
        await recordItem(ref, target.kind, item, {
          syncModelId: 'syncModelId' in target ? target.syncModelId : null,
          resModel: target.kind === 'object_folder' ? target.resModel : null,
          resId: target.kind === 'object_folder' ? target.resId : null,
        });
        await deps.log.write({
          direction: 'direct', level: 'success', runId: runId(), path, message: `Folder ready: ${path}`,
          model: target.kind === 'object_folder' ? target.resModel : null, recordId: target.kind === 'object_folder' ? target.resId : null,
        });
      }, 'direct', 1);
    },

    /**
     * Streams each binary to the cloud without overwriting anything, verifies the copy
     * (size), records it, and queues its release (replace with URL) as its own operation.
     */
    async uploadAttachments(input: { ids: number[] }): Promise<BatchResult> {
      const { cloud } = await requireCloud();
      return runEach(input.ids, async (op) => {
        const p = op.payload as UploadOp['payload'] & { claimedPath?: string };
        const attachment = await deps.erp.getAttachment(p.attachmentId);
        if (!attachment || attachment.type !== 'binary') return; // deleted or already a link: nothing to send
        const [mapped] = await deps.db.select().from(cloudItems).where(eq(cloudItems.ref, p.ref));
        let item: CloudItem | null = null;
        if (!mapped) {
          // A retry after a crash between PUT and bookkeeping finds its own earlier upload.
          if (p.claimedPath) {
            const earlier = await cloud.stat(p.claimedPath);
            if (earlier && earlier.type === 'file' && earlier.size === attachment.size) item = earlier;
          }
          for (let n = 1; !item && n <= 50; n++) {
            const candidate = n === 1 ? p.path : withSuffix(p.path, n);
            await claimPath(op.id, candidate);
            const { stream, size } = await deps.erp.openContent(attachment.id);
            item = await cloud.uploadNew(candidate, stream, size).finally(() => stream.destroy());
          }
          if (!item) throw new Error(`No free name for ${p.path} after 50 tries`);
          if (item.size !== attachment.size) {
            await cloud.remove(item.path);
            throw new Error(`Cloud copy of ${item.path} has ${item.size} bytes, the ERP has ${attachment.size}: upload discarded`);
          }
          await recordItem(p.ref, 'file', item, { attachmentId: attachment.id, resModel: p.resModel, resId: p.resId, syncModelId: p.syncModelId });
          await deps.log.write({
            direction: 'direct', level: 'success', runId: runId(), path: item.path, model: p.resModel, recordId: p.resId,
            message: `Uploaded ${attachment.name} (${attachment.size} bytes) to ${item.path}`,
          });
        }
        await queue.enqueue('direct', [{
          kind: 'replace_with_url', dedupeKey: `replace_with_url:${p.ref}`,
          payload: { ref: p.ref, attachmentId: p.attachmentId, resModel: p.resModel, resId: p.resId },
        }], runId());
      }, 'direct');
    },

    /**
     * Releases the ERP binary: only after the cloud copy is found again and matches in
     * size, the attachment becomes a URL attachment pointing at it.
     */
    async replaceWithUrl(input: { ids: number[] }): Promise<BatchResult> {
      const { cloud } = await requireCloud();
      return runEach(input.ids, async (op) => {
        const p = op.payload as { ref: string; attachmentId: number; resModel: string; resId: number };
        const attachment = await deps.erp.getAttachment(p.attachmentId);
        if (!attachment || attachment.type !== 'binary') return;
        const [mapped] = await deps.db.select().from(cloudItems).where(eq(cloudItems.ref, p.ref));
        if (!mapped) throw new Error(`Attachment ${p.attachmentId} has no verified cloud copy yet`);
        const item = await cloud.stat(mapped.path);
        if (!item || item.type !== 'file') throw new Error(`The cloud copy ${mapped.path} is gone: the binary stays in the ERP`);
        if (item.size !== attachment.size) throw new Error(`The cloud copy ${mapped.path} has ${item.size} bytes, the ERP ${attachment.size}: the binary stays in the ERP`);
        await deps.erp.replaceWithUrl(attachment.id, cloud.linkFor(item));
        await recordItem(p.ref, 'file', item, { attachmentId: attachment.id, resModel: p.resModel, resId: p.resId });
        await deps.log.write({
          direction: 'direct', level: 'success', runId: runId(), path: item.path, model: p.resModel, recordId: p.resId,
          message: `Replaced ${attachment.name} with a URL attachment; its binary is released from the ERP`,
        });
      }, 'direct');
    },
  };

  async function claimPath(opId: number, path: string): Promise<void> {
    await deps.db.execute(sql`update operations set payload = payload || ${JSON.stringify({ claimedPath: path })}::jsonb where id = ${opId}`);
  }
}

export type Activities = ReturnType<typeof createActivities>;

/**
 * What every activity shares: the ports, the queue, the mapping, the log, and `runEach`,
 * the one loop that executes a batch of queued operations with bounded concurrency.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { documentsSyncModel } from '../domain/documents.js';
import type { Client } from '@temporalio/client';
import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { CloudPort } from '../cloud/port.js';
import type { Db } from '../db/index.js';
import type { ConnectionRow } from '../db/repos/connection.js';
import type { LogEntry, SyncLog } from '../db/repos/logs.js';
import { ERP_ITEM_KINDS, MappingRepo } from '../db/repos/mapping.js';
import { OperationsQueue, type OperationRow } from '../db/repos/operations.js';
import { operations, settings, syncModels } from '../db/schema.js';
import type { Lease } from '../workflows/shared.js';
import { periodsToDomain } from '../domain/periods.js';
import type { DomainTerm, ErpRecord, SyncDirection, SyncModel } from '../domain/types.js';
import { describeErp } from '../erp/identity.js';
import type { ErpPort } from '../erp/port.js';
import { CloudError } from '../cloud/port.js';
import { expressionPaths } from '../domain/nameExpressions.js';
import type { TransferSettings } from '../domain/transfers.js';
import { configurationError, describe, isRetryable, isThrottled, toActivityFailure } from './errors.js';

export interface ActivityDeps {
  db: Db;
  erp: ErpPort;
  /** Opens the confirmed cloud connection with its decrypted credentials, or null. */
  openCloud(): Promise<{ cloud: CloudPort; connection: ConnectionRow } | null>;
  log: SyncLog;
  /** How many operations one batch activity handles, and how many at once. */
  batchSize?: number;
  concurrency?: number;
  /** How uploads travel on Nextcloud (chunked, bulk): src/domain/transfers.ts, defaults there. */
  transfer?: TransferSettings;
  /** Today's date for periods, `YYYY-MM-DD` (UTC); tests pin it. */
  today?: () => string;
  /** For the mutex activities: taking leases, checking on other runs. */
  temporal?: Client;
}

export interface BatchRef {
  kind: string;
  ids: number[];
  /** One line for ops, e.g. "upload 40 files to Odoo/Contacts/Acme" (the activity's summary). */
  summary: string;
  /** Operations of this direction still due after this batch. */
  pending: number;
}

/** A batch of queued operations, and the lease of the sync run that executes it. */
export interface BatchInput {
  ids: number[];
  lease?: Lease;
}

export interface BatchResult {
  done: number;
  failed: number;
}

export type ActivityContext = ReturnType<typeof createContext>;

export function createContext(deps: ActivityDeps) {
  const queue = new OperationsQueue(deps.db);
  const todayOf = deps.today ?? (() => new Date().toISOString().slice(0, 10));
  const mapping = new MappingRepo(deps.db);
  const batchSize = deps.batchSize ?? 200;
  const concurrency = deps.concurrency ?? 8;
  const runId = () => {
    try {
      return Context.current().info.workflowExecution?.runId ?? null;
    } catch {
      return null;
    }
  };
  /** This activity attempt's identity (run, activity, attempt), or null outside an activity. */
  const attemptId = (): string | null => {
    try {
      const i = Context.current().info;
      return `${i.workflowExecution?.runId ?? '-'}:${i.activityId}:${i.attempt}`;
    } catch {
      return null;
    }
  };
  /** Throws when Temporal cancelled this activity (its run was cancelled, reset, or timed out). */
  const throwIfCancelled = (): void => {
    let signal: AbortSignal | null = null;
    try {
      signal = Context.current().cancellationSignal;
    } catch {
      return; // called outside an activity (tests, scripts)
    }
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('The activity was cancelled');
  };
  const heartbeat = (details: unknown) => {
    try {
      Context.current().heartbeat(details);
    } catch {
      // Outside an activity (scripts): nothing to report to.
    }
  };

  async function requireCloud() {
    const opened = await deps.openCloud();
    if (!opened) throw configurationError('The cloud connection is not confirmed: save it and run "Login and Confirm" (POST /api/connection/confirm) first.');
    return opened;
  }

  /**
   * The bookkeeping of one batch: completions and log lines are written together at the
   * end (one statement each), failures at once. A crash loses only those buffered
   * writes, and re-running an operation is safe by design.
   */
  function batchScope(direction: SyncDirection, lease?: Lease) {
    const me = attemptId();
    const completed: number[] = [];
    const logs: LogEntry[] = [];
    const result: BatchResult = { done: 0, failed: 0 };
    let stop: unknown = null;
    return {
      result,
      get stopped() { return stop !== null; },
      log(entry: Omit<LogEntry, 'direction' | 'runId'>) {
        logs.push({ direction, runId: runId(), ...entry });
      },
      done(op: OperationRow) {
        completed.push(op.id);
        result.done++;
      },
      /** Stops the batch for a failure that is no one operation's (the share API refusing the credentials): `flush` throws it. */
      stopWith(err: unknown) {
        stop ??= err;
      },
      async failed(op: OperationRow, err: unknown) {
        const status = await queue.fail(op.id, describe(err), isRetryable(err), err instanceof CloudError ? err.retryAfterMs ?? 0 : 0);
        result.failed++;
        const p = op.payload as { path?: string; resModel?: string; resId?: number };
        logs.push({
          direction, level: status === 'failed' ? 'error' : 'warning', runId: runId(),
          message: `${op.kind} failed${status === 'pending' ? ' (will retry)' : ''}: ${describe(err)}`,
          path: p.path ?? null, model: p.resModel ?? null, recordId: p.resId ?? null,
        });
        if (!isRetryable(err) || isThrottled(err)) stop ??= err;
      },
      async flush(): Promise<BatchResult> {
        const ids = completed.splice(0);
        if (!(await queue.completeMany(ids, lease, me))) {
          await fence(lease, ids); // says why: the lease or the operations moved on
          throw superseded();
        }
        await deps.log.write(logs.splice(0));
        if (stop) throw toActivityFailure(stop);
        return result;
      },
    };
  }
  type BatchScope = ReturnType<typeof batchScope>;

  /** Runs `each` over items with at most `parallel` at once, until the scope stops. */
  async function eachLimited<T>(items: T[], parallel: number, scope: BatchScope, each: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let thrown = false;
    const lane = async () => {
      while (next < items.length && !scope.stopped && !thrown) {
        try {
          await each(items[next++]!);
        } catch (err) {
          thrown = true; // the other lanes finish their current item and take no more
          throw err;
        }
        heartbeat({ done: scope.result.done, failed: scope.result.failed });
      }
    };
    // Every lane settles before this returns or throws: nothing keeps running behind it.
    const lanes = await Promise.allSettled(Array.from({ length: Math.min(parallel, items.length) }, lane));
    const rejected = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (rejected) throw rejected.reason;
  }

  /**
   * Runs each operation of a batch, recording its own outcome: one bad item never blocks
   * the rest. A permanent cloud failure (credentials, rights) stops the batch and the run;
   * so does a throttling cloud (429, 503: the activity retries after its Retry-After).
   * The fence is checked before every operation: a run that lost its lease stops at once
   * and writes nothing more, not even its bookkeeping.
   */
  async function runEach(input: BatchInput, handle: (op: OperationRow, scope: BatchScope) => Promise<void>, direction: SyncDirection, parallel = concurrency): Promise<BatchResult> {
    await checkLease(input.lease);
    const ops = await claimBatch(input.ids);
    const scope = batchScope(direction, input.lease);
    await eachLimited(ops, parallel, scope, async (op) => {
      await fence(input.lease, [op.id]);
      try {
        await handle(op, scope);
        scope.done(op);
      } catch (err) {
        if (isFenced(err)) throw err;
        await scope.failed(op, err);
      }
    });
    return scope.flush();
  }

  /**
   * The records each sync model takes now (domain plus periods as of today). A sync model
   * the ERP cannot search stops the run with a red log: planning without it would move
   * its records to other sync models.
   */
  async function matchRecords(models: SyncModel[], direction: SyncDirection): Promise<Map<number, ErpRecord[]>> {
    const today = todayOf();
    const matches = new Map<number, ErpRecord[]>();
    for (const m of models) {
      try {
        matches.set(m.id, await deps.erp.searchRecords(m.model, [...m.domain, ...periodsToDomain(m.periods, today)] as DomainTerm[], { fields: expressionPaths(m.nameExpression) }));
      } catch (err) {
        await deps.log.write({ direction, level: 'error', runId: runId(), model: m.model, message: `Sync model "${m.folderName}" (${m.id}) cannot be searched: ${describe(err)}. Nothing was planned; fix or deactivate it.` });
        throw configurationError(`Sync model "${m.folderName}" (${m.id}) cannot be searched: ${describe(err)}`);
      }
    }
    return matches;
  }

  /**
   * The fence: a run that was given a lease may write only while Postgres still names its
   * lease. A run whose lease expired (and was handed to the next sync) fails here, for good.
   * Activities called outside a sync (tests, scripts) carry no lease and are not fenced.
   */
  /** Stopped by a fence: the lease passed to another run, or a newer attempt took the batch. */
  function isFenced(err: unknown): boolean {
    return err instanceof ApplicationFailure && (err.type === 'LeaseLost' || err.type === 'AttemptSuperseded');
  }

  const superseded = () => ApplicationFailure.create({
    type: 'AttemptSuperseded', nonRetryable: true,
    message: 'A newer attempt of this activity took over its operations (this one was frozen or cut off): it stops without writing',
  });

  /** The pending operations of a batch, claimed for this attempt. */
  async function claimBatch(ids: number[]): Promise<OperationRow[]> {
    const me = attemptId();
    if (me) await queue.claim(ids, me);
    return (await queue.get(ids)).filter((op) => op.status === 'pending');
  }

  /** Both fences, before a write: this run still holds the lease, and these operations are still this attempt's. */
  async function fence(lease: Lease | undefined, opIds: number[]): Promise<void> {
    const me = attemptId();
    if (!lease || !me || opIds.length === 0) {
      await checkLease(lease);
      if (me && (await queue.claimedByOthers(opIds, me)) > 0) throw superseded();
      return;
    }
    // Both in one round trip: it runs before every PUT.
    const [row] = await deps.db.select({
      id: settings.leaseRequestId, token: settings.leaseToken,
      others: sql<number>`(select count(*)::int from ${operations} where ${inArray(operations.id, opIds)} and ${operations.claimedBy} is distinct from ${me})`,
    }).from(settings).where(eq(settings.id, 1));
    if (row?.id !== lease.requestId || row?.token !== lease.token) {
      throw ApplicationFailure.create({
        type: 'LeaseLost', nonRetryable: true,
        message: `This run's sync lease (token ${lease.token}) is no longer the current one (${row?.token ?? 'none'}): it may not write`,
      });
    }
    if (Number(row.others) > 0) throw superseded();
  }

  async function checkLease(lease: Lease | undefined): Promise<void> {
    if (!lease) return;
    const [row] = await deps.db.select({ id: settings.leaseRequestId, token: settings.leaseToken }).from(settings).where(eq(settings.id, 1));
    if (row?.id !== lease.requestId || row?.token !== lease.token) {
      throw ApplicationFailure.create({
        type: 'LeaseLost', nonRetryable: true,
        message: `This run's sync lease (token ${lease.token}) is no longer the current one (${row?.token ?? 'none'}): it may not write`,
      });
    }
  }

  /** Says, once per run, which active sync models are not synced because the ERP refused them. */
  async function warnInvalidSyncModels(direction: SyncDirection): Promise<void> {
    const invalid = await deps.db.select().from(syncModels)
      .where(and(eq(syncModels.active, true), isNull(syncModels.deletedAt), isNotNull(syncModels.invalidReason)));
    await deps.log.write(invalid.map((m) => ({
      direction, level: 'warning' as const, runId: runId(), model: m.model,
      message: `Sync model "${m.folderName}" (${m.id}) is not synced: ${m.invalidReason}. Fix it and save it again.`,
    })));
  }

  /**
   * The mapping's record and attachment ids belong to one ERP (`settings.mapping_erp`). A
   * plan under another one (switched without a reset) would take them for its own records,
   * and, say, unlink an unrelated attachment for a deleted cloud file: it stops instead.
   * An empty mapping belongs to the ERP in use.
   */
  async function claimMappingErp(): Promise<void> {
    const identity = await deps.erp.identity();
    const [row] = await deps.db.execute<{ mapping_erp: string | null }>(sql`insert into settings (id, mapping_erp) values (1, ${identity})
      on conflict (id) do update set mapping_erp = case
        when exists (select 1 from cloud_items where kind in ${ERP_ITEM_KINDS}) then coalesce(settings.mapping_erp, ${identity})
        else ${identity} end
      returning mapping_erp`);
    if (row && row.mapping_erp !== identity) {
      throw configurationError(`The mapping of records to cloud folders was made with ${describeErp(row.mapping_erp!)}, and the ERP in use is ${describeErp(identity)}: `
        + 'the ids of the one would name other records in the other. Go back to that ERP (PUT /api/erp), or run POST /api/connection/reset first (it forgets the mapping; the files stay in the cloud)');
    }
  }

  /** The sync models to run, in priority order; with Enterprise Documents (no sync model to configure) last. */
  async function activeSyncModels(): Promise<SyncModel[]> {
    const stored = await deps.db.select().from(syncModels)
      .where(and(eq(syncModels.active, true), isNull(syncModels.deletedAt), isNull(syncModels.invalidReason)))
      .orderBy(asc(syncModels.sequence), asc(syncModels.id));
    return (await deps.erp.documents?.()) ? [...stored, documentsSyncModel()] : stored;
  }

  return {
    deps, queue, mapping, batchSize, concurrency, runId, heartbeat, throwIfCancelled, requireCloud, runEach, batchScope, eachLimited, activeSyncModels, matchRecords, checkLease, isFenced, fence, claimBatch, warnInvalidSyncModels, claimMappingErp,
  };
}

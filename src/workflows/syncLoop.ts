/**
 * The loop both syncs share: plan, then take the queue's next batch and run its activity,
 * until the queue is empty or the time budget is spent (what is left waits, durable in
 * Postgres, for the next run). Search attributes and the `progress` query show ops where
 * a run is. Thin orchestration only: decisions live in src/domain, effects in activities.
 */
import {
  type ActivityOptions, ApplicationFailure, CancellationScope, continueAsNew, getExternalWorkflowHandle, log, proxyActivities, setCurrentDetails, setHandler, sleep,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities, BatchRef, BatchResult } from '../activities/index.js';
import {
  progressQuery, releaseSignal, renewSignal, SyncDirectionKey, type Lease, SyncItemsDoneKey, SyncItemsFailedKey, SyncOutcomeKey,
  type SyncCursor, type SyncOutcome, type SyncProgress, type SyncSummary,
} from './shared.js';

const NON_RETRYABLE = ['ConfigurationError', 'CloudAuthFailed', 'CloudForbidden', 'CloudQuotaExceeded'];

// Every activity heartbeats while it runs (src/activities): a short heartbeat timeout finds
// a dead worker in seconds, and the start-to-close limits only bound a stuck call.
const QUICK: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
};
export const quick = proxyActivities<Activities>(QUICK);

// Discovery and planning read the whole scope: longer than a batch, but bounded.
export const planning = proxyActivities<Activities>({
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

const TRANSFERS: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
};
export const transfers = proxyActivities<Activities>(TRANSFERS);

// Waiting for the lock may take as long as the other sync runs.
const locking = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: ['LeaseRequestDropped', 'LeaseRequestRefused', 'ConfigurationError'] },
});

/** How long a lease lasts without renewal; the run renews it three times as often. */
export const LEASE_MS = 60_000;

/** The batch activities, carrying the batch's summary so ops read in the Web UI what each one does. */
export function batchActivities(summary: string): { quick: typeof quick; transfers: typeof transfers } {
  return {
    quick: proxyActivities<Activities>({ ...QUICK, summary }),
    transfers: proxyActivities<Activities>({ ...TRANSFERS, summary }),
  };
}

/**
 * Runs `body` holding the sync mutex's lease: acquired first (waiting in the queue behind
 * a running sync) or carried over from the run this one continues, renewed while the run
 * lives, and released in a non-cancellable finally, unless the body hands it to the next
 * run of the chain (continue-as-new keeps the lease: same request, same fencing token).
 */
export async function withSyncLease<T>(
  mutexWorkflowId: string | undefined,
  direction: 'direct' | 'backward',
  carried: Lease | null,
  body: (lease: Lease | undefined, handOver: () => void) => Promise<T>,
  leaseMs = LEASE_MS,
): Promise<T> {
  if (!mutexWorkflowId) return body(undefined, () => {});
  const info = workflowInfo();
  const mutex = getExternalWorkflowHandle(mutexWorkflowId);
  const renew = (l: Lease) => mutex.signal(renewSignal, { requestId: l.requestId, token: l.token }).catch((err: unknown) => {
    // The lease then runs out and the fence stops this run's writes: nothing unsafe, say it.
    log.warn('Could not renew the sync lease', { error: String((err as Error)?.message ?? err) });
  });
  let lease: Lease;
  if (carried) {
    lease = carried;
    await renew(lease);
  } else {
    lease = await locking.acquireLease({
      mutexWorkflowId, taskQueue: info.taskQueue,
      request: { requestId: info.firstExecutionRunId, workflowId: info.workflowId, firstRunId: info.firstExecutionRunId, direction, leaseMs },
    });
  }
  let holding = true;
  let handingOver = false;
  void (async () => {
    while (holding) {
      await sleep(leaseMs / 3);
      if (holding) await renew(lease);
    }
  })();
  try {
    return await body(lease, () => { handingOver = true; });
  } finally {
    holding = false;
    if (!handingOver) await CancellationScope.nonCancellable(() => mutex.signal(releaseSignal, { requestId: lease.requestId, token: lease.token }));
  }
}

type Plan = (lease: Lease | undefined) => Promise<{ planned: number }>;
type RunBatch = (batch: BatchRef, lease: Lease | undefined, acts: ReturnType<typeof batchActivities>) => Promise<BatchResult> | null;

export async function runSyncLoop(
  direction: 'direct' | 'backward',
  input: { mutexWorkflowId?: string; cursor?: SyncCursor; leaseMs?: number },
  plan: Plan,
  runBatch: RunBatch,
): Promise<SyncSummary> {
  const cursor = input.cursor;
  const progress: SyncProgress = {
    phase: 'starting', done: cursor?.done ?? 0, failed: cursor?.failed ?? 0, pending: 0, currentBatch: null, run: cursor?.run ?? 1,
  };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: SyncDirectionKey, value: direction }, { key: SyncOutcomeKey, value: 'running' }]);
  progress.phase = cursor?.lease ? 'propagating' : 'waiting_for_lock';
  showDetails(direction, progress);
  const result = await withSyncLease(input.mutexWorkflowId, direction, cursor?.lease ?? null,
    (lease, handOver) => propagate(direction, progress, lease, cursor, plan, runBatch, handOver), input.leaseMs);
  if ('continueWith' in result) {
    // History stays bounded: the next run of the chain starts where this one stands.
    await continueAsNew<(i: typeof input) => Promise<SyncSummary>>({ ...input, cursor: result.continueWith });
  }
  return result as SyncSummary;
}

async function propagate(
  direction: 'direct' | 'backward',
  progress: SyncProgress,
  lease: Lease | undefined,
  cursor: SyncCursor | undefined,
  plan: Plan,
  runBatch: RunBatch,
  handOver: () => void,
): Promise<SyncSummary | { continueWith: SyncCursor }> {
  // The budget counts from holding the lock: time spent waiting for the other sync is not work.
  const startedAt = cursor?.startedAt ?? Date.now();
  const { timeBudgetSeconds } = await quick.loadRunSettings();
  let planned = cursor?.planned ?? 0;
  if (!cursor) {
    progress.phase = 'planning';
    showDetails(direction, progress);
    planned = (await plan(lease)).planned;
  }

  progress.phase = 'propagating';
  let outcome: SyncOutcome = 'completed';
  let batches = cursor?.batches ?? 0;
  let batchesHere = 0;
  for (;;) {
    // At least one batch per run, so even a tiny budget makes progress.
    if (batches > 0 && Date.now() - startedAt > timeBudgetSeconds * 1000) {
      outcome = 'budget_spent';
      break;
    }
    if (batchesHere > 0 && workflowInfo().continueAsNewSuggested) {
      handOver();
      return { continueWith: { lease: lease ?? null, startedAt, planned, done: progress.done, failed: progress.failed, batches, run: progress.run + 1 } };
    }
    const batch = await quick.takeNextBatch({ direction });
    if (!batch) break;
    progress.currentBatch = batch.summary;
    progress.pending = batch.pending;
    showDetails(direction, progress);
    const running = runBatch(batch, lease, batchActivities(batch.summary));
    if (!running) throw ApplicationFailure.nonRetryable(`The ${direction} sync does not know operation kind ${batch.kind}`, 'UnknownOperationKind');
    const result = await running;
    batches++;
    batchesHere++;
    progress.done += result.done;
    progress.failed += result.failed;
    upsertSearchAttributes([{ key: SyncItemsDoneKey, value: progress.done }, { key: SyncItemsFailedKey, value: progress.failed }]);
  }
  if (outcome === 'completed' && progress.failed > 0) outcome = 'completed_with_failures';
  progress.phase = 'finished';
  progress.currentBatch = null;
  progress.pending = 0;
  showDetails(direction, progress, outcome);
  upsertSearchAttributes([{ key: SyncOutcomeKey, value: outcome }]);
  return { outcome, planned, done: progress.done, failed: progress.failed, batches };
}

/** The run's "current details" in the Web UI: one glance says where it is. */
function showDetails(direction: 'direct' | 'backward', p: SyncProgress, outcome?: SyncOutcome): void {
  const head = `**${direction} sync** · ${outcome ?? p.phase.replace(/_/g, ' ')}`;
  const counts = `${p.done} done · ${p.failed} failed${p.phase === 'propagating' ? ` · ${p.pending} pending` : ''}`;
  const lines = [head, counts];
  if (p.currentBatch) lines.push(`now: ${p.currentBatch}`);
  if (p.run > 1) lines.push(`run ${p.run} of this sync (continued as new to keep its history small)`);
  setCurrentDetails(lines.join('\n\n'));
}

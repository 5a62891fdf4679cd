/**
 * The loop both syncs share: plan, then take the queue's next batch and run its activity,
 * until the queue is empty or the time budget is spent (what is left waits, durable in
 * Postgres, for the next run). Search attributes and the `progress` query show ops where
 * a run is. Thin orchestration only: decisions live in src/domain, effects in activities.
 */
import {
  ApplicationFailure, CancellationScope, getExternalWorkflowHandle, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities, BatchRef, BatchResult } from '../activities/index.js';
import {
  progressQuery, releaseSignal, renewSignal, SyncDirectionKey, type Lease, SyncItemsDoneKey, SyncItemsFailedKey, SyncOutcomeKey,
  type SyncOutcome, type SyncProgress, type SyncSummary,
} from './shared.js';

const NON_RETRYABLE = ['ConfigurationError', 'CloudAuthFailed', 'CloudForbidden'];

// Every activity heartbeats while it runs (src/activities): a short heartbeat timeout finds
// a dead worker in seconds, and the start-to-close limits only bound a stuck call.
export const quick = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

// Discovery and planning read the whole scope: longer than a batch, but bounded.
export const planning = proxyActivities<Activities>({
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

export const transfers = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

// Waiting for the lock may take as long as the other sync runs.
const locking = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: ['LeaseRequestDropped', 'LeaseRequestRefused', 'ConfigurationError'] },
});

/** How long a lease lasts without renewal; the run renews it three times as often. */
export const LEASE_MS = 60_000;

/**
 * Runs `body` holding the sync mutex's lease: acquired first (waiting in the queue behind
 * a running sync), renewed while the run lives, released in a non-cancellable finally.
 */
export async function withSyncLease<T>(mutexWorkflowId: string | undefined, direction: 'direct' | 'backward', body: (lease: Lease | undefined) => Promise<T>): Promise<T> {
  if (!mutexWorkflowId) return body(undefined);
  const info = workflowInfo();
  const lease = await locking.acquireLease({
    mutexWorkflowId, taskQueue: info.taskQueue,
    request: { requestId: info.runId, workflowId: info.workflowId, runId: info.runId, direction, leaseMs: LEASE_MS },
  });
  const mutex = getExternalWorkflowHandle(mutexWorkflowId);
  let holding = true;
  const renewing = (async () => {
    while (holding) {
      await sleep(LEASE_MS / 3);
      if (holding) await mutex.signal(renewSignal, { requestId: lease.requestId, token: lease.token });
    }
  })();
  try {
    return await body(lease);
  } finally {
    holding = false;
    await CancellationScope.nonCancellable(() => mutex.signal(releaseSignal, { requestId: lease.requestId, token: lease.token }));
    void renewing;
  }
}

export async function runSyncLoop(
  direction: 'direct' | 'backward',
  mutexWorkflowId: string | undefined,
  plan: (lease: Lease | undefined) => Promise<{ planned: number }>,
  runBatch: (batch: BatchRef, lease: Lease | undefined) => Promise<BatchResult> | null,
): Promise<SyncSummary> {
  const progress: SyncProgress = { phase: 'starting', done: 0, failed: 0, currentBatch: null };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: SyncDirectionKey, value: direction }, { key: SyncOutcomeKey, value: 'running' }]);
  progress.phase = 'waiting_for_lock';
  return withSyncLease(mutexWorkflowId, direction, (lease) => propagate(direction, progress, lease, plan, runBatch));
}

async function propagate(
  direction: 'direct' | 'backward',
  progress: SyncProgress,
  lease: Lease | undefined,
  plan: (lease: Lease | undefined) => Promise<{ planned: number }>,
  runBatch: (batch: BatchRef, lease: Lease | undefined) => Promise<BatchResult> | null,
): Promise<SyncSummary> {
  // The budget counts from holding the lock: time spent waiting for the other sync is not work.
  const startedAt = Date.now();
  const { timeBudgetSeconds } = await quick.loadRunSettings();
  progress.phase = 'planning';
  const { planned } = await plan(lease);

  progress.phase = 'propagating';
  let outcome: SyncOutcome = 'completed';
  let batches = 0;
  for (;;) {
    // At least one batch per run, so even a tiny budget makes progress.
    if (batches > 0 && Date.now() - startedAt > timeBudgetSeconds * 1000) {
      outcome = 'budget_spent';
      break;
    }
    const batch = await quick.takeNextBatch({ direction });
    if (!batch) break;
    progress.currentBatch = `${batch.kind} x${batch.ids.length}`;
    const running = runBatch(batch, lease);
    if (!running) throw ApplicationFailure.nonRetryable(`The ${direction} sync does not know operation kind ${batch.kind}`, 'UnknownOperationKind');
    const result = await running;
    batches++;
    progress.done += result.done;
    progress.failed += result.failed;
    upsertSearchAttributes([{ key: SyncItemsDoneKey, value: progress.done }, { key: SyncItemsFailedKey, value: progress.failed }]);
  }
  if (outcome === 'completed' && progress.failed > 0) outcome = 'completed_with_failures';
  progress.phase = 'finished';
  progress.currentBatch = null;
  upsertSearchAttributes([{ key: SyncOutcomeKey, value: outcome }]);
  return { outcome, planned, done: progress.done, failed: progress.failed, batches };
}

/**
 * Direct sync (ERP -> cloud): plan, then propagate the queue batch by batch until it is
 * empty or the time budget is spent. Thin orchestration only: every decision lives in
 * src/domain, every effect in an activity.
 */
import { ApplicationFailure, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities, BatchRef, BatchResult } from '../activities/index.js';
import {
  progressQuery, SyncDirectionKey, SyncItemsDoneKey, SyncItemsFailedKey, SyncOutcomeKey,
  type DirectSyncInput, type SyncOutcome, type SyncProgress, type SyncSummary,
} from './shared.js';

const NON_RETRYABLE = ['ConfigurationError', 'CloudAuthFailed', 'CloudForbidden'];

// Every activity heartbeats while it runs (src/activities): a short heartbeat timeout finds
// a dead worker in seconds, and the start-to-close limits only bound a stuck call.
const quick = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

// Discovery and planning read the whole scope: longer than a batch, but bounded.
const planning = proxyActivities<Activities>({
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});

const transfers = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
});

export async function directSync(input: DirectSyncInput = {}): Promise<SyncSummary> {
  const progress: SyncProgress = { phase: 'starting', done: 0, failed: 0, currentBatch: null };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: SyncDirectionKey, value: 'direct' }, { key: SyncOutcomeKey, value: 'running' }]);

  const startedAt = Date.now();
  const { timeBudgetSeconds } = await quick.loadRunSettings();
  progress.phase = 'planning';
  const { planned } = await planning.planDirectSync({ fullScan: input.fullScan === true });

  progress.phase = 'propagating';
  let outcome: SyncOutcome = 'completed';
  let batches = 0;
  for (;;) {
    // At least one batch per run, so even a tiny budget makes progress.
    if (batches > 0 && Date.now() - startedAt > timeBudgetSeconds * 1000) {
      // The rest of the queue waits, durable in Postgres, for the next run.
      outcome = 'budget_spent';
      break;
    }
    const batch = await quick.takeNextBatch({ direction: 'direct' });
    if (!batch) break;
    progress.currentBatch = `${batch.kind} x${batch.ids.length}`;
    const result = await runBatch(batch);
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

function runBatch(batch: BatchRef): Promise<BatchResult> {
  const input = { ids: batch.ids };
  switch (batch.kind) {
    case 'create_folder': return quick.createFolders(input);
    case 'move_folder': return quick.moveFolders(input);
    case 'delete_item': return quick.deleteItems(input);
    case 'upload': return transfers.uploadAttachments(input);
    case 'replace_with_url': return quick.replaceWithUrl(input);
    default: throw ApplicationFailure.nonRetryable(`directSync does not know operation kind ${batch.kind}`, 'UnknownOperationKind');
  }
}

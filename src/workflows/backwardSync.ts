/** Backward sync (cloud -> ERP): scan and plan, then mirror the changes in the ERP batch by batch. */
import type { BatchRef } from '../activities/index.js';
import type { BackwardSyncInput, SyncSummary } from './shared.js';
import { planning, runSyncLoop } from './syncLoop.js';

export async function backwardSync(input: BackwardSyncInput = {}): Promise<SyncSummary> {
  return runSyncLoop('backward', input, (lease) => planning.planBackwardSync({ lease }), (batch: BatchRef, lease, { quick }) => {
    const ids = { ids: batch.ids, lease };
    switch (batch.kind) {
      case 'create_link': return quick.createLinks(ids);
      case 'update_link': return quick.updateLinks(ids);
      case 'unlink': return quick.unlinkAttachments(ids);
      default: return null;
    }
  });
}

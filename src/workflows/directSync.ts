/** Direct sync (ERP -> cloud): discover and plan, then propagate the queue batch by batch. */
import type { BatchRef } from '../activities/index.js';
import type { DirectSyncInput, SyncSummary } from './shared.js';
import { planning, runSyncLoop } from './syncLoop.js';

export async function directSync(input: DirectSyncInput = {}): Promise<SyncSummary> {
  return runSyncLoop('direct', input, (lease) => planning.planDirectSync({ fullScan: input.fullScan === true, lease }), (batch: BatchRef, lease, { quick, transfers }) => {
    const ids = { ids: batch.ids, lease };
    switch (batch.kind) {
      case 'create_folder': return quick.createFolders(ids);
      case 'move_folder': return quick.moveFolders(ids);
      case 'delete_item': return quick.deleteItems(ids);
      case 'upload': return transfers.uploadAttachments(ids);
      case 'replace_with_url': return quick.replaceWithUrl(ids);
      default: return null;
    }
  });
}

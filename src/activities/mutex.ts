/**
 * The activities around the sync mutex: taking a lease (an update-with-start on the mutex
 * workflow, then the fence written to Postgres), checking the fence before writes, and the
 * two checks the mutex makes on other runs (still running? made sure stopped).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { settings } from '../db/schema.js';
import { acquireUpdate, type Lease, type LeaseRequest } from '../workflows/shared.js';
import type { ActivityContext } from './context.js';

export function mutexActivities(ctx: ActivityContext) {
  const { deps } = ctx;
  const client = (): Client => {
    if (!deps.temporal) throw ApplicationFailure.nonRetryable('These activities need a Temporal client in their dependencies', 'ConfigurationError');
    return deps.temporal;
  };

  return {
    /**
     * Waits in the mutex's queue until this run holds the lock (heartbeating all the
     * while), then records the fence: from now on only this run's token may write.
     */
    async acquireLease(input: { mutexWorkflowId: string; taskQueue: string; request: LeaseRequest }): Promise<Lease> {
      let lease: Lease;
      try {
        lease = await client().workflow.executeUpdateWithStart(acquireUpdate, {
          args: [input.request],
          startWorkflowOperation: new WithStartWorkflowOperation('syncMutex', {
            workflowId: input.mutexWorkflowId, taskQueue: input.taskQueue, args: [],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          }),
        });
      } catch (err) {
        // The mutex said no (a dropped or already released request): say why, and stop.
        if (err instanceof WorkflowUpdateFailedError) {
          const cause = err.cause as { message?: string; type?: string } | undefined;
          throw ApplicationFailure.create({ type: cause?.type ?? 'LeaseRequestRefused', nonRetryable: true, message: `The sync mutex refused the lock: ${cause?.message ?? err.message}` });
        }
        throw err;
      }
      await deps.db.update(settings).set({ leaseRequestId: lease.requestId, leaseToken: lease.token, updatedAt: sql`now()` }).where(eq(settings.id, 1));
      return lease;
    },

    async isWorkflowRunning(input: { workflowId: string; runId: string }): Promise<boolean> {
      try {
        const d = await client().workflow.getHandle(input.workflowId, input.runId).describe();
        return d.status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    /** Terminates a run whose lease expired, unless it already stopped. */
    async ensureWorkflowStopped(input: { workflowId: string; runId: string; reason: string }): Promise<void> {
      const handle = client().workflow.getHandle(input.workflowId, input.runId);
      try {
        const d = await handle.describe();
        if (d.status.name === 'RUNNING') await handle.terminate(`Stopped by the sync mutex: ${input.reason}`);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },
  };
}

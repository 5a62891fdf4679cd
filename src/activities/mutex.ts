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
      let lease: Lease | null = null;
      while (!lease) {
        try {
          lease = await client().workflow.executeUpdateWithStart(acquireUpdate, {
            args: [input.request],
            startWorkflowOperation: new WithStartWorkflowOperation('syncMutex', {
              workflowId: input.mutexWorkflowId, taskQueue: input.taskQueue, args: [],
              workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            }),
          });
        } catch (err) {
          if (!(err instanceof WorkflowUpdateFailedError)) throw err;
          const cause = err.cause as { message?: string; type?: string } | undefined;
          // The mutex continued as new while this request waited in its queue: the new run
          // carries the queue, so the same request simply waits on there.
          if (cause?.type === 'AcceptedUpdateCompletedWorkflow') continue;
          // The mutex said no (a dropped or already released request): say why, and stop.
          throw ApplicationFailure.create({ type: cause?.type ?? 'LeaseRequestRefused', nonRetryable: true, message: `The sync mutex refused the lock: ${cause?.message ?? err.message}` });
        }
      }
      await deps.db.update(settings).set({ leaseRequestId: lease.requestId, leaseToken: lease.token, updatedAt: sql`now()` }).where(eq(settings.id, 1));
      return lease;
    },

    /** Whether the run chain that began with `firstRunId` is still running (in any of its runs). */
    async isWorkflowRunning(input: { workflowId: string; firstRunId: string }): Promise<boolean> {
      return chainIsRunning(client(), input.workflowId, input.firstRunId);
    },

    /** Terminates the current run of a chain whose lease expired, unless it already stopped. */
    async ensureWorkflowStopped(input: { workflowId: string; firstRunId: string; reason: string }): Promise<void> {
      if (!(await chainIsRunning(client(), input.workflowId, input.firstRunId))) return;
      try {
        await client().workflow.getHandle(input.workflowId, undefined, { firstExecutionRunId: input.firstRunId }).terminate(`Stopped by the sync mutex: ${input.reason}`);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },
  };
}

async function chainIsRunning(client: Client, workflowId: string, firstRunId: string): Promise<boolean> {
  try {
    // The newest run of this workflow id: it belongs to the chain if its first run is ours.
    const d = await client.workflow.getHandle(workflowId).describe();
    const first = d.raw.workflowExecutionInfo?.firstRunId || d.runId;
    return d.status.name === 'RUNNING' && (first === firstRunId || d.runId === firstRunId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

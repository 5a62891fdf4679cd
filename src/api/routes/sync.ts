import type { FastifyInstance } from 'fastify';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { getSettings } from '../../db/repos/connection.js';
import { settings } from '../../db/schema.js';
import type { Services } from '../../services.js';
import { ApiError, validate } from '../errors.js';
import { directTriggerBody, logsQuery } from '../schemas.js';

/**
 * The other sync run this one will wait behind, if any (from Temporal's visibility, which
 * needs no worker to answer): shown to whoever pressed the button.
 */
async function runningOtherThan(services: Services, workflowId: string): Promise<string | null> {
  const ids = [services.workflowIds.direct, services.workflowIds.backward];
  const query = `WorkflowType IN ('directSync', 'backwardSync') AND ExecutionStatus = 'Running' AND TaskQueue = '${services.taskQueue}'`;
  try {
    for await (const w of services.temporal.workflow.list({ query, pageSize: 10 })) {
      if (w.workflowId !== workflowId && (ids.includes(w.workflowId) || w.workflowId.startsWith(`${ids[0]}-scheduled`) || w.workflowId.startsWith(`${ids[1]}-scheduled`))) return w.workflowId;
    }
  } catch {
    // Visibility is a courtesy here: the trigger itself went through.
  }
  return null;
}

export function syncRoutes(app: FastifyInstance, services: Services): void {
  app.post('/api/sync/direct', async (request, reply) => {
    const body = request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? request.body as Record<string, unknown> : {};
    const fullScan = validate(directTriggerBody, body, 'body').fullScan;
    const connection = await services.connections.get();
    if (connection?.state !== 'confirmed') {
      throw new ApiError(409, 'cloud_not_confirmed', 'The cloud connection is not confirmed: PUT /api/connection, then POST /api/connection/confirm');
    }
    // One direct run at a time: a trigger while one runs joins it instead of overlapping.
    const handle = await services.temporal.workflow.start('directSync', {
      taskQueue: services.taskQueue,
      workflowId: services.workflowIds.direct,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [{ trigger: 'api', fullScan, mutexWorkflowId: services.workflowIds.mutex }],
    });
    return reply.code(202).send({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, queuedBehind: await runningOtherThan(services, handle.workflowId) });
  });

  app.post('/api/sync/backward', async (request, reply) => {
    const connection = await services.connections.get();
    if (connection?.state !== 'confirmed') {
      throw new ApiError(409, 'cloud_not_confirmed', 'The cloud connection is not confirmed: PUT /api/connection, then POST /api/connection/confirm');
    }
    if (request.body !== undefined && request.body !== null && (typeof request.body !== 'object' || Array.isArray(request.body) || Object.keys(request.body).length > 0)) {
      throw new ApiError(422, 'invalid_fields', 'POST /api/sync/backward takes no body fields');
    }
    const handle = await services.temporal.workflow.start('backwardSync', {
      taskQueue: services.taskQueue,
      workflowId: services.workflowIds.backward,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [{ trigger: 'api', mutexWorkflowId: services.workflowIds.mutex }],
    });
    return reply.code(202).send({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, queuedBehind: await runningOtherThan(services, handle.workflowId) });
  });

  /** The mass-deletion guard: lets the next backward sync unlink what a run held back. */
  app.post('/api/queue/acknowledge-deletions', async () => {
    const s = await getSettings(services.database.db);
    if (!s.deletionsHeld) throw new ApiError(409, 'nothing_held', 'No backward sync is holding deletions back');
    await services.database.db.update(settings).set({ deletionsAcknowledgedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(settings.id, 1));
    return { acknowledged: s.deletionsHeld };
  });

  app.get('/api/logs', async (request) => {
    const query = validate(logsQuery, request.query, 'query');
    const rows = await services.log.list(query);
    return {
      items: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
      nextCursor: rows.length === query.limit ? rows[rows.length - 1]!.id : null,
    };
  });
}

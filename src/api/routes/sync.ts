import type { FastifyInstance } from 'fastify';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { getSettings } from '../../db/repos/connection.js';
import { settings } from '../../db/schema.js';
import type { Services } from '../../services.js';
import { ApiError, validate } from '../errors.js';
import { directTriggerBody, logsQuery } from '../schemas.js';

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
    return reply.code(202).send({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, queuedBehind: null });
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
    return reply.code(202).send({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, queuedBehind: null });
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

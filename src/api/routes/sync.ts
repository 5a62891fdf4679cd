import type { FastifyInstance } from 'fastify';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
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
      args: [{ trigger: 'api', fullScan }],
    });
    return reply.code(202).send({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, queuedBehind: null });
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

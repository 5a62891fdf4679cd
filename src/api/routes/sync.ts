import type { FastifyInstance } from 'fastify';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { Services } from '../../services.js';
import { ApiError, validate } from '../errors.js';
import { logsQuery } from '../schemas.js';
import { WORKFLOW_IDS } from '../../workflows/shared.js';

export function syncRoutes(app: FastifyInstance, services: Services): void {
  app.post('/api/sync/direct', async (_request, reply) => {
    const connection = await services.connections.get();
    if (connection?.state !== 'confirmed') {
      throw new ApiError(409, 'cloud_not_confirmed', 'The cloud connection is not confirmed: PUT /api/connection, then POST /api/connection/confirm');
    }
    // One direct run at a time: a trigger while one runs joins it instead of overlapping.
    const handle = await services.temporal.workflow.start('directSync', {
      taskQueue: services.taskQueue,
      workflowId: WORKFLOW_IDS.direct,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [{ trigger: 'api' }],
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

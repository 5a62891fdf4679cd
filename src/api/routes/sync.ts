import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { getSettings } from '../../db/repos/connection.js';
import { settings } from '../../db/schema.js';
import type { Services } from '../../services.js';
import { ApiError, notFound, parseBody, validate } from '../errors.js';
import { directTriggerBody, idParam, logsExportQuery, logsQuery, logsSummaryQuery, queueQuery } from '../schemas.js';
import { csvHeader, csvRow } from '../../db/repos/logs.js';

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
    // No body is an ordinary trigger; a body must be a JSON object of known fields.
    const fullScan = request.body === undefined || request.body === null ? false : parseBody(directTriggerBody, request).fullScan;
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

  app.get('/api/logs/summary', async (request) => {
    const { groupBy, ...filter } = validate(logsSummaryQuery, request.query, 'query');
    return { groupBy, groups: await services.log.summary(filter, groupBy) };
  });

  /** A download of every matching row, streamed page by page (any size, little memory). */
  app.get('/api/logs/export', async (request, reply) => {
    const { format, ...filter } = validate(logsExportQuery, request.query, 'query');
    const log = services.log;
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    async function* body(): AsyncGenerator<string> {
      if (format === 'csv') {
        yield csvHeader();
        for await (const row of log.each(filter)) yield csvRow(row);
        return;
      }
      yield '[';
      let first = true;
      for await (const row of log.each(filter)) {
        yield `${first ? '' : ','}\n${JSON.stringify({ ...row, at: row.at.toISOString() })}`;
        first = false;
      }
      yield '\n]\n';
    }
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="sync-logs-${stamp}.${format}"`)
      .send(Readable.from(body()));
  });

  /** The queue: pending and failed operations, oldest first. */
  app.get('/api/queue', async (request) => {
    const query = validate(queueQuery, request.query, 'query');
    const rows = await services.queue.list(query);
    return {
      items: rows.map((r) => ({
        id: r.id, direction: r.direction, kind: r.kind, status: r.status, attempts: r.attempts,
        notBefore: r.notBefore.toISOString(), lastError: r.lastError, createdAt: r.createdAt.toISOString(),
        path: typeof (r.payload as { path?: unknown }).path === 'string' ? (r.payload as { path: string }).path : null,
        model: (r.payload as { resModel?: string }).resModel ?? null, recordId: (r.payload as { resId?: number }).resId ?? null,
      })),
      nextCursor: rows.length === query.limit ? rows[rows.length - 1]!.id : null,
    };
  });

  /** Retry one operation now: a failed one gets its attempts back, a waiting one skips its back-off. */
  app.post('/api/queue/:id/retry', async (request) => {
    const id = validate(idParam, (request.params as { id: string }).id, 'id');
    const [op] = await services.queue.get([id]);
    if (!op) throw notFound(`Operation ${id}`);
    if (op.status === 'done') throw new ApiError(409, 'operation_done', `Operation ${id} is already done: there is nothing to retry`);
    await services.queue.retryNow(id);
    const [after] = await services.queue.get([id]);
    return { id, status: after!.status, attempts: after!.attempts, notBefore: after!.notBefore.toISOString() };
  });
}

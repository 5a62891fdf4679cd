/**
 * `GET /api/status` and `GET /api/sync/runs`: what ops and admins check first. Fast: no
 * cloud round-trip on the request path; Temporal's visibility for runs, a short-deadline
 * query for the mutex (it needs a worker to answer; without one the status says so).
 */
import type { FastifyInstance } from 'fastify';
import { WorkflowNotFoundError, type WorkflowExecutionInfo } from '@temporalio/client';
import { getSettings } from '../../db/repos/connection.js';
import { DEFAULT_SCHEDULES } from '../../domain/schedules.js';
import type { Services } from '../../services.js';
import { describeSchedule } from '../../temporal/schedules.js';
import { mutexStateQuery, type MutexState } from '../../workflows/shared.js';
import { validate } from '../errors.js';
import { runsQuery } from '../schemas.js';


const MUTEX_QUERY_DEADLINE_MS = 1500;

function runView(w: WorkflowExecutionInfo) {
  const sa = w.typedSearchAttributes;
  const get = (name: string) => sa.getAll().find((p) => p.key.name === name)?.value ?? null;
  return {
    workflowId: w.workflowId, runId: w.runId, type: w.type, status: w.status.name,
    direction: get('SyncDirection') ?? (w.type === 'directSync' ? 'direct' : 'backward'),
    outcome: get('SyncOutcome'), done: get('SyncItemsDone') ?? 0, failed: get('SyncItemsFailed') ?? 0,
    startedAt: w.startTime.toISOString(), closedAt: w.closeTime?.toISOString() ?? null,
  };
}

async function recentRuns(services: Services, direction: 'direct' | 'backward' | undefined, limit: number) {
  const types = direction ? `'${direction}Sync'` : `'directSync', 'backwardSync'`;
  const query = `WorkflowType IN (${types}) AND TaskQueue = '${services.taskQueue}'`;
  const out: ReturnType<typeof runView>[] = [];
  for await (const w of services.temporal.workflow.list({ query, pageSize: limit })) {
    out.push(runView(w));
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export function statusRoutes(app: FastifyInstance, services: Services): void {
  app.get('/api/sync/runs', async (request) => {
    const { direction, limit } = validate(runsQuery, request.query, 'query');
    return { items: await recentRuns(services, direction, limit) };
  });

  app.get('/api/status', async () => {
    const [connection, settings, depthDirect, depthBackward, failed] = await Promise.all([
      services.connections.get(), getSettings(services.database.db), services.queue.depth('direct'), services.queue.depth('backward'),
      services.database.sql`select direction, count(*)::int as n from operations where status = 'failed' group by direction`,
    ]);
    const stored = settings.schedules ?? DEFAULT_SCHEDULES;
    const schedules: Record<string, unknown> = {};
    for (const d of ['direct', 'backward'] as const) {
      const spec = stored[d];
      const live = await describeSchedule(services, d).catch(() => null);
      schedules[d] = {
        ...('cron' in spec ? { cron: spec.cron } : { every: spec.every, offset: spec.offset }),
        paused: spec.paused, nextRunAt: live?.nextRunAt ?? null, exists: live?.exists ?? null,
      };
    }

    let mutex: { available: boolean; holder: unknown; waiting: unknown[] };
    try {
      const state = await services.temporalConnection.withDeadline(Date.now() + MUTEX_QUERY_DEADLINE_MS,
        () => services.temporal.workflow.getHandle(services.workflowIds.mutex).query(mutexStateQuery)) as MutexState;
      mutex = {
        available: true,
        holder: state.holder && { workflowId: state.holder.workflowId, direction: state.holder.direction, token: state.holder.token, grantedAt: new Date(state.holder.grantedAt).toISOString(), expiresAt: new Date(state.holder.expiresAt).toISOString() },
        waiting: state.queue.map((q) => ({ workflowId: q.workflowId, direction: q.direction })),
      };
    } catch (err) {
      // No mutex yet (no sync ever ran) is a quiet state; no answer in time means no worker.
      mutex = err instanceof WorkflowNotFoundError ? { available: true, holder: null, waiting: [] } : { available: false, holder: null, waiting: [] };
    }

    const runs = await recentRuns(services, undefined, 20).catch(() => []);
    const last = (d: string) => runs.find((r) => r.direction === d) ?? null;
    const failedBy = Object.fromEntries(failed.map((r) => [r.direction as string, r.n as number]));
    return {
      connection: connection
        ? { state: connection.state, url: connection.url, rootFolder: connection.rootFolder, lastError: connection.lastError ?? null, confirmedAt: connection.confirmedAt?.toISOString() ?? null }
        : null,
      schedules,
      mutex,
      lastRuns: { direct: last('direct'), backward: last('backward') },
      queue: {
        direct: { pending: depthDirect, failed: failedBy.direct ?? 0 },
        backward: { pending: depthBackward, failed: failedBy.backward ?? 0 },
      },
      deletionsHeld: settings.deletionsHeld ?? null,
    };
  });
}

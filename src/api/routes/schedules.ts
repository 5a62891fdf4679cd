import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { getSettings } from '../../db/repos/connection.js';
import { settings } from '../../db/schema.js';
import { checkSchedule, DEFAULT_SCHEDULES, ScheduleError, type ScheduleSpec, type Schedules } from '../../domain/schedules.js';
import type { Services } from '../../services.js';
import { applySchedules, describeSchedule } from '../../temporal/schedules.js';
import { ApiError, parseBody } from '../errors.js';
import { schedulesPut } from '../schemas.js';

/** `GET /api/schedules`, `PUT /api/schedules`: the two sync schedules, as stored and as Temporal runs them. */
export function scheduleRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const stored = async (): Promise<Schedules> => (await getSettings(db)).schedules ?? DEFAULT_SCHEDULES;

  const view = async (schedules: Schedules) => {
    const out: Record<string, unknown> = {};
    for (const direction of ['direct', 'backward'] as const) {
      const spec = schedules[direction];
      out[direction] = {
        ...('cron' in spec ? { every: null, offset: null, cron: spec.cron } : { every: spec.every, offset: spec.offset, cron: null }),
        paused: spec.paused,
        ...(await describeSchedule(services, direction).then(({ paused: _paused, ...rest }) => rest, () => ({ exists: null, nextRunAt: null, lastRunAt: null, recentRuns: [] }))),
      };
    }
    return out;
  };

  app.get('/api/schedules', async () => view(await stored()));

  app.put('/api/schedules', async (request) => {
    const body = parseBody(schedulesPut, request);
    const next: Schedules = { ...(await stored()) };
    for (const direction of ['direct', 'backward'] as const) {
      const given = body[direction];
      if (!given) continue;
      const spec: ScheduleSpec = given.cron !== undefined
        ? { cron: given.cron, paused: given.paused }
        : { every: given.every!, offset: given.offset ?? '0m', paused: given.paused };
      try {
        next[direction] = checkSchedule(spec, direction);
      } catch (err) {
        if (err instanceof ScheduleError) throw new ApiError(422, 'invalid_schedule', err.message, { fields: { [err.field]: err.message } });
        throw err;
      }
    }
    // Temporal first: a schedule it refuses is not stored, and what is stored is what runs.
    try {
      await applySchedules(services, next);
    } catch (err) {
      throw new ApiError(503, 'temporal_unavailable', `Temporal did not take the schedules: ${(err as Error).message}`);
    }
    await db.update(settings).set({ schedules: next, updatedAt: sql`now()` }).where(eq(settings.id, 1));
    return view(next);
  });
}

/**
 * The two Temporal Schedules (direct and backward), created or updated from the settings at
 * start and on `PUT /api/schedules`. A scheduled run is an ordinary sync run: it takes the
 * mutex's lease like a run started from the API, so a schedule firing while the other sync
 * runs waits instead of overlapping, and "Trigger" in the Web UI or
 * `temporal schedule trigger --schedule-id ...` goes through the mutex too.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { checkSchedule, temporalSpec, type ScheduleSpec, type Schedules } from '../domain/schedules.js';
import type { Services } from '../services.js';

type Direction = keyof Schedules;

const WORKFLOW_TYPE: Record<Direction, string> = { direct: 'directSync', backward: 'backwardSync' };

function options(services: Services, direction: Direction, spec: ScheduleSpec): Omit<ScheduleOptions, 'scheduleId'> {
  return {
    spec: temporalSpec(spec),
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPE[direction],
      // Temporal appends the fire time to this id: one run id per firing, easy to filter.
      workflowId: `${services.workflowIds[direction]}-scheduled`,
      taskQueue: services.taskQueue,
      args: [{ trigger: 'schedule', mutexWorkflowId: services.workflowIds.mutex }],
    },
    policies: {
      // A firing while this schedule's previous run still works is skipped: that run drains
      // the same queue, and the next firing comes soon enough.
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage of Temporal, one catch-up run, not one per missed interval.
      catchupWindow: '1 minute',
    },
    state: { paused: spec.paused, note: spec.paused ? 'paused from the sync service settings' : undefined },
  };
}

/** Creates or updates both schedules to match `schedules` (already checked). Idempotent. */
export async function applySchedules(services: Services, schedules: Schedules): Promise<void> {
  for (const direction of ['direct', 'backward'] as const) {
    const spec = checkSchedule(schedules[direction], direction);
    const opts = options(services, direction, spec);
    const handle = services.temporal.schedule.getHandle(services.scheduleIds[direction]);
    let current: ScheduleDescription | null = null;
    try {
      current = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!current) {
      await services.temporal.schedule.create({ scheduleId: services.scheduleIds[direction], ...opts }).catch(async (err: unknown) => {
        // Another process created it a moment ago: update that one instead.
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await handle.update((prev) => ({ ...prev, spec: opts.spec, action: opts.action, policies: opts.policies }));
      });
      continue;
    }
    await handle.update((prev) => ({ ...prev, spec: opts.spec, action: opts.action, policies: opts.policies }));
    if (current.state.paused !== spec.paused) {
      if (spec.paused) await handle.pause('paused from the sync service settings');
      else await handle.unpause('resumed from the sync service settings');
    }
  }
}

export interface ScheduleView {
  scheduleId: string;
  /** False when Temporal has no such schedule (yet): the next start creates it. */
  exists: boolean;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  recentRuns: Array<{ workflowId: string; runId: string; scheduledAt: string }>;
}

/** What Temporal says about one schedule: next and recent firings, paused or not. */
export async function describeSchedule(services: Services, direction: Direction): Promise<ScheduleView> {
  const scheduleId = services.scheduleIds[direction];
  try {
    const d = await services.temporal.schedule.getHandle(scheduleId).describe();
    const recent = d.info.recentActions.map((a) => ({
      workflowId: a.action.workflow.workflowId, runId: a.action.workflow.firstExecutionRunId, scheduledAt: a.scheduledAt.toISOString(),
    }));
    return {
      scheduleId, exists: true, paused: d.state.paused,
      nextRunAt: d.state.paused ? null : d.info.nextActionTimes[0]?.toISOString() ?? null,
      lastRunAt: recent.at(-1)?.scheduledAt ?? null,
      recentRuns: recent.slice(-5).reverse(),
    };
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    return { scheduleId, exists: false, paused: false, nextRunAt: null, lastRunAt: null, recentRuns: [] };
  }
}

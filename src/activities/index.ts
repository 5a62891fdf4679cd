/**
 * Activities: thin, idempotent wrappers over the domain and the ports. Built by
 * `createActivities(deps)` with real dependencies (the worker and the tests alike), after
 * temporalio/samples-typescript `activities-dependency-injection`. Inputs and results
 * carry ids and counts only: no content, no secrets.
 */
import { getSettings } from '../db/repos/connection.js';
import type { SyncDirection } from '../domain/types.js';
import { describeBatch } from '../domain/batchSummary.js';
import { createContext, type ActivityDeps, type BatchRef } from './context.js';
import { backwardActivities } from './backward/index.js';
import { directActivities } from './direct/index.js';
import { mutexActivities } from './mutex.js';
import { ApplicationFailure } from '@temporalio/activity';
import { describe, toActivityFailure } from './errors.js';

export type { ActivityDeps, BatchInput, BatchRef, BatchResult } from './context.js';

export function createActivities(deps: ActivityDeps) {
  const ctx = createContext(deps);
  return withLiveness({
    async loadRunSettings(): Promise<{ timeBudgetSeconds: number; batchSize: number }> {
      const s = await getSettings(deps.db);
      return { timeBudgetSeconds: s.timeBudgetSeconds, batchSize: ctx.batchSize };
    },

    async takeNextBatch(input: { direction: SyncDirection; limit?: number }): Promise<BatchRef | null> {
      const batch = await ctx.queue.takeBatch(input.direction, input.limit ?? ctx.batchSize);
      if (!batch) return null;
      const due = await ctx.queue.countDue(input.direction);
      return {
        kind: batch.kind, ids: batch.ops.map((o) => o.id),
        summary: describeBatch(batch.kind, batch.ops.map((o) => o.payload as { path?: unknown; resModel?: unknown })),
        pending: Math.max(0, due - batch.ops.length),
      };
    },

    ...directActivities(ctx),
    ...backwardActivities(ctx),
    ...mutexActivities(ctx),
  }, ctx.heartbeat, async (name, err) => {
    // A plan that cannot go on (credentials, rights, quota) says so in the sync log too:
    // admins read the log, not only the Temporal UI. Batches log their own failures.
    const direction = name === 'planDirectSync' ? 'direct' : name === 'planBackwardSync' ? 'backward' : null;
    const failure = toActivityFailure(err);
    if (direction && failure instanceof ApplicationFailure && failure.nonRetryable) {
      await deps.log.write({ direction, level: 'error', runId: ctx.runId(), message: `The ${direction} sync stopped: ${describe(err)}` }).catch(() => {});
    }
  });
}

/** How often a running activity tells Temporal it is alive, whatever it is waiting for. */
export const LIVENESS_INTERVAL_MS = 3000;

/**
 * Every activity heartbeats on a timer while it runs, so the workflow can use a short
 * heartbeat timeout: a worker that dies (killed, OOM, host lost) is noticed in seconds and
 * its activity retried elsewhere, while a long upload on a live worker is never cut.
 * And every failure leaves as a typed Temporal failure (src/activities/errors.ts): bad
 * credentials or a full quota are non-retryable wherever they surface, a plan included.
 */
function withLiveness<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T, heartbeat: (d?: unknown) => void, onFailure: (name: string, err: unknown) => Promise<void>): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = {
      // Keeps the function's name: Temporal registers activities under their keys, logs show names.
      async [name](...args: never[]) {
        const timer = setInterval(() => heartbeat(), LIVENESS_INTERVAL_MS);
        try {
          return await fn(...args);
        } catch (err) {
          await onFailure(name, err);
          throw toActivityFailure(err);
        } finally {
          clearInterval(timer);
        }
      },
    }[name];
  }
  return wrapped as T;
}

export type Activities = ReturnType<typeof createActivities>;

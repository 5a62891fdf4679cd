/**
 * Activities: thin, idempotent wrappers over the domain and the ports. Built by
 * `createActivities(deps)` with real dependencies (the worker and the tests alike), after
 * temporalio/samples-typescript `activities-dependency-injection`. Inputs and results
 * carry ids and counts only: no content, no secrets.
 */
import { getSettings } from '../db/repos/connection.js';
import type { SyncDirection } from '../domain/types.js';
import { createContext, type ActivityDeps, type BatchRef } from './context.js';
import { directActivities } from './direct/index.js';

export type { ActivityDeps, BatchRef, BatchResult } from './context.js';

export function createActivities(deps: ActivityDeps) {
  const ctx = createContext(deps);
  return {
    async loadRunSettings(): Promise<{ timeBudgetSeconds: number; batchSize: number }> {
      const s = await getSettings(deps.db);
      return { timeBudgetSeconds: s.timeBudgetSeconds, batchSize: ctx.batchSize };
    },

    async takeNextBatch(input: { direction: SyncDirection; limit?: number }): Promise<BatchRef | null> {
      const batch = await ctx.queue.takeBatch(input.direction, input.limit ?? ctx.batchSize);
      return batch ? { kind: batch.kind, ids: batch.ops.map((o) => o.id) } : null;
    },

    ...directActivities(ctx),
  };
}

export type Activities = ReturnType<typeof createActivities>;

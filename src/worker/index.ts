import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities/index.js';

/** The workflow sources: `src/workflows/index.ts` from source (tests), `.js` once built. */
export function workflowsPath(): string {
  for (const ext of ['.js', '.ts']) {
    const p = fileURLToPath(new URL(`../workflows/index${ext}`, import.meta.url));
    if (fs.existsSync(p)) return p;
  }
  throw new Error('Cannot find the workflows entry point next to the worker');
}

export interface WorkerHandle {
  worker: Worker;
  run: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(opts: {
  address: string; namespace: string; taskQueue: string; activities: Activities;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Options the tests add (see `STRICT_WORKER_OPTIONS`). */
  extra?: Partial<Pick<WorkerOptions, 'maxCachedWorkflows' | 'workflowFailureErrorTypes'>>;
}): Promise<WorkerHandle> {
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: workflowsPath() }),
    maxConcurrentActivityTaskExecutions: 8,
    ...opts.extra,
  });
  const run = worker.run();
  return {
    worker,
    run,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run.catch(() => {});
      await connection.close();
    },
  };
}

/**
 * How the tests run workers: no workflow cache, so every workflow task replays the whole
 * history (a determinism bug shows on the next task, not only after an eviction), and
 * non-determinism fails the workflow instead of retrying its task forever (a test fails
 * fast instead of hanging).
 */
export const STRICT_WORKER_OPTIONS = {
  maxCachedWorkflows: 0,
  workflowFailureErrorTypes: { '*': ['NondeterminismError', 'DeterminismViolationError'] },
} satisfies NonNullable<Parameters<typeof startWorker>[0]['extra']>;

/**
 * The sync mutex: one per installation (cloud connection), so a direct and a backward sync
 * never overlap, whatever starts them. Grants the lock FIFO through the `acquire` update
 * (acknowledged: the caller gets its lease, with a fencing token, or an error), takes
 * `release` and `renew` signals, and answers the `mutexState` query.
 *
 * Where the public mutex sample is weak, this one is not:
 * - a retried acquire (same request id) is the same request: never queued twice, and a
 *   late retry of a released request gets no phantom grant;
 * - a requester that closed while waiting is skipped, so it cannot wedge the lock;
 * - a holder that stops renewing loses the lock once its lease expired and someone waits
 *   (after a short grace), and the mutex makes sure it stopped (terminating it) before
 *   granting again; the fencing token in Postgres stops any write it still attempts. A
 *   lapsed lease nobody waits for is kept: an outage of all workers, or of Temporal
 *   itself, does not kill the run, whose late renewal revives it.
 * It continues as new when Temporal suggests it, carrying holder, queue and fence counter,
 * busy or idle. An acquire still waiting in the queue is abandoned by the old run: its
 * caller (the acquireLease activity) retries the same request, finds it in the carried
 * queue, and waits on in the new run. A grant is always answered before the switch.
 */
import {
  ApplicationFailure, condition, continueAsNew, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  acquireUpdate, mutexStateQuery, releaseSignal, renewSignal, type LeaseRequest, type MutexState,
} from './shared.js';

// Activities heartbeat while they run: a dead worker is noticed in seconds, not minutes.
const { isWorkflowRunning, ensureWorkflowStopped } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

const MAX_REMEMBERED_RELEASES = 100;

/** How long a lapsed lease may still be revived once someone waits for the lock. */
const graceMs = (leaseMs: number) => Math.min(leaseMs / 2, 30_000);

export async function syncMutex(carried?: MutexState): Promise<void> {
  const state: MutexState = carried ?? { holder: null, queue: [], nextToken: 1, released: [] };
  const dropped = new Set<string>();
  // Acquires whose handler still waits for its answer in this run.
  const waiting = new Set<string>();
  const suggested = () => workflowInfo().continueAsNewSuggested;

  setHandler(mutexStateQuery, () => state);

  setHandler(acquireUpdate, async (req: LeaseRequest) => {
    const granted = () => state.holder?.requestId === req.requestId;
    if (!granted() && !state.queue.some((q) => q.requestId === req.requestId)) state.queue.push(req);
    waiting.add(req.requestId);
    try {
      await condition(() => granted() || dropped.has(req.requestId));
    } finally {
      waiting.delete(req.requestId);
    }
    if (!granted()) throw ApplicationFailure.nonRetryable(`The lock request of ${req.workflowId} was dropped: the run is no longer running`, 'LeaseRequestDropped');
    const h = state.holder!;
    return { requestId: h.requestId, token: h.token, expiresAt: h.expiresAt };
  }, {
    // Queued acquires are left behind on continue-as-new on purpose (their callers retry).
    unfinishedPolicy: 'ABANDON',
    validator: (req: LeaseRequest) => {
      if (!req?.requestId || !req.workflowId || !req.firstRunId || !(req.leaseMs > 0)) throw new Error('An acquire needs requestId, workflowId, firstRunId and a positive leaseMs');
      if (state.released.includes(req.requestId)) throw new Error(`Request ${req.requestId} already held and released the lock`);
    },
  });

  setHandler(releaseSignal, ({ requestId, token }) => {
    if (state.holder?.requestId === requestId && state.holder.token === token) {
      state.holder = null;
      state.released = [...state.released, requestId].slice(-MAX_REMEMBERED_RELEASES);
    }
    // A request that gives up while queued leaves the queue.
    state.queue = state.queue.filter((q) => q.requestId !== requestId);
  });

  setHandler(renewSignal, ({ requestId, token }) => {
    const h = state.holder;
    if (h && h.requestId === requestId && h.token === token) h.expiresAt = Date.now() + h.leaseMs;
  });

  /** Starts afresh with the same state, once the holder (if any) has had its answer. */
  const compact = async () => {
    await condition(() => !state.holder || !waiting.has(state.holder.requestId));
    await continueAsNew<typeof syncMutex>(state);
  };

  for (;;) {
    if (suggested()) await compact();
    if (state.holder) {
      const h = state.holder;
      if (Date.now() < h.expiresAt) {
        // Live: wake on release, at the lease's end (renewals push it back), or to compact.
        await condition(() => state.holder !== h || suggested(), Math.max(1, h.expiresAt - Date.now()));
        continue;
      }
      // Lapsed. With nobody waiting, nothing is gained by stopping the holder: it may only
      // be held up (all workers down, or Temporal itself was; then this timer fired late
      // and the renewal is on its way). A late renewal revives the lease.
      if (state.queue.length === 0) {
        await condition(() => state.holder !== h || suggested() || state.queue.length > 0 || Date.now() < h.expiresAt);
        continue;
      }
      // Someone waits: a grace for renewals held up by the same outage, then make sure the
      // holder stopped before anyone else may write; the fencing token guards the rest.
      const revived = await condition(() => state.holder !== h || suggested() || Date.now() < h.expiresAt, graceMs(h.leaseMs));
      if (revived) continue;
      await ensureWorkflowStopped({ workflowId: h.workflowId, firstRunId: h.firstRunId, reason: `its sync lease (token ${h.token}) expired while ${state.queue[0]!.workflowId} waited` });
      state.released = [...state.released, h.requestId].slice(-MAX_REMEMBERED_RELEASES);
      state.holder = null;
      continue;
    }
    if (state.queue.length > 0) {
      // The head stays queued while it is checked, so a retry of it meanwhile is not queued twice.
      const next = state.queue[0]!;
      const running = await isWorkflowRunning({ workflowId: next.workflowId, firstRunId: next.firstRunId });
      const stillQueued = state.queue.some((q) => q.requestId === next.requestId);
      state.queue = state.queue.filter((q) => q.requestId !== next.requestId);
      if (!running || !stillQueued) {
        dropped.add(next.requestId);
        continue;
      }
      const now = Date.now();
      state.holder = { ...next, token: state.nextToken++, grantedAt: now, expiresAt: now + next.leaseMs };
      continue;
    }
    // Idle until someone asks, or until the history should start afresh.
    await condition(() => state.holder !== null || state.queue.length > 0 || suggested());
  }
}

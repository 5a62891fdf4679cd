/**
 * The sync mutex (src/workflows/syncMutex.ts) on a real Temporal: syncs never overlap, and
 * the weak spots of the public mutex sample are each covered: a retried request queued
 * twice or granted after its release, a closed requester wedging the lock, a timed-out
 * holder that keeps writing.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import { mutexStateQuery, type Lease, type LeaseRequest } from '../../src/workflows/shared.js';
import { createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, setUpCloud } from '../support/sync.js';

let h: Harness;
let acts: ReturnType<typeof createActivities>;
const env = new MockActivityEnvironment();
const stragglers: string[] = [];
beforeAll(async () => {
  h = await createHarness({ worker: true });
  acts = createActivities({ db: h.services.database.db, erp: h.services.erp, openCloud: h.services.openCloud, log: h.services.log, temporal: h.services.temporal });
});
afterAll(async () => {
  for (const id of stragglers) await h.services.temporal.workflow.getHandle(id).terminate('test over').catch(() => {});
  await h?.close();
});

const mutexId = () => h.services.workflowIds.mutex;
/** A run that stays RUNNING (nobody polls its task queue): a stand-in for a sync that holds or waits. */
async function runningStandIn(name: string): Promise<{ workflowId: string; firstRunId: string }> {
  const workflowId = `${h.id}-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const handle = await h.services.temporal.workflow.start('directSync', { taskQueue: `${h.id}-nobody`, workflowId, args: [{}] });
  stragglers.push(workflowId);
  return { workflowId, firstRunId: handle.firstExecutionRunId };
}
const request = (who: { workflowId: string; firstRunId: string }, leaseMs = 60_000): LeaseRequest => ({ requestId: who.firstRunId, ...who, direction: 'direct', leaseMs });
const acquire = (req: LeaseRequest) => env.run(acts.acquireLease, { mutexWorkflowId: mutexId(), taskQueue: h.services.taskQueue, request: req }) as Promise<Lease>;
const state = () => h.services.temporal.workflow.getHandle(mutexId()).query(mutexStateQuery);
const release = (lease: Lease) => h.services.temporal.workflow.getHandle(mutexId()).signal('release', { requestId: lease.requestId, token: lease.token });
const until = async (what: () => Promise<boolean>, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
};

test('a direct and a backward sync triggered together never overlap: the second waits for the lock', async () => {
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  for (let i = 0; i < 5; i++) await attach(h, 'res.partner', await addRecord(h, 'res.partner', `P${i}`), 'a.txt', `a${i}`);
  const [direct, backward] = await Promise.all([h.api.call('POST', '/api/sync/direct'), h.api.call('POST', '/api/sync/backward')]);
  const handles = [direct, backward].map((t) => h.services.temporal.workflow.getHandle(t.json.workflowId, t.json.runId));
  const results = await Promise.all(handles.map((hd) => hd.result()));
  expect(results.map((r) => r.outcome)).toEqual(['completed', 'completed']);
  // From each run's own history: when it held the lock (lease granted -> run closed).
  const spans = await Promise.all(handles.map(async (hd) => {
    const events = (await hd.fetchHistory()).events ?? [];
    const at = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
    const scheduled = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType?.name]));
    const granted = events.find((e) => e.activityTaskCompletedEventAttributes && scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) === 'acquireLease')!;
    return { from: at(granted), to: at(events.at(-1)!) };
  }));
  const [a, b] = spans.sort((x, y) => x.from - y.from) as [typeof spans[0], typeof spans[0]];
  expect(b.from).toBeGreaterThanOrEqual(a.to);
  expect((await state()).holder).toBeNull();
});

test('a retried acquire is the same request: queued once, one grant, and no grant again after its release', async () => {
  const who = await runningStandIn('retry');
  const [first, retried] = await Promise.all([acquire(request(who)), acquire(request(who))]);
  expect(retried).toEqual(first);
  const s = await state();
  expect(s.holder?.requestId).toBe(who.firstRunId);
  expect(s.queue.filter((q) => q.requestId === who.firstRunId)).toEqual([]);
  await release(first);
  await until(async () => (await state()).holder === null);
  // A late retry of a released request: refused, not a phantom grant.
  await expect(acquire(request(who))).rejects.toThrow(/already held and released/);
  expect((await state()).holder).toBeNull();
});

test('FIFO, and a requester that closed while queued is skipped instead of wedging the lock', async () => {
  const holder = await runningStandIn('holder');
  const gone = await runningStandIn('gone');
  const next = await runningStandIn('next');
  const held = await acquire(request(holder));
  const goneWaits = acquire(request(gone));
  await until(async () => (await state()).queue.length === 1);
  const nextWaits = acquire(request(next));
  await until(async () => (await state()).queue.length === 2);
  expect((await state()).queue.map((q) => q.workflowId)).toEqual([gone.workflowId, next.workflowId]);

  await h.services.temporal.workflow.getHandle(gone.workflowId).terminate('the requester died');
  await release(held);
  await expect(goneWaits).rejects.toThrow(/dropped/);
  const granted = await nextWaits;
  expect(granted.token).toBeGreaterThan(held.token);
  await release(granted);
});

test('a holder whose lease expires is stopped before the next grant, and its writes are fenced off', async () => {
  const zombie = await runningStandIn('zombie');
  const heir = await runningStandIn('heir');
  const zombieLease = await acquire(request(zombie, 1500)); // never renews
  // While it holds the lease, its writes pass the fence.
  await expect(env.run(acts.createFolders, { ids: [], lease: zombieLease })).resolves.toEqual({ done: 0, failed: 0 });
  const heirLease = await acquire(request(heir));
  expect(heirLease.token).toBe(zombieLease.token + 1);
  const d = await h.services.temporal.workflow.getHandle(zombie.workflowId).describe();
  expect(d.status.name).toBe('TERMINATED');
  // Had it somehow kept running, every write it tried now fails, for good.
  await expect(env.run(acts.createFolders, { ids: [], lease: zombieLease })).rejects.toMatchObject({ type: 'LeaseLost', nonRetryable: true });
  await expect(env.run(acts.planBackwardSync, { lease: zombieLease })).rejects.toMatchObject({ type: 'LeaseLost' });
  await release(heirLease);
});

test('a busy mutex continues as new when Temporal suggests it, carrying holder and queue; the waiter still gets its grant', async () => {
  const holder = await runningStandIn('can-holder');
  const waiter = await runningStandIn('can-waiter');
  const mutex = h.services.temporal.workflow.getHandle(mutexId());
  const held = await acquire(request(holder));
  const waits = acquire(request(waiter));
  await until(async () => (await state()).queue.some((q) => q.requestId === waiter.firstRunId));
  const runBefore = (await mutex.describe()).runId;
  // Grow the history the way a long holder does, with renewals, until Temporal (its
  // suggestion threshold is lowered for the suite) has the mutex start afresh.
  for (let i = 0; i < 400 && (await mutex.describe()).runId === runBefore; i++) {
    await mutex.signal('renew', { requestId: held.requestId, token: held.token });
  }
  const after = await mutex.describe();
  expect(after.runId).not.toBe(runBefore);
  const s = await state();
  expect(s.holder).toMatchObject({ requestId: holder.firstRunId, token: held.token });
  expect(s.queue.map((q) => q.requestId)).toEqual([waiter.firstRunId]);
  // The waiter's acquire was left behind by the old run; its retry finds it queued in the new one.
  await release(held);
  const granted = await waits;
  expect(granted).toMatchObject({ requestId: waiter.firstRunId, token: held.token + 1 });
  await release(granted);
}, 120_000);

test('a lapsed lease nobody waits for is kept, and a late renewal revives it (an outage does not kill the run)', async () => {
  const slow = await runningStandIn('slow');
  const lease = await acquire(request(slow, 800));
  await new Promise((r) => setTimeout(r, 2500)); // well past its lease, nobody queued
  expect((await state()).holder).toMatchObject({ requestId: slow.firstRunId, token: lease.token });
  expect((await h.services.temporal.workflow.getHandle(slow.workflowId).describe()).status.name).toBe('RUNNING');
  // The renewal held up by the outage lands: the lease is live again, its writes pass the fence.
  await h.services.temporal.workflow.getHandle(mutexId()).signal('renew', { requestId: lease.requestId, token: lease.token });
  await until(async () => ((await state()).holder?.expiresAt ?? 0) > Date.now());
  await expect(env.run(acts.createFolders, { ids: [], lease })).resolves.toEqual({ done: 0, failed: 0 });
  await release(lease);
});

test('a trigger while the other sync runs says which run it waits behind', async () => {
  for (let i = 0; i < 40; i++) await attach(h, 'res.partner', await addRecord(h, 'res.partner', `Q${i}`), 'q.txt', `q${i}`);
  const direct = await h.api.call('POST', '/api/sync/direct');
  expect(direct.json.queuedBehind).toBeNull();
  const query = `WorkflowId = '${direct.json.workflowId}' AND ExecutionStatus = 'Running'`;
  await until(async () => { for await (const _w of h.services.temporal.workflow.list({ query })) return true; return false; });
  const backward = await h.api.call('POST', '/api/sync/backward');
  expect(backward.status).toBe(202);
  expect(backward.json.queuedBehind).toBe(direct.json.workflowId);
  await Promise.all([direct, backward].map((t) => h.services.temporal.workflow.getHandle(t.json.workflowId, t.json.runId).result()));
});

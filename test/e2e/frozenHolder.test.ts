/**
 * A frozen worker (SIGSTOP) in the middle of an upload batch, with real processes. The run
 * itself lives on: a second worker takes its workflow, and Temporal, missing the frozen
 * attempt's heartbeats, gives the batch to a new attempt there. Then the frozen worker wakes
 * (SIGCONT) and carries on where it was, a zombie attempt of the same run, holding the same
 * lease. The claim fence stops it: its operations are the new attempt's now, so it starts
 * no new PUT (one already past its fence meets the new file and stops) and completes
 * nothing, and the run ends with every file in the cloud exactly once. (A lease that passes to another run is fenced the same way: test/e2e/mutex.test.ts.)
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import proto from '@temporalio/proto';
import { createHarness, spawnWorkerProcess, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, cloudTree, setUpCloud } from '../support/sync.js';

const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
let h: Harness;
const workers: ChildProcess[] = [];
const output: string[] = [];

beforeAll(async () => {
  h = await createHarness({ worker: false });
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  for (let r = 0; r < 6; r++) {
    const rec = await addRecord(h, 'res.partner', `Frozen ${r}`);
    for (let i = 0; i < 25; i++) await attach(h, 'res.partner', rec, `f-${i}.bin`, `${r}-${i} `.repeat(20_000));
  }
});
afterAll(async () => {
  for (const w of workers) {
    w.kill('SIGCONT');
    w.kill('SIGKILL');
  }
  await h?.close();
});

function startWorker(name: string): ChildProcess {
  const child = spawnWorkerProcess(h, { SYNC_BATCH_SIZE: '20', SYNC_CONCURRENCY: '2' }, (d) => output.push(`[${name}] ${d}`));
  workers.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, ms: number, probe: () => Promise<T | null | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output.join('')}`);
    await sleep(10);
  }
}

const state = async () => {
  const [row] = await h.services.database.sql`select
    (select count(*)::int from operations where status = 'done') as done,
    (select count(*)::int from erp_attachments where type = 'url') as released,
    (select count(*)::int from cloud_items) as mapped,
    (select lease_token from settings where id = 1) as token`;
  return row as { done: number; released: number; mapped: number; token: number };
};
/** Requests Apache received for this harness's folder that started after `at` (ms), as "start method path status". */
async function requestsStartedAfter(at: number): Promise<string[]> {
  const log = await fs.readFile(path.join(path.dirname(process.env.TEST_DAV_ACCESS_LOG!), 'timed-access.log'), 'utf8');
  return log.split('\n').filter((l) => l.includes(` /dav/${h.id}/`) && Number(l.split(' ')[0]) > at);
}

test('a frozen worker that wakes after its batch went to a newer attempt writes nothing: every file once', async () => {
  const frozen = startWorker('A');
  const client = h.services.temporal.workflow;
  const direct = await client.start('directSync', {
    taskQueue: h.services.taskQueue, workflowId: h.services.workflowIds.direct,
    args: [{ trigger: 'test', mutexWorkflowId: h.services.workflowIds.mutex }],
  });
  const uploadAttempt = async () => ((await direct.describe()).raw.pendingActivities ?? [])
    .find((a) => a.activityType?.name === 'uploadAttachments' && a.state === STARTED);
  // Freeze it in the middle of an upload batch, some work done. The batch may end between
  // seeing it and the freeze: then let the worker go on and try again.
  let batchAtFreeze: Awaited<ReturnType<typeof uploadAttempt>>;
  for (let tries = 0; ; tries++) {
    await until('an upload batch in flight', 120_000, async () => (await state()).done >= 20 && (await uploadAttempt()));
    frozen.kill('SIGSTOP');
    // A completion already on its way when the worker froze still lands: look after it would have.
    await sleep(1000);
    batchAtFreeze = await uploadAttempt();
    if (batchAtFreeze || tries >= 20) break;
    frozen.kill('SIGCONT');
  }
  expect(batchAtFreeze).toBeDefined();

  // A second worker: the run goes on there, and the frozen batch gets a new attempt.
  startWorker('B');
  await until('the frozen batch retried on the second worker', 120_000, async () => {
    const a = await uploadAttempt();
    return a && a.activityId === batchAtFreeze!.activityId && (a.attempt ?? 0) > (batchAtFreeze!.attempt ?? 0);
  });
  await sleep(500); // the new attempt has claimed its operations and is uploading
  const wokeAt = Date.now();
  frozen.kill('SIGCONT');

  const summary = await direct.result();
  expect(summary).toMatchObject({ outcome: 'completed', failed: 0 });
  // Everything exactly once: no "(2)" copy from a zombie PUT, every binary released.
  const files = (await cloudTree(h)).filter((p) => !p.endsWith('/'));
  const expected = Array.from({ length: 6 }, (_, r) => Array.from({ length: 25 }, (_, i) => `/Odoo/Contacts/Frozen ${r}/f-${i}.bin`)).flat();
  expect(files).toEqual(expected.sort());
  const rows = await h.services.database.sql`select type, store_fname from erp_attachments`;
  expect(rows.every((r) => r.type === 'url' && r.store_fname === null)).toBe(true);
  // A lane frozen between its fence and its PUT sends that one PUT on waking: it meets the
  // newer attempt's file (412) and stops at the fence; or it lands first, and the newer
  // attempt's PUT meets it and adopts it (test/integration/zombieAttempt.test.ts). Nothing
  // more: at most one refused PUT per lane (two lanes, two attempts).
  expect((await requestsStartedAfter(wokeAt)).filter((l) => / PUT .* 412$/.test(l)).length).toBeLessThanOrEqual(4);
  expect(output.join('')).not.toMatch(/unhandled|uncaught/i);
}, 300_000);

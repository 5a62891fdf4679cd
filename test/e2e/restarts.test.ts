/**
 * Fault test with real processes: the Temporal dev server and then the PostgreSQL server
 * are stopped in the middle of a direct sync and started again (same data, same ports).
 * The run resumes and completes: every attachment a URL attachment, every file in the
 * cloud exactly once with its bytes. The servers are this test's own (test/support/
 * ownStack.ts), so the suite's shared ones are never restarted; the worker runs in a child
 * process and is started again whenever it exits. Both outages hit an upload batch in
 * flight (best effort, the timeline printed at the end says), and the API's postgres.js
 * pool and Temporal client, made before the restarts, serve to the end.
 *
 * RESTARTS_TEMPORAL_DOWNTIME_MS / RESTARTS_PG_DOWNTIME_MS (default 4000) try longer
 * outages by hand; one longer than the sync lease (60 s) also resumes, because the mutex
 * keeps a lapsed lease nobody waits for (test/e2e/mutex.test.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { SyncSummary } from '../../src/workflows/shared.js';
import { basicAuth, type Harness } from '../support/harness.js';
import { createStackHarness, startOwnStack, superviseWorker, type OwnStack, type SupervisedWorker } from '../support/ownStack.js';
import { addRecord, addSyncModel, attach, cloudTree, davUrl, directSync, setUpCloud } from '../support/sync.js';

const RECORDS = 10;
const PER_RECORD = 15;
const TOTAL = RECORDS * PER_RECORD;
/** How long each server stays away (ms); RESTARTS_*_DOWNTIME_MS try longer outages by hand. */
const TEMPORAL_DOWNTIME_MS = Number(process.env.RESTARTS_TEMPORAL_DOWNTIME_MS ?? 4000);
const PG_DOWNTIME_MS = Number(process.env.RESTARTS_PG_DOWNTIME_MS ?? 4000);
const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

let stack: OwnStack | null = null;
let h: Harness | null = null;
let worker: SupervisedWorker | null = null;
/** The result() long poll the test opens early; settled before the client closes (its retries would throw on a closed channel). */
let early: Promise<unknown> | null = null;
let handle: WorkflowHandle | null = null;
const contents = new Map<number, string>();
const serverLog: string[] = [];
const started = Date.now();
const timeline: string[] = [];
const note = (line: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s ${line}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha1 = (s: string | Buffer) => createHash('sha1').update(s).digest('hex');

beforeAll(async () => {
  stack = await startOwnStack('restarts', (line) => serverLog.push(line));
  h = await createStackHarness(stack);
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  for (let r = 0; r < RECORDS; r++) {
    const rec = await addRecord(h, 'res.partner', `Partner ${r}`);
    for (let i = 0; i < PER_RECORD; i++) {
      const body = `partner ${r} document ${i} ${'y'.repeat(40_000 + 997 * i)}`;
      contents.set(await attach(h, 'res.partner', rec, `doc-${i}.txt`, body), body);
    }
  }
  note(`stack up (pg :${stack.pg.port}, temporal ${stack.temporal.address}), ${TOTAL} attachments on ${RECORDS} records`);
}, 120_000);

afterAll(async () => {
  if (worker && stack) await fs.writeFile(path.join(stack.dir, 'worker.log'), worker.output()).catch(() => {});
  await worker?.stop();
  if (early) {
    // A failed test may leave the run open: end it so the long poll answers.
    await handle?.terminate('restarts test cleanup').catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([early, new Promise((r) => { timer = setTimeout(r, 5000); })]);
    clearTimeout(timer);
  }
  await h?.close().catch(() => {});
  await stack?.close();
  // The story of the run, for whoever reads the test output.
  console.log(`restarts test timeline:\n${timeline.join('\n')}`);
}, 60_000);

/** `select count(*)` on the operations queue, or null while Postgres is away. */
async function countOps(where: 'done' | 'open'): Promise<number | null> {
  const sql = h!.services.database.sql;
  try {
    const rows = where === 'done'
      ? await sql`select count(*)::int as n from operations where status = 'done'`
      : await sql`select count(*)::int as n from operations where status <> 'done'`;
    return rows[0]!.n as number;
  } catch {
    return null;
  }
}

/** Thrown by a probe: stop waiting at once (the awaited thing cannot happen any more). */
class Hopeless extends Error {}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch((err: unknown) => {
      if (err instanceof Hopeless) throw new Error(`Gave up waiting for ${what}: ${err.message}\n${timeline.join('\n')}`);
      return null;
    });
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}\n${timeline.join('\n')}\n${worker?.output() ?? ''}`);
    await sleep(50);
  }
}

/** The API's own view: /api/health says db and temporal are up (its pool and client are back). */
async function apiHealthy(): Promise<boolean> {
  const r = await h!.api.call('GET', '/api/health');
  return r.status === 200 && r.json?.db === 'up' && r.json?.temporal === 'up';
}

async function runningStill(handle: WorkflowHandle): Promise<boolean> {
  return (await handle.describe()).status.name === 'RUNNING';
}

test('Temporal and PostgreSQL restarted in the middle of a direct sync: the run resumes and completes, every file once', async () => {
  const hh = h!;
  const st = stack!;
  worker = superviseWorker(hh, { SYNC_BATCH_SIZE: '4', SYNC_CONCURRENCY: '1' }, note);

  const trigger = await hh.api.call('POST', '/api/sync/direct');
  expect(trigger.status).toBe(202);
  const { workflowId, runId } = trigger.json as { workflowId: string; runId: string };
  const run = hh.services.temporal.workflow.getHandle<() => Promise<SyncSummary>>(workflowId, runId);
  handle = run;
  note(`triggered ${workflowId} (${runId})`);
  // A result() long poll open across both restarts: does the API's client ride them out?
  const earlyResult = run.result().then((s) => ({ ok: true as const, s }), (err: Error) => ({ ok: false as const, err }));
  early = earlyResult;

  /**
   * Waits until at least `minDone` operations are done and an upload batch is running
   * (best effort: after 15 s without catching one, any moment of the running run will do).
   * Says where the run is.
   */
  const untilUploading = async (minDone: number): Promise<{ done: number; where: string }> => {
    await waitFor(`${minDone} operations done`, 120_000, async () => ((await countOps('done')) ?? 0) >= minDone);
    const [done, open] = [await countOps('done'), await countOps('open')];
    expect(await runningStill(run)).toBe(true);
    expect(open).toBeGreaterThan(0);
    const deadline = Date.now() + 15_000;
    let inFlight = 'no upload batch caught in flight';
    while (Date.now() < deadline) {
      const pending = (await run.describe()).raw.pendingActivities ?? [];
      const upload = pending.find((a) => a.activityType?.name === 'uploadAttachments' && a.state === STARTED);
      if (upload) {
        inFlight = `uploadAttachments attempt ${upload.attempt} in flight`;
        break;
      }
    }
    return { done: done!, where: `about ${done} operations done, ${open} open, ${inFlight}` };
  };

  // 1. Temporal goes away in the middle of an upload batch, and comes back on the same port and SQLite file.
  const atTemporalStop = await untilUploading(15);
  await st.temporal.stop();
  note(`Temporal stopped: ${atTemporalStop.where}`);
  await sleep(TEMPORAL_DOWNTIME_MS);
  await st.temporal.start();
  note(`Temporal started again after ${TEMPORAL_DOWNTIME_MS} ms (same port, same db file)`);
  await waitFor('the API to see Temporal again', 60_000, apiHealthy);
  note('API health: db up, temporal up');

  // The run goes on after the restart: more operations get done.
  const afterTemporal = await waitFor('progress after the Temporal restart', 120_000, async () => {
    const n = await countOps('done');
    if (n !== null && n >= atTemporalStop.done + 15) return n;
    const d = await run.describe();
    if (d.status.name !== 'RUNNING') throw new Hopeless(`the run is ${d.status.name} with ${n} operations done`);
    return null;
  });
  note(`progress after the Temporal restart: ${afterTemporal} operations done`);

  // 2. PostgreSQL goes away in the middle of an upload batch (fast shutdown: open
  // connections cut), and comes back on the same data dir and port.
  // (After a long outage by hand, RESTARTS_TEMPORAL_DOWNTIME_MS, the run may already be done.)
  if (((await countOps('open')) ?? 0) > 0) {
    const atPgStop = await untilUploading(afterTemporal + 5);
    await st.pg.stop();
    note(`PostgreSQL stopped: ${atPgStop.where}`);
    await sleep(PG_DOWNTIME_MS);
    await st.pg.start();
    note(`PostgreSQL started again after ${PG_DOWNTIME_MS} ms (same data dir, same port)`);
    await waitFor('the API to see PostgreSQL again', 60_000, apiHealthy);
    note('API health: db up, temporal up');

  } else {
    note('the run finished before the PostgreSQL step: nothing left to interrupt');
  }

  // 3. The same run completes. Through the API's own client (created before both restarts).
  let summary: SyncSummary;
  try {
    summary = await run.result();
    note(`result() through the API's client: ${JSON.stringify(summary)}`);
  } catch (err) {
    note(`result() through the API's client failed (${(err as Error).message}): asking through a fresh client`);
    const connection = await Connection.connect({ address: st.temporal.address });
    try {
      summary = await new Client({ connection }).workflow.getHandle<() => Promise<SyncSummary>>(workflowId, runId).result();
    } finally {
      await connection.close();
    }
  }
  const earlyOutcome = await earlyResult;
  note(earlyOutcome.ok
    ? 'the result() long poll opened before the restarts answered too'
    : `the result() long poll opened before the restarts failed: ${earlyOutcome.err.message}`);
  note(`worker process started ${worker.starts} time(s)${worker.exits.length ? `; exits: ${worker.exits.join(', ')}` : ''}`);

  expect(summary).toMatchObject({ outcome: 'completed', failed: 0 });
  const described = await run.describe();
  expect(described.status.name).toBe('COMPLETED');
  expect(described.runId).toBe(runId);

  // Nothing left in the queue.
  const statuses = await hh.services.database.sql`select status, count(*)::int as n from operations group by status order by status`;
  expect(statuses.map((r) => [r.status, r.n])).toEqual([['done', expect.any(Number)]]);

  // Every file in the cloud exactly once, no `name (2).ext` twins, each with its bytes.
  const files = (await cloudTree(hh)).filter((p) => !p.endsWith('/'));
  expect(files.filter((f) => / \(\d+\)\./.test(f))).toEqual([]);
  expect(files).toHaveLength(TOTAL);
  const rows = await hh.services.database.sql`select id, type, url, store_fname from erp_attachments order by id`;
  expect(rows).toHaveLength(TOTAL);
  const auth = { authorization: basicAuth(hh.dav.username, hh.dav.password) };
  for (const row of rows) {
    expect({ id: row.id, type: row.type, store_fname: row.store_fname }).toEqual({ id: row.id, type: 'url', store_fname: null });
    const res = await fetch(row.url as string, { headers: auth });
    expect(res.status).toBe(200);
    expect(sha1(Buffer.from(await res.arrayBuffer()))).toBe(sha1(contents.get(row.id as number)!));
  }
  expect(new Set(rows.map((r) => r.url)).size).toBe(TOTAL);
  expect(files.every((f) => rows.some((r) => r.url === davUrl(hh, f)))).toBe(true);

  // The API still works end to end after both restarts: a second run finds nothing to do.
  const again = await directSync(hh);
  note(`second run: ${JSON.stringify(again)}`);
  expect(again).toMatchObject({ outcome: 'completed', failed: 0 });
  expect((await cloudTree(hh)).filter((p) => !p.endsWith('/'))).toHaveLength(TOTAL);
}, 600_000);

/**
 * Re-records the workflow histories `test/replay/replay.test.ts` replays: real runs on the
 * suite's Temporal dev server (`npm run replay:record`). Re-record after a workflow change
 * that is meant to change histories, and only after making it replay-safe for the runs
 * already in flight (`patched()`, or a new workflow type); see the README.
 */
import fs from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findTemporalCli } from '../../src/runtime/temporal.js';
import type { WorkflowHandle } from '@temporalio/client';
import { createHarness, env, spawnWorkerProcess, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, dav, setUpCloud } from '../support/sync.js';

const run = promisify(execFile);
const OUT = new URL('./histories/', import.meta.url);
const harnesses: Harness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

async function world(opts: Parameters<typeof createHarness>[0] = { worker: true }): Promise<Harness> {
  const h = await createHarness(opts);
  harnesses.push(h);
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  return h;
}

/** Exports a run's history the way ops would, with the Temporal CLI (`temporal workflow show --output json`). */
async function save(name: string, handle: WorkflowHandle, note: string): Promise<void> {
  const runId = (await handle.describe()).runId;
  const cli = await findTemporalCli(process.env.TEMPORAL_CLI);
  const { stdout } = await run(cli, ['workflow', 'show', '--address', env().temporalAddress, '--namespace', 'default',
    '--workflow-id', handle.workflowId, '--run-id', runId, '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 });
  const json = JSON.parse(stdout);
  const workflowType = json.events[0].workflowExecutionStartedEventAttributes.workflowType.name;
  await fs.writeFile(new URL(`${name}.json`, OUT), `${JSON.stringify({ note, workflowType, history: json }, null, 1)}\n`);
}

async function trigger(h: Harness, direction: 'direct' | 'backward'): Promise<WorkflowHandle> {
  const r = await h.api.call('POST', `/api/sync/${direction}`);
  if (r.status !== 202) throw new Error(`trigger ${direction}: ${r.text}`);
  return h.services.temporal.workflow.getHandle(r.json.workflowId, r.json.runId);
}

test('a direct sync and a backward sync', async () => {
  const h = await world();
  for (let r = 0; r < 2; r++) {
    const rec = await addRecord(h, 'res.partner', `Partner ${r}`);
    for (let i = 0; i < 3; i++) await attach(h, 'res.partner', rec, `doc-${i}.txt`, `content ${r} ${i}`);
  }
  const direct = await trigger(h, 'direct');
  await direct.result();
  await save('direct-sync', direct, 'A direct sync of 2 records with 3 attachments each: folders, uploads, releases.');
  expect(await dav(h, 'PUT', 'Odoo/Contacts/Partner 0/from-the-cloud.txt', { body: 'hello' })).toBe(201);
  expect(await dav(h, 'DELETE', 'Odoo/Contacts/Partner 1/doc-0.txt')).toBe(204);
  const backward = await trigger(h, 'backward');
  await backward.result();
  await save('backward-sync', backward, 'A backward sync: one new cloud file linked, one deleted file unlinked.');
});

test('two syncs contending for the mutex', async () => {
  const h = await world();
  const rec = await addRecord(h, 'res.partner', 'Contended');
  for (let i = 0; i < 5; i++) await attach(h, 'res.partner', rec, `c-${i}.txt`, `c ${i}`);
  const [direct, backward] = await Promise.all([trigger(h, 'direct'), trigger(h, 'backward')]);
  await Promise.all([direct.result(), backward.result()]);
  await save('contended-direct', direct, 'A direct sync started together with a backward sync: one waited for the lock.');
  await save('contended-backward', backward, 'A backward sync started together with a direct sync.');
  await save('contended-mutex', h.services.temporal.workflow.getHandle(h.services.workflowIds.mutex), 'The sync mutex granting two contending syncs in turn.');
});

test('runs that continued as new', async () => {
  const h = await world({ worker: true, tuning: { batchSize: 2, concurrency: 2 } });
  for (let r = 0; r < 3; r++) {
    const rec = await addRecord(h, 'res.partner', `Chain ${r}`);
    for (let i = 0; i < 20; i++) await attach(h, 'res.partner', rec, `chain-${i}.txt`, `chain ${r} ${i}`);
  }
  const first = await trigger(h, 'direct');
  await first.result();
  // `first` is bound to the chain's first run: its history ends with the continue-as-new.
  await save('continued-as-new-direct', first, 'The first run of a direct sync of 60 files in batches of 2: it continued as new, handing over its cursor and lease.');
  // More work, so the next direct sync holds the lock long enough for a waiter to queue.
  const more = await addRecord(h, 'res.partner', 'Chain more');
  for (let i = 0; i < 30; i++) await attach(h, 'res.partner', more, `more-${i}.txt`, `more ${i}`);
  // The mutex continued as new while busy: grown by renewals of a holder, with a waiter queued.
  const mutex = h.services.temporal.workflow.getHandle(h.services.workflowIds.mutex);
  const mutexFirstRun = (await mutex.describe()).runId;
  const holderRun = await trigger(h, 'direct');
  const waiter = await trigger(h, 'backward');
  const state = () => mutex.query('mutexState') as Promise<{ holder: { requestId: string; token: number } | null; queue: unknown[] }>;
  while (!((await state()).holder && (await state()).queue.length > 0)) {
    if ((await holderRun.describe()).status.name !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const s = await state();
  if (s.holder) {
    for (let i = 0; i < 400 && (await mutex.describe()).runId === mutexFirstRun; i++) await mutex.signal('renew', { requestId: s.holder.requestId, token: s.holder.token });
  }
  await Promise.all([holderRun.result(), waiter.result()]);
  await save('continued-as-new-mutex', h.services.temporal.workflow.getHandle(mutex.workflowId, mutexFirstRun), 'A run of the sync mutex that continued as new, carrying its holder and queue.');
});

test('a run that resumed after its worker was killed', async () => {
  const h = await world({ worker: false });
  for (let r = 0; r < 4; r++) {
    const rec = await addRecord(h, 'res.partner', `Crash ${r}`);
    for (let i = 0; i < 15; i++) await attach(h, 'res.partner', rec, `k-${i}.txt`, `k ${r} ${i}`);
  }
  const run = await trigger(h, 'direct');
  const done = async () => (await h.services.database.sql`select count(*)::int as n from operations where status = 'done'`)[0]!.n as number;
  let worker = spawnWorkerProcess(h, { SYNC_BATCH_SIZE: '5', SYNC_CONCURRENCY: '2' });
  while ((await done()) < 20) await new Promise((r) => setTimeout(r, 25));
  worker.kill('SIGKILL');
  await new Promise((r) => worker.once('exit', r));
  worker = spawnWorkerProcess(h, { SYNC_BATCH_SIZE: '5', SYNC_CONCURRENCY: '2' });
  try {
    await run.result();
  } finally {
    worker.kill('SIGKILL');
  }
  await save('resumed-after-crash', run, 'A direct sync whose worker process was killed (SIGKILL) mid-run; another worker resumed it.');
}, 240_000);


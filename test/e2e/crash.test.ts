/**
 * The crash test: a worker process is killed (SIGKILL, no goodbye) at random points of a
 * direct sync of a few hundred attachments and started again, several times. At the end
 * every attachment is in the cloud exactly once with its own bytes, every one is a URL
 * attachment, and no binary was released without its verified copy.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createHarness, spawnWorkerProcess, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, cloudTree, davUrl, setUpCloud } from '../support/sync.js';
import { basicAuth } from '../support/harness.js';

const RECORDS = 10;
const PER_RECORD = 30;
const KILLS = 10;

let h: Harness;
const contents = new Map<number, string>();
let worker: ChildProcess | null = null;
const workerOutput: string[] = [];

beforeAll(async () => {
  h = await createHarness({ worker: false });
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  for (let r = 0; r < RECORDS; r++) {
    const rec = await addRecord(h, 'res.partner', `Partner ${r}`);
    for (let i = 0; i < PER_RECORD; i++) {
      const body = `partner ${r} document ${i} ${'x'.repeat(200 + i)}`;
      contents.set(await attach(h, 'res.partner', rec, `doc-${i}.txt`, body), body);
    }
  }
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await h?.close();
});

function startWorkerProcess(): ChildProcess {
  return spawnWorkerProcess(h, { SYNC_BATCH_SIZE: '10', SYNC_CONCURRENCY: '4' }, (d: string) => workerOutput.push(d));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha1 = (s: string | Buffer) => createHash('sha1').update(s).digest('hex');

test(`a worker killed ${KILLS} times at random points: every file exactly once, every binary released only after its copy`, async () => {
  const trigger = await h.api.call('POST', '/api/sync/direct');
  expect(trigger.status).toBe(202);
  const handle = h.services.temporal.workflow.getHandle(trigger.json.workflowId, trigger.json.runId);
  const kills: string[] = [];
  const doneOps = async () => (await h.services.database.sql`select count(*)::int as n from operations where status = 'done'`)[0]!.n as number;
  // Random points across the run (about 310 operations: folders and uploads, each upload
  // released in its own batch), spread so that every kill lands while work is left.
  const thresholds = Array.from({ length: KILLS }, () => 5 + Math.floor(Math.random() * (RECORDS * PER_RECORD - 40))).sort((a, b) => a - b);
  for (const threshold of thresholds) {
    worker = startWorkerProcess();
    const deadline = Date.now() + 120_000;
    let done = await doneOps();
    while (done < threshold && Date.now() < deadline) {
      await sleep(25);
      done = await doneOps();
    }
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));
    kills.push(`at ${done} operations done`);
  }
  worker = startWorkerProcess();
  let summary;
  try {
    summary = await handle.result();
  } catch (err) {
    throw new Error(`the run failed after kills ${kills.join(', ')}: ${(err as Error).message}\n${workerOutput.join('')}`);
  }
  expect(summary).toMatchObject({ outcome: 'completed' });

  const files = (await cloudTree(h)).filter((p) => !p.endsWith('/'));
  expect(files).toHaveLength(RECORDS * PER_RECORD);
  expect(files.filter((f) => / \(\d+\)\./.test(f))).toEqual([]);
  const rows = await h.services.database.sql`select id, type, url, store_fname from erp_attachments order by id`;
  expect(rows).toHaveLength(RECORDS * PER_RECORD);
  const auth = { authorization: basicAuth(h.dav.username, h.dav.password) };
  for (const row of rows) {
    expect({ id: row.id, type: row.type, store_fname: row.store_fname }).toEqual({ id: row.id, type: 'url', store_fname: null });
    // The link opens a cloud copy with exactly the bytes the ERP had.
    const res = await fetch(row.url as string, { headers: auth });
    expect(sha1(Buffer.from(await res.arrayBuffer()))).toBe(sha1(contents.get(row.id as number)!));
  }
  expect(files.every((f) => rows.some((r) => r.url === davUrl(h, f)))).toBe(true);
}, 600_000);

/**
 * A 200 MB attachment through Nextcloud's chunked upload, with the worker process killed
 * (SIGKILL) in the middle of it: nothing partial ever shows at the destination, the next
 * worker resumes the same upload folder (it sends only the chunks the server lacks), the
 * copy is whole and verified before the binary is released, and no upload folder is left.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import { createHarness, spawnWorkerProcess, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';
import { addRecord, addSyncModel } from '../support/sync.js';

const MB = 1024 * 1024;
const SIZE = 200 * MB;
const CHUNKS = 20; // SYNC_CHUNK_SIZE_MB=10

let h: Harness;
let layer: NextcloudLayer;
let cloud: WebDavCloud;
let worker: ChildProcess | null = null;
const output: string[] = [];
let sha256 = '';
let attachmentId = 0;
beforeAll(async () => {
  h = await createHarness({ worker: false });
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync' });
  await h.api.call('PUT', '/api/connection', { url: layer.url, username: h.dav.username, password: h.dav.password });
  const confirmed = await h.api.call('POST', '/api/connection/confirm');
  expect(confirmed.json).toMatchObject({ state: 'confirmed', capabilities: { chunking: '1.0' } });
  cloud = new WebDavCloud({ url: layer.url, username: h.dav.username, password: h.dav.password });
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  const rec = await addRecord(h, 'res.partner', 'Big Scans');
  const hash = createHash('sha256');
  const content = Readable.from((function* () {
    for (let i = 0; i < SIZE / MB; i++) {
      const piece = randomBytes(MB);
      hash.update(piece);
      yield piece;
    }
  })());
  const att = await h.services.builtin.addAttachment({ resModel: 'res.partner', resId: rec, name: 'scan.bin', content });
  sha256 = hash.digest('hex');
  attachmentId = att.id;
}, 120_000);
afterAll(async () => {
  worker?.kill('SIGKILL');
  await h?.close();
  await layer?.close();
});

const chunkPuts = () => layer.requests.filter((r) => r.startsWith('PUT /remote.php/dav/uploads/'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const start = () => spawnWorkerProcess(h, { SYNC_CHUNK_SIZE_MB: '10', SYNC_CHUNK_THRESHOLD_MB: '10' }, (d) => output.push(d));

test('200 MB by chunks, the worker killed mid-upload: resumed, whole, verified, released, nothing left behind', async () => {
  const trigger = await h.api.call('POST', '/api/sync/direct');
  expect(trigger.status).toBe(202);
  const handle = h.services.temporal.workflow.getHandle(trigger.json.workflowId, trigger.json.runId);
  worker = start();
  const deadline = Date.now() + 120_000;
  while (chunkPuts().length < 8 && Date.now() < deadline) await sleep(20);
  expect(chunkPuts().length).toBeGreaterThanOrEqual(8);
  worker.kill('SIGKILL');
  await new Promise((r) => worker!.once('exit', r));
  const sentBeforeKill = chunkPuts().length;

  // Killed mid-upload: the chunks wait in the upload folder, nothing is at the destination.
  expect(await layer.uploads()).toHaveLength(1);
  expect(await cloud.stat('/Odoo/Contacts/Big Scans/scan.bin')).toBeNull();
  const [att] = await h.services.database.sql`select type, store_fname from erp_attachments where id = ${attachmentId}`;
  expect(att).toMatchObject({ type: 'binary' });
  expect(att!.store_fname).not.toBeNull();

  worker = start();
  let summary;
  try {
    summary = await handle.result();
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${output.join('')}`);
  }
  expect(summary).toMatchObject({ outcome: 'completed', failed: 0 });

  // Resumed, not restarted: the chunks sent before the kill (but the one it cut) were not sent again.
  const names = chunkPuts().map((r) => r.split('/').pop()!);
  expect(new Set(names).size).toBe(CHUNKS);
  expect(names.length).toBeLessThanOrEqual(CHUNKS + 1);
  expect(sentBeforeKill).toBeLessThan(CHUNKS);

  const copy = createHash('sha256');
  for await (const piece of await cloud.download('/Odoo/Contacts/Big Scans/scan.bin')) copy.update(piece as Buffer);
  expect(copy.digest('hex')).toBe(sha256);
  expect(await layer.uploads()).toEqual([]);
  const [after] = await h.services.database.sql`select type, store_fname, url from erp_attachments where id = ${attachmentId}`;
  expect(after).toMatchObject({ type: 'url', store_fname: null, url: expect.stringMatching(/\/index\.php\/f\/\d+$/) });
}, 300_000);

/**
 * Many small files through Nextcloud's bulk upload, end to end: a direct sync of 500
 * attachments against test/support/nextcloudLayer.ts over Apache sends them 100 to a
 * request, verifies every copy and releases every binary. A file the bulk request refuses
 * (a lock held by someone else) goes again by PUT, fails on its own and is retried, while
 * the others are done.
 */
import { createHash } from 'node:crypto';
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import { createHarness, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';
import { addRecord, addSyncModel, attach, directSync } from '../support/sync.js';

const RECORDS = 5;
const PER_RECORD = 100;

let h: Harness;
let layer: NextcloudLayer;
let cloud: WebDavCloud;
const contents = new Map<number, string>();
beforeAll(async () => {
  h = await createHarness({ worker: true, tuning: { batchSize: 500 } });
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync' });
  const put = await h.api.call('PUT', '/api/connection', { url: layer.url, username: h.dav.username, password: h.dav.password });
  expect(put.status).toBe(200);
  const confirmed = await h.api.call('POST', '/api/connection/confirm');
  expect(confirmed.json).toMatchObject({ state: 'confirmed', capabilities: { product: 'nextcloud', bulkUpload: '1.0', chunking: '1.0', conditionalWrites: true } });
  cloud = new WebDavCloud({ url: layer.url, username: h.dav.username, password: h.dav.password });
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  for (let r = 0; r < RECORDS; r++) {
    const rec = await addRecord(h, 'res.partner', `Partner ${r}`);
    for (let i = 0; i < PER_RECORD; i++) {
      const body = `partner ${r} file ${i} ` + createHash('sha256').update(`${r}-${i}`).digest('hex').repeat(120); // about 4 KB
      contents.set(await attach(h, 'res.partner', rec, `doc-${String(i).padStart(3, '0')}.txt`, body), body);
    }
  }
});
afterAll(async () => {
  await h?.close();
  await layer?.close();
});

const LOCKED = '/Odoo/Contacts/Partner 2/doc-007.txt';

test('500 files of 4 KB go 100 to a bulk request; each copy is verified and each binary released', async () => {
  layer.state.locked.add(LOCKED);
  const mark = layer.requests.length;
  const summary = await directSync(h);
  const sent = layer.requests.slice(mark);
  const bulkPosts = sent.filter((r) => r === 'POST /remote.php/dav/bulk');
  const puts = sent.filter((r) => r.startsWith('PUT /remote.php/dav/files/'));
  // 5 full requests; the locked file is refused inside its request and tried once by PUT.
  expect(bulkPosts).toHaveLength(5);
  expect(puts).toEqual([`PUT /remote.php/dav/files/sync${LOCKED}`]);
  expect(summary).toMatchObject({ failed: 1 });

  const rows = await h.services.database.sql`select id, name, type, store_fname from erp_attachments order by id`;
  const released = rows.filter((r) => r.type === 'url');
  expect(released).toHaveLength(RECORDS * PER_RECORD - 1);
  expect(released.every((r) => r.store_fname === null)).toBe(true);
  // Every copy has its own bytes (a sample of them read back).
  for (const r of released.filter((_, i) => i % 50 === 0)) {
    const partner = Math.floor((Number(r.id) - Number(rows[0]!.id)) / PER_RECORD);
    const got = Buffer.concat(await (await cloud.download(`/Odoo/Contacts/Partner ${partner}/${r.name}`)).toArray()).toString();
    expect(got).toBe(contents.get(Number(r.id)));
  }
  const [op] = await h.services.database.sql`select status, last_error from operations where kind = 'upload' and status <> 'done'`;
  expect(op).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/locked/) });
});

test('once the lock is gone, the next run uploads the refused file (by PUT: a retry never goes by bulk)', async () => {
  layer.state.locked.delete(LOCKED);
  await h.services.database.sql`update operations set not_before = now() where status = 'pending'`;
  const mark = layer.requests.length;
  await directSync(h);
  const sent = layer.requests.slice(mark);
  expect(sent.filter((r) => r === 'POST /remote.php/dav/bulk')).toEqual([]);
  expect(sent.filter((r) => r.startsWith('PUT /remote.php/dav/files/'))).toEqual([`PUT /remote.php/dav/files/sync${LOCKED}`]);
  const pending = await h.services.database.sql`select count(*)::int as n from erp_attachments where type = 'binary'`;
  expect(pending[0]!.n).toBe(0);
  const names = (await cloud.list('/Odoo/Contacts/Partner 2'))!.children.map((c) => c.path);
  expect(names).toHaveLength(PER_RECORD);
  expect(names.filter((n) => / \(\d+\)\./.test(n))).toEqual([]);
});

test('a bulk request that wrote its files but failed as a whole (502): each file is found where it was sent, none uploaded twice', async () => {
  const rec = await addRecord(h, 'res.partner', 'Bad Gateway');
  for (let i = 0; i < 20; i++) await attach(h, 'res.partner', rec, `g${i}.txt`, `gateway file ${i}`);
  layer.state.failNextBulkAfterWrite = true;
  const mark = layer.requests.length;
  const summary = await directSync(h);
  expect(summary).toMatchObject({ failed: 0 });
  const sent = layer.requests.slice(mark);
  expect(sent.filter((r) => r === 'POST /remote.php/dav/bulk')).toHaveLength(1);
  expect(sent.filter((r) => r.startsWith('PUT /remote.php/dav/files/'))).toEqual([]); // found, not sent again
  const names = (await cloud.list('/Odoo/Contacts/Bad Gateway'))!.children.map((c) => c.path.split('/').pop()).sort();
  expect(names).toHaveLength(20);
  expect(names.filter((n) => / \(\d+\)\./.test(n!))).toEqual([]);
  const [left] = await h.services.database.sql`select count(*)::int as n from erp_attachments where type = 'binary'`;
  expect(left!.n).toBe(0);
});

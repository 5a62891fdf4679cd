/**
 * Nextcloud's failure modes met by a running direct sync, on test/support/nextcloudLayer.ts
 * over Apache, each with the behaviour and the log line it should have:
 * - 503 maintenance mode in the middle of a run (no Retry-After): the batch stops, backs
 *   off and the same run completes once maintenance is over;
 * - 404 on PUT, the record's folder deleted by someone after the plan: the folder is made
 *   again and the file uploaded in the same run, nothing lost;
 * - 409 on MKCOL, the model folder deleted after the plan: made again, nothing lost;
 * - 423 and 500 LockedException (a folder rename meeting a lock): the item waits and is
 *   retried, the rest goes on;
 * - 403 (no write rights there): the run stops with a red log, non-retryable;
 * - 507 quota: the run stops with a red log naming the quota, no retry storm;
 * - 401 (a revoked app password): the run stops at once, non-retryable, and says so.
 */
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';
import { addRecord, addSyncModel, attach, directSync } from '../support/sync.js';
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';

let h: Harness;
let layer: NextcloudLayer;
let cloud: WebDavCloud;
beforeAll(async () => {
  // Plain PUTs below 1 MiB (bulk off in the tuning), chunks of 1 MiB above.
  h = await createHarness({ worker: true, tuning: { transfer: { chunkThresholdBytes: 1024 * 1024, chunkSizeBytes: 1024 * 1024, bulk: false, bulkMaxBytes: 0, bulkMaxFiles: 100, bulkMaxRequestBytes: 1 } } });
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync' });
  await h.api.call('PUT', '/api/connection', { url: layer.url, username: h.dav.username, password: h.dav.password });
  expect((await h.api.call('POST', '/api/connection/confirm')).json.state).toBe('confirmed');
  cloud = new WebDavCloud({ url: layer.url, username: h.dav.username, password: h.dav.password });
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
});
afterEach(() => {
  layer.state.beforeRequest = undefined;
  layer.state.maintenance = false;
  layer.state.locked.clear();
  layer.state.readOnly.clear();
  layer.state.quotaBytes = null;
});
afterAll(async () => {
  await h?.close();
  await layer?.close();
});

/** A person acting through Nextcloud (the layer): a DELETE, or a MOVE to `to`. Its status. */
const person = async (method: string, path: string, to?: string): Promise<number> => {
  const at = (p: string) => layer.url + p.split('/').filter(Boolean).map(encodeURIComponent).join('/') + (p.endsWith('/') ? '/' : '');
  const res = await fetch(at(path), { method, headers: { authorization: basicAuth(h.dav.username, h.dav.password), ...(to ? { destination: at(to) } : {}) } });
  await res.arrayBuffer();
  return res.status;
};
/** Runs `act` once, just before the service's first `method` request for `path`; `.done` says whether it ran. */
const onceBefore = (method: string, path: string, act: () => Promise<void>) => {
  const hook = { done: false };
  layer.state.beforeRequest = async (m, p) => {
    if (m !== method || p !== path || hook.done) return;
    hook.done = true;
    await act();
  };
  return hook;
};
const logs = async (since: Date) => (await h.services.database.sql`select level, message, path from sync_logs where at >= ${since.toISOString()}::timestamptz order by id`) as unknown as { level: string; message: string; path: string | null }[];
const binaries = async () => (await h.services.database.sql`select count(*)::int as n from erp_attachments where type = 'binary'`)[0]!.n as number;
const dueNow = () => h.services.database.sql`update operations set not_before = now() where status = 'pending'`;

test('maintenance mode mid-run (503, no Retry-After): the batch backs off and the same run completes', async () => {
  const rec = await addRecord(h, 'res.partner', 'Maintenance Co');
  for (let i = 0; i < 6; i++) await attach(h, 'res.partner', rec, `m${i}.txt`, `maintenance file ${i}`);
  let puts = 0;
  layer.state.beforeRequest = (method) => {
    if (method === 'PUT' && ++puts === 1) {
      layer.state.maintenance = true;
      setTimeout(() => { layer.state.maintenance = false; }, 2500);
    }
  };
  const since = new Date();
  const summary = await directSync(h);
  expect(summary).toMatchObject({ outcome: 'completed' });
  expect(await binaries()).toBe(0);
  expect((await cloud.list('/Odoo/Contacts/Maintenance Co'))!.children).toHaveLength(6);
  expect((await logs(since)).some((l) => l.level === 'warning' && /maintenance/.test(l.message))).toBe(true);
});

test('404 on PUT (the folder was deleted after the plan): the folder is made again and the file uploaded, in the same run', async () => {
  const rec = await addRecord(h, 'res.partner', 'Vanishing Folder');
  await attach(h, 'res.partner', rec, 'first.txt', 'first');
  await directSync(h);
  await attach(h, 'res.partner', rec, 'second.txt', 'second');
  // A person deletes the record's folder through Nextcloud just before the upload.
  const deleted = onceBefore('PUT', '/Odoo/Contacts/Vanishing Folder/second.txt', async () => expect(await person('DELETE', '/Odoo/Contacts/Vanishing Folder/')).toBe(204));
  const since = new Date();
  const summary = await directSync(h);
  expect(deleted.done).toBe(true);
  expect(summary).toMatchObject({ failed: 0 });
  expect((await logs(since)).some((l) => /Vanishing Folder was gone from the cloud \(deleted after the plan\): made it again$/.test(l.message))).toBe(true);
  const names = (await cloud.list('/Odoo/Contacts/Vanishing Folder'))!.children.map((c) => c.path.split('/').pop()).sort();
  expect(names).toContain('second.txt');
  const [row] = await h.services.database.sql`select type from erp_attachments where name = 'second.txt'`;
  expect(row!.type).toBe('url');
});

test('a large file whose folder was deleted after the plan (chunked: the MOVE answers 409): the folder is made again, the file lands', async () => {
  const rec = await addRecord(h, 'res.partner', 'Big Vanishing');
  await directSync(h);
  await attach(h, 'res.partner', rec, 'big.bin', Buffer.alloc(1536 * 1024, 7));
  const deleted = onceBefore('PROPFIND', '/Odoo/Contacts/Big Vanishing/big.bin', async () => expect(await person('DELETE', '/Odoo/Contacts/Big Vanishing/')).toBe(204));
  const mark = layer.requests.length;
  const summary = await directSync(h);
  expect(deleted.done).toBe(true);
  expect(summary).toMatchObject({ failed: 0 });
  expect(layer.requests.slice(mark).some((r) => r.startsWith('PUT /remote.php/dav/uploads/'))).toBe(true);
  expect((await cloud.stat('/Odoo/Contacts/Big Vanishing/big.bin'))!.size).toBe(1536 * 1024);
  expect(await layer.uploads()).toEqual([]);
});

test('a folder renamed (not deleted) after the plan is not made again beside it: the next run names it back and uploads', async () => {
  const rec = await addRecord(h, 'res.partner', 'Renamed Meanwhile');
  await attach(h, 'res.partner', rec, 'before.txt', 'before');
  await directSync(h);
  await attach(h, 'res.partner', rec, 'after.txt', 'after');
  const renamed = onceBefore('PUT', '/Odoo/Contacts/Renamed Meanwhile/after.txt', async () => expect(await person('MOVE', '/Odoo/Contacts/Renamed Meanwhile/', '/Odoo/Contacts/Renamed by Bob/')).toBe(201));
  const first = await directSync(h);
  expect(renamed.done).toBe(true);
  expect(first).toMatchObject({ failed: 1 });
  expect(await cloud.stat('/Odoo/Contacts/Renamed Meanwhile')).toBeNull(); // not made again beside the renamed one
  layer.state.beforeRequest = undefined;
  await dueNow();
  await directSync(h);
  expect(await cloud.stat('/Odoo/Contacts/Renamed by Bob')).toBeNull();
  const names = (await cloud.list('/Odoo/Contacts/Renamed Meanwhile'))!.children.map((c) => c.path.split('/').pop()).sort();
  expect(names).toEqual(['after.txt', 'before.txt']);
});

test('a locked file (423) waits and is retried; the other files of the batch are done', async () => {
  const rec = await addRecord(h, 'res.partner', 'Locked Inc');
  await attach(h, 'res.partner', rec, 'free.txt', 'free');
  await attach(h, 'res.partner', rec, 'busy.txt', 'busy');
  layer.state.locked.add('/Odoo/Contacts/Locked Inc/busy.txt');
  const since = new Date();
  const summary = await directSync(h);
  expect(summary).toMatchObject({ failed: 1 });
  expect((await logs(since)).find((l) => /busy\.txt|locked/.test(l.message) && l.level === 'warning')!.message).toMatch(/will retry.*locked/);
  const [free] = await h.services.database.sql`select type from erp_attachments where name = 'free.txt'`;
  expect(free!.type).toBe('url');
  layer.state.locked.clear();
  await dueNow();
  await directSync(h);
  const [busy] = await h.services.database.sql`select type from erp_attachments where name = 'busy.txt'`;
  expect(busy!.type).toBe('url');
});

test('409 on MKCOL (the model folder was deleted after the plan): it is made again and the record folder in it, in the same run', async () => {
  const rec = await addRecord(h, 'res.partner', 'Conflict Ltd');
  await attach(h, 'res.partner', rec, 'c.txt', 'conflict');
  const deleted = onceBefore('MKCOL', '/Odoo/Contacts/Conflict Ltd', async () => expect(await person('DELETE', '/Odoo/Contacts/')).toBe(204));
  const summary = await directSync(h);
  expect(deleted.done).toBe(true);
  expect(summary).toMatchObject({ failed: 0 });
  expect((await cloud.list('/Odoo/Contacts/Conflict Ltd'))!.children.map((c) => c.path)).toEqual(['/Odoo/Contacts/Conflict Ltd/c.txt']);
  const [row] = await h.services.database.sql`select type from erp_attachments where name = 'c.txt'`;
  expect(row!.type).toBe('url');
});

test('a folder rename meeting a lock (500 LockedException on MOVE) waits and is done once the lock is gone', async () => {
  const rec = await addRecord(h, 'res.partner', 'Old Name');
  await attach(h, 'res.partner', rec, 'n.txt', 'name');
  await directSync(h);
  await h.api.call('PATCH', `/api/records/res.partner/${rec}`, { name: 'New Name' });
  layer.state.locked.add('/Odoo/Contacts/Old Name');
  const since = new Date();
  const summary = await directSync(h);
  expect(summary).toMatchObject({ failed: 1 });
  expect((await logs(since)).some((l) => l.level === 'warning' && /will retry.*locked/.test(l.message))).toBe(true);
  expect(await cloud.stat('/Odoo/Contacts/Old Name')).not.toBeNull();
  layer.state.locked.clear();
  await dueNow();
  await directSync(h);
  expect(await cloud.stat('/Odoo/Contacts/Old Name')).toBeNull();
  expect((await cloud.list('/Odoo/Contacts/New Name'))!.children.map((c) => c.path)).toEqual(['/Odoo/Contacts/New Name/n.txt']);
});

test('409 on MOVE (the folder a record moves into was deleted after the plan): it is made again and the move done, in the same run', async () => {
  const rec = await addRecord(h, 'res.partner', 'Moving Co');
  await attach(h, 'res.partner', rec, 'm.txt', 'moving');
  await directSync(h);
  // A sync model of higher priority takes the record: its folder moves to the new model folder.
  const companies = await addSyncModel(h, { model: 'res.partner', folderName: 'Companies', domain: [['name', '=', 'Moving Co']] });
  const order = (await h.api.call('GET', '/api/sync-models')).json.map((m: { id: number }) => m.id).filter((id: number) => id !== companies);
  expect((await h.api.call('PUT', '/api/sync-models/order', { ids: [companies, ...order] })).status).toBe(200);
  const deleted = onceBefore('MOVE', '/Odoo/Contacts/Moving Co', async () => expect(await person('DELETE', '/Odoo/Companies/')).toBe(204));
  const summary = await directSync(h);
  expect(deleted.done).toBe(true);
  expect(summary).toMatchObject({ failed: 0 });
  expect(await cloud.stat('/Odoo/Contacts/Moving Co')).toBeNull();
  expect((await cloud.list('/Odoo/Companies/Moving Co'))!.children.map((c) => c.path)).toEqual(['/Odoo/Companies/Moving Co/m.txt']);
});

test('no write rights in the folder (403): the run stops with a red log; retrying cannot help', async () => {
  const rec = await addRecord(h, 'res.partner', 'Read Only');
  await directSync(h);
  await attach(h, 'res.partner', rec, 'ro.txt', 'read only');
  layer.state.readOnly.add('/Odoo/Contacts/Read Only');
  const since = new Date();
  const mark = layer.requests.length;
  const err = await directSync(h).then(() => null, (e: Error & { cause?: Error & { cause?: unknown } }) => e);
  expect((err?.cause?.cause as Error | undefined)?.message).toMatch(/may not do this/);
  expect(layer.requests.slice(mark).filter((r) => r.startsWith('PUT '))).toHaveLength(1);
  expect((await logs(since)).some((l) => l.level === 'error' && /may not do this/.test(l.message))).toBe(true);
  layer.state.readOnly.clear();
  await h.services.database.sql`update operations set status = 'done' where status <> 'done'`;
});

test('out of quota (507): the run stops with a red log naming the quota; no retry storm', async () => {
  const rec = await addRecord(h, 'res.partner', 'Full Quota');
  for (let i = 0; i < 5; i++) await attach(h, 'res.partner', rec, `q${i}.bin`, Buffer.alloc(40_000, i));
  layer.state.quotaBytes = 1000; // already over: every PUT is refused
  const mark = layer.requests.length;
  const since = new Date();
  const err = await directSync(h).then(() => null, (e: Error & { cause?: Error & { cause?: unknown } }) => e);
  expect((err?.cause?.cause as Error | undefined)?.message).toMatch(/quota/);
  const puts = layer.requests.slice(mark).filter((r) => r.startsWith('PUT '));
  expect(puts.length).toBeLessThanOrEqual(8); // at most one per lane, never a retry round
  const red = (await logs(since)).filter((l) => l.level === 'error');
  expect(red.some((l) => /quota.*Insufficient space/.test(l.message))).toBe(true);
  const [left] = await h.services.database.sql`select count(*)::int as n from erp_attachments where type = 'binary' and name like 'q_.bin'`;
  expect(left!.n).toBe(5);
});

test('a revoked app password (401): the run stops at once and says so', async () => {
  layer.state.quotaBytes = null;
  await h.services.database.sql`update operations set status = 'done' where status <> 'done'`;
  const rec = await addRecord(h, 'res.partner', 'Revoked');
  await attach(h, 'res.partner', rec, 'r.txt', 'r');
  // The app password was revoked: the stored one no longer logs in.
  const stored = await h.services.connections.get();
  await h.services.connections.save({ url: stored!.url, username: stored!.username, password: 'revoked', rootFolder: stored!.rootFolder, publicUrls: stored!.publicUrls });
  await h.services.connections.markConfirmed(stored!.capabilities as never);
  const since = new Date();
  const mark = layer.requests.length;
  const err = await directSync(h).then(() => null, (e: Error & { cause?: Error & { cause?: unknown } }) => e);
  expect((err?.cause?.cause as Error | undefined)?.message).toMatch(/rejected the username or password/);
  // One refused request, not a retry round: a 401 is never retried (Nextcloud's brute-force
  // protection would slow every later login down).
  expect(layer.requests.length - mark).toBe(1);
  expect((await logs(since)).some((l) => l.level === 'error' && /rejected the username or password/.test(l.message))).toBe(true);
});

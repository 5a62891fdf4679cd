/**
 * Direct-sync activities run one by one (as Temporal would, at least once each) against
 * real Postgres and Apache: crash recovery and the "release only after verify" rule.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import { basicAuth, createHarness, type Harness } from '../support/harness.js';

let h: Harness;
let acts: ReturnType<typeof createActivities>;
const env = new MockActivityEnvironment();
const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => env.run(fn, ...args) as Promise<R>;

beforeAll(async () => {
  h = await createHarness();
  acts = createActivities({ db: h.services.database.db, erp: h.services.erp, openCloud: h.services.openCloud, log: h.services.log });
  const { call } = h.api;
  await call('PUT', '/api/connection', { url: h.dav.url, username: h.dav.username, password: h.dav.password });
  expect((await call('POST', '/api/connection/confirm')).status).toBe(200);
  await call('POST', '/api/sync-models', { model: 'res.partner', folderName: 'Contacts' });
  const rec = await call('POST', '/api/records', { model: 'res.partner', name: 'Deco Addict' });
  await call('POST', `/api/records/res.partner/${rec.json.id}/attachments?name=quote.txt`, 'quote v1', { 'content-type': 'application/octet-stream' });
});
afterAll(async () => h?.close());

const auth = () => ({ authorization: basicAuth(h.dav.username, h.dav.password) });

async function drainFolders() {
  for (let batch = await run(acts.takeNextBatch, { direction: 'direct' }); batch?.kind === 'create_folder'; batch = await run(acts.takeNextBatch, { direction: 'direct' })) {
    await run(acts.createFolders, { ids: batch.ids });
  }
}

test('planning twice queues each operation once', async () => {
  const first = await run(acts.planDirectSync);
  const second = await run(acts.planDirectSync);
  expect(first.enqueued).toBe(4); // root, model folder, object folder, upload
  expect(second).toMatchObject({ planned: 4, enqueued: 0 });
});

test('an upload retried after a crash between PUT and bookkeeping adopts its own file, no "(2)" copy', async () => {
  await drainFolders();
  const batch = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  expect(batch.kind).toBe('upload');
  // The crash: the PUT went through and the claimed path was written, nothing after that.
  await h.services.database.sql`update operations set payload = payload || '{"claimedPath": "/Odoo/Contacts/Deco Addict/quote.txt"}'::jsonb where id = ${batch.ids[0]!}`;
  const put = await fetch(`${h.dav.url}Odoo/Contacts/Deco%20Addict/quote.txt`, { method: 'PUT', body: 'quote v1', headers: auth() });
  expect(put.status).toBe(201);

  expect(await run(acts.uploadAttachments, { ids: batch.ids })).toEqual({ done: 1, failed: 0 });
  const listing = await (await fetch(`${h.dav.url}Odoo/Contacts/Deco%20Addict/`, { method: 'PROPFIND', headers: { ...auth(), depth: '1' } })).text();
  expect(listing).not.toContain('(2)');
  // Running the same batch again (at-least-once delivery) is a no-op.
  expect(await run(acts.uploadAttachments, { ids: batch.ids })).toEqual({ done: 0, failed: 0 });
});

test('a release the ERP fails keeps the binary, queues the release, and retries it; a copy gone by then is uploaded again', async () => {
  const rec = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'Gemini Furniture' });
  await h.api.call('POST', `/api/records/res.partner/${rec.json.id}/attachments?name=po.txt`, 'po v1', { 'content-type': 'application/octet-stream' });
  await run(acts.planDirectSync);
  await drainFolders();
  const upload = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  expect(upload.kind).toBe('upload');
  // Not producible for real with the builtin store: Odoo answering an error mid-release.
  const erp = h.services.erp as unknown as Record<string, unknown>;
  const original = { many: erp.replaceManyWithUrl, one: erp.replaceWithUrl };
  const { ErpError } = await import('../../src/erp/port.js');
  erp.replaceManyWithUrl = async (items: { id: number }[]) => new Map(items.map((i) => [i.id, new ErpError('unavailable', 'Odoo is restarting')]));
  erp.replaceWithUrl = async () => { throw new ErpError('unavailable', 'Odoo is restarting'); };
  try {
    expect(await run(acts.uploadAttachments, { ids: upload.ids })).toEqual({ done: 1, failed: 0 });
    const binary = await h.services.database.sql`select type, store_fname from erp_attachments where name = 'po.txt'`;
    expect(binary[0]).toMatchObject({ type: 'binary', store_fname: expect.any(String) });
    const release = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
    expect(release.kind).toBe('replace_with_url');
    expect(await run(acts.replaceWithUrl, { ids: release.ids })).toEqual({ done: 0, failed: 1 });
    const [op] = await h.services.database.sql`select status, attempts, last_error from operations where id = ${release.ids[0]!}`;
    expect(op).toMatchObject({ status: 'pending', attempts: 1, last_error: 'Odoo is restarting' });
  } finally {
    erp.replaceManyWithUrl = original.many;
    erp.replaceWithUrl = original.one;
  }
  const warnings = await h.api.call('GET', '/api/logs?level=warning');
  expect(warnings.json.items.map((i: { message: string }) => i.message).join('\n')).toMatch(/Uploaded, but the release failed \(will retry\): Odoo is restarting/);

  // Before the retry, someone deletes the cloud copy: the binary stays and is uploaded again.
  await fetch(`${h.dav.url}Odoo/Contacts/Gemini%20Furniture/po.txt`, { method: 'DELETE', headers: auth() });
  await h.services.database.sql`update operations set not_before = now() where kind = 'replace_with_url' and status = 'pending'`;
  const retry = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  expect(await run(acts.replaceWithUrl, { ids: retry.ids })).toEqual({ done: 1, failed: 0 });
  const [still] = await h.services.database.sql`select id, type, store_fname from erp_attachments where name = 'po.txt'`;
  expect(still).toMatchObject({ type: 'binary', store_fname: expect.any(String) });
  expect((await h.api.call('GET', `/api/attachments/${still!.id}/content`)).text).toBe('po v1');

  const again = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  expect(again.kind).toBe('upload');
  expect(await run(acts.uploadAttachments, { ids: again.ids })).toEqual({ done: 1, failed: 0 });
  const [after] = await h.services.database.sql`select type, store_fname from erp_attachments where name = 'po.txt'`;
  expect(after).toEqual({ type: 'url', store_fname: null });
  expect(await (await fetch(`${h.dav.url}Odoo/Contacts/Gemini%20Furniture/po.txt`, { headers: auth() })).text()).toBe('po v1');
});

test('a copy that does not match (size) is discarded and the binary kept', async () => {
  const rec = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'Lumber Inc' });
  await h.api.call('POST', `/api/records/res.partner/${rec.json.id}/attachments?name=big.txt`, 'twelve bytes', { 'content-type': 'application/octet-stream' });
  await run(acts.planDirectSync);
  await drainFolders();
  const upload = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  // The ERP says the file is longer than what it streams: the cloud copy comes out short.
  await h.services.database.sql`update erp_attachments set file_size = 13 where name = 'big.txt'`;
  expect(await run(acts.uploadAttachments, { ids: upload.ids })).toEqual({ done: 0, failed: 1 });
  const [att] = await h.services.database.sql`select type, store_fname from erp_attachments where name = 'big.txt'`;
  expect(att).toMatchObject({ type: 'binary', store_fname: expect.any(String) });
  const [op] = await h.services.database.sql`select status, last_error from operations where id = ${upload.ids[0]!}`;
  expect(op!.last_error).toMatch(/ended after 12 of 13 bytes: upload aborted/);
  expect((await fetch(`${h.dav.url}Odoo/Contacts/Lumber%20Inc/big.txt`, { headers: auth() })).status).toBe(404);
});

test('an empty file is uploaded and released like any other', async () => {
  const rec = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'Empty Co' });
  const { Readable } = await import('node:stream');
  const att = await h.services.builtin.addAttachment({ resModel: 'res.partner', resId: rec.json.id, name: 'empty.txt', content: Readable.from([]) });
  expect(att.size).toBe(0);
  await run(acts.planDirectSync);
  await drainFolders();
  const upload = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  expect(upload.kind).toBe('upload');
  expect(await run(acts.uploadAttachments, { ids: upload.ids })).toEqual({ done: 1, failed: 0 });
  const [row] = await h.services.database.sql`select type, store_fname from erp_attachments where id = ${att.id}`;
  expect(row).toEqual({ type: 'url', store_fname: null });
  const res = await fetch(`${h.dav.url}Odoo/Contacts/Empty%20Co/empty.txt`, { headers: auth() });
  expect(res.status).toBe(200);
  expect((await res.arrayBuffer()).byteLength).toBe(0);
});

test('a public link that cannot be made keeps the binary and the upload: the release waits for a retry', async () => {
  // Apache has no share API, so publicLink fails (confirm would refuse this; the setting is forced here).
  await h.services.database.sql`update cloud_connection set public_urls = true`;
  try {
    const rec = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'Share Co' });
    await h.api.call('POST', `/api/records/res.partner/${rec.json.id}/attachments?name=s.txt`, 'shared?', { 'content-type': 'application/octet-stream' });
    await run(acts.planDirectSync);
    await drainFolders();
    const upload = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
    expect(await run(acts.uploadAttachments, { ids: upload.ids })).toEqual({ done: 1, failed: 0 });
    const [att] = await h.services.database.sql`select type, store_fname from erp_attachments where name = 's.txt'`;
    expect(att).toMatchObject({ type: 'binary', store_fname: expect.any(String) });
    expect((await fetch(`${h.dav.url}Odoo/Contacts/Share%20Co/s.txt`, { headers: auth() })).status).toBe(200);
    const [op] = await h.services.database.sql`select kind, status from operations where kind = 'replace_with_url' and status = 'pending' order by id desc limit 1`;
    expect(op).toEqual({ kind: 'replace_with_url', status: 'pending' });
    const warnings = await h.api.call('GET', '/api/logs?level=warning');
    expect(warnings.json.items.map((i: { message: string }) => i.message).join('\n')).toMatch(/no public link yet \(will retry\)/);
  } finally {
    await h.services.database.sql`update cloud_connection set public_urls = false`;
  }
});

test('the mapping belongs to the ERP it was made with: a plan under another one stops and says why, and plans nothing', async () => {
  const { sql } = h.services.database;
  const [{ mapping_erp: made }] = await sql`select mapping_erp from settings` as unknown as [{ mapping_erp: string }];
  expect(made).toBe('builtin'); // recorded by the plans above
  // As if an Odoo had made it (an ERP switched without a reset, by a path the API refuses).
  await sql`update settings set mapping_erp = 'odoo:erp.test/prod'`;
  const queued = await sql`select count(*)::int as n from operations`;
  try {
    for (const plan of [() => acts.planDirectSync(), () => acts.planBackwardSync()]) {
      const err = await env.run(plan).then(() => null, (e: unknown) => e);
      expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
      expect((err as Error).message).toMatch(/made with the Odoo at erp\.test \(database prod\), and the ERP in use is the builtin store.*POST \/api\/connection\/reset/);
    }
    expect(await sql`select count(*)::int as n from operations`).toEqual(queued); // nothing planned
  } finally {
    await sql`update settings set mapping_erp = 'builtin'`;
  }
  await expect(run(acts.planDirectSync, {})).resolves.toMatchObject({ planned: expect.any(Number) });
});

test('with the connection unconfirmed, activities fail fast as a configuration error', async () => {
  await h.api.call('PUT', '/api/connection', { url: h.dav.url, username: h.dav.username, password: h.dav.password });
  await expect(run(acts.planDirectSync)).rejects.toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
});

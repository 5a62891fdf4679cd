/**
 * The vertical slice of issue 2, through every real part: builtin ERP in Postgres, the
 * HTTP API, a Temporal dev server and worker, and Apache mod_dav as the cloud.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { basicAuth, createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ worker: true });
});
afterAll(async () => h?.close());

const bytes = Buffer.from('%PDF-1.4\nAzure Interior invoice 2026\n' + 'x'.repeat(5000));

test('a binary attachment of a record ends up in Odoo/Contacts/<record>/ and becomes a URL attachment', async () => {
  const { call } = h.api;
  const record = await call('POST', '/api/records', { model: 'res.partner', name: 'Azure Interior' });
  expect(record.status).toBe(201);
  const upload = await call('POST', `/api/records/res.partner/${record.json.id}/attachments?name=${encodeURIComponent('invoice 2026.pdf')}`,
    bytes, { 'content-type': 'application/octet-stream' });
  expect(upload.status).toBe(201);
  expect(upload.json).toMatchObject({ name: 'invoice 2026.pdf', type: 'binary', size: bytes.length, mimetype: 'application/pdf' });

  expect((await call('PUT', '/api/connection', { url: h.dav.url, username: h.dav.username, password: h.dav.password })).status).toBe(200);
  const confirmed = await call('POST', '/api/connection/confirm');
  expect(confirmed.status).toBe(200);
  expect(confirmed.json.state).toBe('confirmed');
  expect((await call('POST', '/api/sync-models', { model: 'res.partner', folderName: 'Contacts' })).status).toBe(201);

  const trigger = await call('POST', '/api/sync/direct');
  expect(trigger.status).toBe(202);
  // (d) the workflow completed, as Temporal itself reports it
  const handle = h.services.temporal.workflow.getHandle(trigger.json.workflowId, trigger.json.runId);
  const summary = await handle.result();
  expect(summary).toMatchObject({ outcome: 'completed', failed: 0 });
  expect((await handle.describe()).status.name).toBe('COMPLETED');

  // (a) the cloud holds the file with the same bytes
  const fileUrl = `${h.dav.url}Odoo/Contacts/Azure%20Interior/invoice%202026.pdf`;
  const auth = { authorization: basicAuth(h.dav.username, h.dav.password) };
  const inCloud = Buffer.from(await (await fetch(fileUrl, { headers: auth })).arrayBuffer());
  expect(sha1(inCloud)).toBe(sha1(bytes));

  // (b) the attachment is a URL attachment, its link opens the cloud file, its binary is gone
  const listed = await call('GET', `/api/records/res.partner/${record.json.id}/attachments`);
  expect(listed.json).toHaveLength(1);
  const att = listed.json[0];
  expect(att).toMatchObject({ type: 'url', url: fileUrl, folder: false });
  expect(att.syncedAt).toEqual(expect.any(String));
  const viaLink = Buffer.from(await (await fetch(att.url, { headers: auth })).arrayBuffer());
  expect(sha1(viaLink)).toBe(sha1(bytes));
  const filestore = path.join(process.env.TEST_ROOT!, 'files', h.id, 'filestore');
  const blobs = await fs.readdir(filestore, { recursive: true, withFileTypes: true }).then((es) => es.filter((e) => e.isFile()));
  expect(blobs).toEqual([]);
  const [row] = await h.services.database.sql`select type, store_fname from erp_attachments where id = ${att.id}`;
  expect(row).toEqual({ type: 'url', store_fname: null });
  // …and the service still serves the bytes, from the cloud, to someone without a cloud login
  const proxied = await fetch(`${h.api.url}/api/attachments/${att.id}/content`, { headers: { authorization: `Bearer ${h.api.token}` } });
  expect(proxied.status).toBe(200);
  expect(sha1(Buffer.from(await proxied.arrayBuffer()))).toBe(sha1(bytes));

  // (c) success log entries for the folders and the file
  const logs = await call('GET', '/api/logs?level=success&limit=50');
  const paths = logs.json.items.map((l: { path: string }) => l.path);
  expect(paths).toEqual(expect.arrayContaining(['/Odoo', '/Odoo/Contacts', '/Odoo/Contacts/Azure Interior', '/Odoo/Contacts/Azure Interior/invoice 2026.pdf']));
  expect(logs.json.items.every((l: { level: string; direction: string }) => l.level === 'success' && l.direction === 'direct')).toBe(true);

  // Search attributes let ops find the run in the Web UI.
  const described = await handle.describe();
  expect(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(expect.arrayContaining([
    ['SyncDirection', 'direct'], ['SyncOutcome', 'completed'],
  ]));

  // Each batch activity says what it does, and the run's current details where it ended.
  const events = (await handle.fetchHistory()).events ?? [];
  const summaries = events.filter((e) => e.activityTaskScheduledEventAttributes && e.userMetadata?.summary)
    .map((e) => `${e.activityTaskScheduledEventAttributes!.activityType!.name}: ${JSON.parse(Buffer.from(e.userMetadata!.summary!.data!).toString())}`);
  expect(summaries).toEqual(expect.arrayContaining(['uploadAttachments: upload 1 file to /Odoo/Contacts/Azure Interior']));
  expect(summaries.filter((l) => l.startsWith('createFolders'))).toEqual([expect.stringMatching(/^createFolders: create 3 folders/)]);
  const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toMatch(/\*\*direct sync\*\* · completed/);
  expect(metadata.currentDetails).toMatch(/\d+ done · 0 failed/);

  // The cloud password never reaches Temporal: not in inputs, results or the history.
  const history = JSON.stringify(await handle.fetchHistory());
  expect(history).not.toContain(h.dav.password);
  // Nor the database in clear.
  const [conn] = await h.services.database.sql`select password_sealed from cloud_connection`;
  expect(conn!.password_sealed).not.toContain(h.dav.password);
});

test('a second direct sync finds nothing to do and changes nothing', async () => {
  const before = await h.services.database.sql`select count(*)::int as n from operations`;
  const trigger = await h.api.call('POST', '/api/sync/direct');
  const summary = await h.services.temporal.workflow.getHandle(trigger.json.workflowId, trigger.json.runId).result();
  expect(summary).toMatchObject({ outcome: 'completed', planned: 0, done: 0, failed: 0 });
  const after = await h.services.database.sql`select count(*)::int as n from operations`;
  expect(after[0]!.n).toBe(before[0]!.n);
  const listing = await fetch(`${h.dav.url}Odoo/Contacts/Azure%20Interior/`, {
    method: 'PROPFIND', headers: { authorization: basicAuth(h.dav.username, h.dav.password), depth: '1' },
  });
  const entries = (await listing.text()).match(/<D:href>/gi) ?? [];
  expect(entries).toHaveLength(2); // the folder itself and the one file: no "(2)" duplicate
});

function sha1(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

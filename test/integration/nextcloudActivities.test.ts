/**
 * The upload activity against the Nextcloud layer (test/support/nextcloudLayer.ts) over
 * Apache, one attempt at a time:
 * - bulk upload cannot be made conditional (Nextcloud writes each part over whatever is
 *   there), so the only safe names are those a listing just showed free. The contents are
 *   read before that listing: a file someone makes in the folder while they are read is
 *   seen, and keeps its name and content; ours goes beside it as "(2)";
 * - by PUT, the same file meets If-None-Match: * (412) and ours takes the next name;
 * - the share API refusing the credentials (an app password revoked mid-run) stops the run
 *   instead of asking again for every file; the retry links what was uploaded;
 * - default folders follow the server's naming rules like every other name.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import type { CloudPort } from '../../src/cloud/port.js';
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import { DEFAULT_TRANSFERS } from '../../src/domain/transfers.js';
import type { ErpPort } from '../../src/erp/port.js';
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';
import { addRecord, addSyncModel, attach, cloudTree } from '../support/sync.js';

let h: Harness;
let layer: NextcloudLayer;
beforeAll(async () => {
  h = await createHarness();
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync' });
  expect((await h.api.call('PUT', '/api/connection', { url: layer.url, username: h.dav.username, password: h.dav.password })).status).toBe(200);
  const confirmed = await h.api.call('POST', '/api/connection/confirm');
  expect(confirmed.json).toMatchObject({ capabilities: { bulkUpload: '1.0', conditionalWrites: true } });
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
});
afterAll(async () => {
  await h?.close();
  await layer?.close();
});

const env = new MockActivityEnvironment();
const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => env.run(fn, ...args) as Promise<R>;
const deps = () => ({ db: h.services.database.db, erp: h.services.erp, log: h.services.log, openCloud: h.services.openCloud });

/** A record with these files, planned and its folders made: the upload batch. */
async function uploadBatch(name: string, files: string[]): Promise<{ record: number; ids: number[] }> {
  const record = await addRecord(h, 'res.partner', name);
  for (const file of files) await attach(h, 'res.partner', record, file, `ours ${file}`);
  const acts = createActivities(deps());
  await run(acts.planDirectSync, { fullScan: true });
  let batch = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  while (batch.kind === 'create_folder') {
    await run(acts.createFolders, { ids: batch.ids });
    batch = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  }
  expect(batch.kind).toBe('upload');
  return { record, ids: batch.ids };
}

/** The ERP, with someone saving `path` into the cloud while the service reads the first binary. */
function erpWhileSomeoneSaves(path: string): ErpPort {
  const erp: ErpPort = Object.create(h.services.erp);
  let made = false;
  erp.openContent = async (...args) => {
    if (!made) {
      made = true;
      const res = await fetch(`${layer.url}${path.split('/').filter(Boolean).map(encodeURIComponent).join('/')}`, { method: 'PUT', body: 'theirs', headers: auth() });
      expect(res.status).toBe(201);
    }
    return h.services.erp.openContent(...args);
  };
  return erp;
}
const auth = () => ({ authorization: basicAuth(h.dav.username, h.dav.password) });
const text = async (path: string) => (await fetch(`${h.dav.url}${path.split('/').filter(Boolean).map(encodeURIComponent).join('/')}`, { headers: auth() })).text();
const namesIn = async (folder: string) => (await cloudTree(h, folder)).map((p) => p.slice(folder.length + 1));
const typesOf = async (record: number) => h.services.database.sql`select name, type from erp_attachments where res_id = ${record} order by name`;

test('a file made in the folder while the contents are read is not overwritten by the bulk request', async () => {
  const { record, ids } = await uploadBatch('Azure Interior', ['a.txt', 'b.txt', 'c.txt']);
  const folder = '/Odoo/Contacts/Azure Interior';
  const mark = layer.requests.length;
  const acts = createActivities({ ...deps(), erp: erpWhileSomeoneSaves(`${folder}/b.txt`) });
  expect(await run(acts.uploadAttachments, { ids })).toEqual({ done: 3, failed: 0 });
  expect(layer.requests.slice(mark).filter((r) => r === 'POST /remote.php/dav/bulk')).toHaveLength(1);

  expect(await namesIn(folder)).toEqual(['a.txt', 'b (2).txt', 'b.txt', 'c.txt']);
  expect(await text(`${folder}/b.txt`)).toBe('theirs');
  expect(await text(`${folder}/b (2).txt`)).toBe('ours b.txt');
  expect(await typesOf(record)).toEqual([{ name: 'a.txt', type: 'url' }, { name: 'b.txt', type: 'url' }, { name: 'c.txt', type: 'url' }]);
});

test('by PUT, the same file is refused its name (412, If-None-Match: *): ours takes the next one, theirs stays', async () => {
  const { record, ids } = await uploadBatch('Deco Addict', ['quote.txt']);
  const folder = '/Odoo/Contacts/Deco Addict';
  const mark = layer.requests.length;
  const acts = createActivities({ ...deps(), erp: erpWhileSomeoneSaves(`${folder}/quote.txt`), transfer: { ...DEFAULT_TRANSFERS, bulk: false } });
  expect(await run(acts.uploadAttachments, { ids })).toEqual({ done: 1, failed: 0 });
  const puts = layer.requests.slice(mark).filter((r) => r.startsWith('PUT /remote.php/dav/files/'));
  expect(puts.map((r) => decodeURIComponent(r.split('/').pop()!))).toEqual(['quote.txt', 'quote.txt', 'quote (2).txt']); // theirs, ours refused, ours
  expect(await namesIn(folder)).toEqual(['quote (2).txt', 'quote.txt']);
  expect(await text(`${folder}/quote.txt`)).toBe('theirs');
  expect(await typesOf(record)).toEqual([{ name: 'quote.txt', type: 'url' }]);
});

test('the share API refusing the credentials stops the run with CloudAuthFailed; what was uploaded is recorded and linked by the retry', async () => {
  const { sql } = h.services.database;
  await sql`update cloud_connection set public_urls = true`;
  // Nothing may fail behind the activity's back (a rejected release group crashed the worker).
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => { unhandled.push(reason); };
  process.on('unhandledRejection', onUnhandled);
  try {
    // 70 files: two verify-and-release groups, the second still uploading when the first asks for links.
    const files = Array.from({ length: 70 }, (_, i) => `plan-${String(i).padStart(2, '0')}.txt`);
    const { record, ids } = await uploadBatch('Lumber Inc', files);
    // The app password revoked between the uploads and the links: the share API answers 401.
    const revoked = new WebDavCloud({ url: layer.url, username: h.dav.username, password: 'revoked-app-password' });
    const openCloud = async () => {
      const opened = (await h.services.openCloud())!;
      const cloud: CloudPort = Object.create(opened.cloud);
      cloud.publicLink = (item) => revoked.publicLink(item);
      return { ...opened, cloud };
    };
    const mark = layer.requests.length;
    const slow = { ...deps(), openCloud, concurrency: 2, transfer: { ...DEFAULT_TRANSFERS, bulk: false } };
    const err = await run(createActivities(slow).uploadAttachments, { ids }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'CloudAuthFailed', nonRetryable: true });
    const sent = layer.requests.slice(mark);
    // Asked once per lane (2), not once for each file; and the uploads stopped too.
    expect(sent.filter((r) => r.startsWith('GET /ocs/v2.php/apps/files_sharing')).length).toBeLessThanOrEqual(2);
    expect(sent.filter((r) => r.startsWith('PUT ')).length).toBeLessThan(70);
    expect((await typesOf(record)).every((r) => r.type === 'binary')).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(unhandled).toEqual([]);

    // The retry: the rest uploaded, the queued releases done, each file once, each with its share link.
    const acts = createActivities(deps());
    for (let batch = await run(acts.takeNextBatch, { direction: 'direct' }); batch; batch = await run(acts.takeNextBatch, { direction: 'direct' })) {
      if (batch.kind === 'upload') await run(acts.uploadAttachments, { ids: batch.ids });
      else if (batch.kind === 'replace_with_url') await run(acts.replaceWithUrl, { ids: batch.ids });
      else throw new Error(`unexpected ${batch.kind}`);
    }
    expect(await namesIn('/Odoo/Contacts/Lumber Inc')).toEqual(files);
    const links = await sql`select url from erp_attachments where res_id = ${record} and type = 'url'`;
    expect(links.map((l) => l.url)).toEqual(files.map(() => expect.stringMatching(/\/s\/[\w-]+$/)));
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await sql`update cloud_connection set public_urls = false`;
  }
});

test('default folders are named by the server\'s own rules too (a Nextcloud 30 forbidding ";")', async () => {
  const { sql } = h.services.database;
  const [{ capabilities }] = await sql`select capabilities from cloud_connection` as unknown as [{ capabilities: Record<string, unknown> }];
  await sql`update cloud_connection set capabilities = ${JSON.stringify({ ...capabilities, forbiddenCharacters: [';'] })}::jsonb`;
  const [model] = (await h.api.call('GET', '/api/sync-models')).json as { id: number }[];
  expect((await h.api.call('PATCH', `/api/sync-models/${model!.id}`, { defaultFolders: [{ name: 'Quotes;2026', children: [{ name: 'Signed;', children: [] }] }] })).status).toBe(200);
  try {
    const { ids } = await uploadBatch('Gemini Furniture', ['po.txt']);
    expect(await namesIn('/Odoo/Contacts/Gemini Furniture')).toEqual(['Quotes-2026/', 'Quotes-2026/Signed-/']);
    expect(await run(createActivities(deps()).uploadAttachments, { ids })).toEqual({ done: 1, failed: 0 });
  } finally {
    await h.api.call('PATCH', `/api/sync-models/${model!.id}`, { defaultFolders: [] });
    await sql`update cloud_connection set capabilities = ${JSON.stringify(capabilities)}::jsonb`;
  }
});

test('names Nextcloud would refuse are made acceptable before any request: bytes (PUT over 228, MKCOL over 250), backslashes, newlines, .part', async () => {
  const longRecord = `Établissements ${'é'.repeat(140)}`; // 295 bytes: MKCOL refuses over 250
  const longFile = `${'ü'.repeat(150)}.pdf`; // 304 bytes: PUT refuses over 228
  const odd = ['back\\slash.txt', 'two\nlines.txt', 'draft.part'];
  const { record, ids } = await uploadBatch(longRecord, [longFile, ...odd]);
  const mark = layer.requests.length;
  expect(await run(createActivities({ ...deps(), transfer: { ...DEFAULT_TRANSFERS, bulk: false } }).uploadAttachments, { ids })).toEqual({ done: 4, failed: 0 });
  const [folder] = (await cloudTree(h, '/Odoo/Contacts')).filter((p) => p.startsWith('/Odoo/Contacts/Établissements'));
  expect(Buffer.byteLength(folder!.split('/')[3]!)).toBeLessThanOrEqual(220);
  const names = await namesIn(folder!.replace(/\/$/, ''));
  expect(names.filter((n) => !n.endsWith('.pdf')).sort()).toEqual(['back-slash.txt', 'draft-part', 'two-lines.txt']);
  const [pdf] = names.filter((n) => n.endsWith('.pdf'));
  expect(Buffer.byteLength(pdf!)).toBeLessThanOrEqual(220);
  expect(pdf!.startsWith('üüü')).toBe(true);
  // Nothing refused on the way: one PUT each, each a first and only try.
  expect(layer.requests.slice(mark).filter((r) => r.startsWith('PUT ')).length).toBe(4);
  expect((await typesOf(record)).every((r) => r.type === 'url')).toBe(true);
});

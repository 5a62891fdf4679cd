/**
 * A cloud that asks to slow down (429) or is in maintenance (503): the batch stops at the
 * first refusal instead of hammering the server with the rest, the refused operations wait
 * at least the server's Retry-After, the activity's retry is scheduled after it, and
 * nothing is marked failed for good. Real Apache behind a throttling proxy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import { createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, setUpCloud } from '../support/sync.js';
import { startThrottlingProxy, type ThrottlingProxy } from '../support/throttlingProxy.js';

let h: Harness;
let proxy: ThrottlingProxy;
let acts: ReturnType<typeof createActivities>;
const records: number[] = [];
const env = new MockActivityEnvironment();
const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => env.run(fn, ...args) as Promise<R>;

beforeAll(async () => {
  h = await createHarness();
  proxy = await startThrottlingProxy(h.dav.url);
  await setUpCloud(h, { url: proxy.url });
  acts = createActivities({ db: h.services.database.db, erp: h.services.erp, openCloud: h.services.openCloud, log: h.services.log, concurrency: 2 });
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  for (const name of ['Busy Cloud', 'Maintenance']) {
    const rec = await addRecord(h, 'res.partner', name);
    records.push(rec);
    for (let i = 0; i < 8; i++) await attach(h, 'res.partner', rec, `f-${i}.txt`, `file ${i}`);
  }
  await run(acts.planDirectSync, {});
  for (let b = await run(acts.takeNextBatch, { direction: 'direct' }); b?.kind === 'create_folder'; b = await run(acts.takeNextBatch, { direction: 'direct' })) {
    await run(acts.createFolders, { ids: b.ids });
  }
});
afterAll(async () => {
  await proxy?.close();
  await h?.close();
});

const ops = (resId: number) => h.services.database.sql`select id, status, attempts, extract(epoch from (not_before - now())) as wait_s from operations
  where kind = 'upload' and (payload->>'resId')::int = ${resId} order by id`;

test.each([
  [429, 7, 0],
  [503, undefined, 1],
] as const)('HTTP %s (Retry-After %s s): one refusal per lane, then the batch stops; the activity retries after Retry-After', async (status, retryAfter, which) => {
  const batch = { ids: (await ops(records[which]!)).map((r) => r.id as number) };
  expect(batch.ids).toHaveLength(8);
  for (const k of Object.keys(proxy.refused)) delete proxy.refused[k];
  proxy.throttle({ status, retryAfterSeconds: retryAfter, methods: ['PUT'] });

  const failure = await run(acts.uploadAttachments, { ids: batch.ids }).then(() => null, (err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'Cloud_unavailable', nonRetryable: false });
  // Temporal schedules the activity's retry after the server's Retry-After, or backs off by its policy.
  const delay = (failure as ApplicationFailure).nextRetryDelay;
  if (retryAfter) expect(delay).toBe(retryAfter * 1000);
  else expect(delay).toBeUndefined();
  // Two lanes: at most one refused PUT each, not one for each of the eight files.
  expect(proxy.refused.PUT).toBeLessThanOrEqual(2);
  const rows = await ops(records[which]!);
  expect(rows.every((r) => r.status === 'pending')).toBe(true);
  const refusedOps = rows.filter((r) => r.attempts > 0);
  expect(refusedOps.length).toBe(proxy.refused.PUT);
  for (const r of refusedOps) expect(Number(r.wait_s)).toBeGreaterThan(retryAfter ? retryAfter - 1 : 4);
  expect(rows.filter((r) => r.attempts === 0).length).toBeGreaterThanOrEqual(6); // never tried: no attempt spent

  // The cloud is back: the same batch goes through, every file once.
  proxy.stop();
  expect(await run(acts.uploadAttachments, { ids: batch.ids })).toEqual({ done: 8, failed: 0 });
  const attachments = await h.services.database.sql`select type from erp_attachments where res_id = ${records[which]!}`;
  expect(attachments.map((a) => a.type)).toEqual(Array(8).fill('url'));
});

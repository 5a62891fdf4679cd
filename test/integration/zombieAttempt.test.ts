/**
 * The claim fence at its narrowest, one upload batch and two attempts of its activity
 * (an old one, whose worker froze, and the newer one Temporal gave the batch to):
 * - the old attempt passed its fence and stopped before its PUT; it wakes after the newer
 *   one uploaded the file: its PUT meets the file (412, If-None-Match: *) and it must not
 *   write a second copy under a new name: it looks at the fence again and stops;
 * - the old attempt's PUT was in flight and lands between the newer one's look and its
 *   PUT: the newer one meets its own operation's file and adopts it, no "(2)";
 * - the old attempt froze before it even claimed the batch: starting late, it must not
 *   take the batch back from the newer one.
 * (test/e2e/frozenHolder.test.ts is the same with real processes and SIGSTOP.)
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities/index.js';
import type { CloudPort } from '../../src/cloud/port.js';
import { ErpError, type ErpPort } from '../../src/erp/port.js';
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, cloudTree, setUpCloud } from '../support/sync.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
});
afterAll(async () => h?.close());

const deps = () => ({ db: h.services.database.db, erp: h.services.erp, log: h.services.log, openCloud: h.services.openCloud });
const plain = new MockActivityEnvironment();
const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => plain.run(fn, ...args) as Promise<R>;
const attempt = (n: number) => new MockActivityEnvironment({ activityId: 'upload-1', attempt: n, workflowExecution: { workflowId: 'wf', runId: 'run-1' } });

/** A record with one file, planned and its folders made: the upload batch. */
async function uploadBatch(record: string, file: string): Promise<number[]> {
  const acts = createActivities(deps());
  await attach(h, 'res.partner', await addRecord(h, 'res.partner', record), file, `${record} content`);
  await run(acts.planDirectSync, { fullScan: true });
  for (;;) {
    const b = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
    if (b.kind === 'upload') return b.ids;
    if (b.kind === 'create_folder') await run(acts.createFolders, { ids: b.ids });
    else if (b.kind === 'replace_with_url') await run(acts.replaceWithUrl, { ids: b.ids }); // left by the test before
    else throw new Error(`unexpected ${b.kind}`);
  }
}

/** The cloud with a hook before its first PUT. */
function cloudWithHook(before: (path: string) => Promise<void>) {
  let first = true;
  return async () => {
    const opened = await h.services.openCloud();
    if (!opened) return null;
    const cloud: CloudPort = Object.create(opened.cloud);
    cloud.putNew = async (...args) => {
      if (first) { first = false; await before(args[0]); }
      return opened.cloud.putNew(...args);
    };
    return { ...opened, cloud };
  };
}

/** A pause point: `pause` stops there until `letGo`; `atPause` settles once something stopped there. */
function gate() {
  let reached!: () => void;
  let letGo!: () => void;
  const atPause = new Promise<void>((r) => { reached = r; });
  const released = new Promise<void>((r) => { letGo = r; });
  return { atPause, letGo, pause: async () => { reached(); await released; } };
}

const filesUnder = async (folder: string) => (await cloudTree(h, folder)).filter((p) => !p.endsWith('/'));

test('an attempt that wakes after a newer one uploaded its file writes no "(2)" copy: it is fenced', async () => {
  const ids = await uploadBatch('Deco Addict', 'quote.txt');
  const { atPause, pause, letGo } = gate();
  const old = createActivities({ ...deps(), openCloud: cloudWithHook(pause) });
  // The newer attempt uploads, but its release waits (here: the ERP refuses it for now, as
  // an Odoo restarting would), so the binary is still there for the old attempt to read:
  // in a real batch the release comes group by group, behind the uploads.
  const holding: ErpPort = Object.create(h.services.erp);
  holding.replaceManyWithUrl = async (items) => new Map(items.map((i) => [i.id, new ErpError('unavailable', 'Odoo is restarting')]));
  const newer = createActivities({ ...deps(), erp: holding });

  const oldAttempt = attempt(1).run(old.uploadAttachments, { ids });
  await atPause; // past its fence, its content read, its PUT not sent
  expect(await attempt(2).run(newer.uploadAttachments, { ids })).toEqual({ done: 1, failed: 0 });
  letGo();

  const err = await oldAttempt.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).type).toBe('AttemptSuperseded');
  expect(await filesUnder('/Odoo/Contacts/Deco Addict')).toEqual(['/Odoo/Contacts/Deco Addict/quote.txt']);
});

test('the old attempt\'s PUT landing between the newer one\'s look and its PUT: the newer one adopts that copy, no "(2)"', async () => {
  const ids = await uploadBatch('Gemini Furniture', 'po.txt');
  // The old attempt claimed its path and sent its PUT, then froze (the operation is claimed, the file not there yet).
  const path = '/Odoo/Contacts/Gemini Furniture/po.txt';
  await h.services.database.sql`update operations set claimed_by = 'run-1:upload-1:1', payload = payload || ${JSON.stringify({ claimedPath: path })}::jsonb where id = ${ids[0]!}`;
  const landing = async () => {
    const res = await fetch(`${h.dav.url}Odoo/Contacts/Gemini%20Furniture/po.txt`, { method: 'PUT', body: 'Gemini Furniture content', headers: { authorization: basicAuth(h.dav.username, h.dav.password) } });
    expect(res.status).toBe(201);
  };
  const newer = createActivities({ ...deps(), openCloud: cloudWithHook(landing) });
  expect(await attempt(2).run(newer.uploadAttachments, { ids })).toEqual({ done: 1, failed: 0 });
  expect(await filesUnder('/Odoo/Contacts/Gemini Furniture')).toEqual([path]);
  const [row] = await h.services.database.sql`select type from erp_attachments where name = 'po.txt'`;
  expect(row).toEqual({ type: 'url' });
});

test('an attempt that starts after a newer one claimed the batch does not take it back: it is fenced, the newer one finishes', async () => {
  const ids = await uploadBatch('Lumber Inc', 'plan.txt');
  const { atPause, pause, letGo } = gate();
  const newer = createActivities({ ...deps(), openCloud: cloudWithHook(pause) });
  const newerAttempt = attempt(2).run(newer.uploadAttachments, { ids });
  await atPause; // the newer attempt has claimed the batch and is about to PUT

  const late = await attempt(1).run(createActivities(deps()).uploadAttachments, { ids }).then(() => null, (e: unknown) => e).finally(letGo);
  expect((late as ApplicationFailure | null)?.type).toBe('AttemptSuperseded');
  expect(await newerAttempt).toEqual({ done: 1, failed: 0 });
  expect(await filesUnder('/Odoo/Contacts/Lumber Inc')).toEqual(['/Odoo/Contacts/Lumber Inc/plan.txt']);
});

/**
 * Direct sync runs end on their time budget (the manual's "server timeout") and hand the
 * rest of the queue, durable in Postgres, to the next run: nothing lost, nothing twice.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, cloudTree, directSync, setUpCloud } from '../support/sync.js';

let h: Harness;
beforeAll(async () => {
  // Small batches, so one second of budget covers only part of the work.
  h = await createHarness({ worker: true, tuning: { batchSize: 2, concurrency: 2 } });
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
});
afterAll(async () => h?.close());

test('a run cut by a tiny time budget finishes on the next runs, every file once, every binary released', async () => {
  expect((await h.api.call('PATCH', '/api/settings', { timeBudgetSeconds: 1 })).json).toMatchObject({ timeBudgetSeconds: 1 });
  const ids: number[] = [];
  for (let r = 0; r < 3; r++) {
    const rec = await addRecord(h, 'res.partner', `Partner ${r}`);
    for (let i = 0; i < 15; i++) ids.push(await attach(h, 'res.partner', rec, `doc-${i}.txt`, `content ${r}-${i}`));
  }
  const outcomes: string[] = [];
  for (let run = 0; run < 40; run++) {
    const summary = await directSync(h);
    outcomes.push(summary.outcome);
    if (summary.outcome === 'completed') break;
  }
  expect(outcomes[0]).toBe('budget_spent');
  expect(outcomes.at(-1)).toBe('completed');

  const files = (await cloudTree(h)).filter((p) => !p.endsWith('/'));
  expect(files).toHaveLength(45);
  expect(files.some((f) => f.includes('(2)'))).toBe(false);
  const rows = await h.services.database.sql`select type, store_fname from erp_attachments order by id`;
  expect(rows.every((r) => r.type === 'url' && r.store_fname === null)).toBe(true);
  const filestore = path.join(process.env.TEST_ROOT!, 'files', h.id, 'filestore');
  const blobs = await fs.readdir(filestore, { recursive: true, withFileTypes: true }).then((es) => es.filter((e) => e.isFile()));
  expect(blobs).toEqual([]);
  const [{ open }] = await h.services.database.sql`select count(*)::int as open from operations where status <> 'done'` as unknown as [{ open: number }];
  expect(open).toBe(0);
});

test('a long run continues as new between batches (history stays bounded) and keeps its lease, its counts and its budget', async () => {
  expect((await h.api.call('PATCH', '/api/settings', { timeBudgetSeconds: 900 })).json).toMatchObject({ timeBudgetSeconds: 900 });
  for (let r = 0; r < 4; r++) {
    const rec = await addRecord(h, 'res.partner', `Chain ${r}`);
    for (let i = 0; i < 20; i++) await attach(h, 'res.partner', rec, `chain-${i}.txt`, `chain ${r}-${i}`);
  }
  const triggeredAt = new Date(Date.now() - 1000);
  const trigger = await h.api.call('POST', '/api/sync/direct');
  const client = h.services.temporal.workflow;
  const first = client.getHandle(trigger.json.workflowId, trigger.json.runId);
  const summary = await first.result(); // follows the chain to its last run
  // 80 uploads in batches of 2 (plus folders and releases): far more than the suite's
  // 200-event suggestion, so the chain has several runs, each with a short history.
  const chain = [];
  for await (const w of client.list({ query: `WorkflowId = "${trigger.json.workflowId}"` })) if (w.startTime >= triggeredAt) chain.push(w);
  expect(chain.length).toBeGreaterThan(1);
  expect(chain.filter((w) => w.status.name === 'CONTINUED_AS_NEW')).toHaveLength(chain.length - 1);
  for (const w of chain) expect(w.historyLength).toBeLessThan(400);
  expect(summary).toMatchObject({ outcome: 'completed', failed: 0 });
  expect(summary.done).toBeGreaterThanOrEqual(80 + 4);

  // One lease for the whole chain: granted once, released once, the mutex idle after it.
  const last = client.getHandle(trigger.json.workflowId);
  const progress = await last.query('progress') as { run: number; done: number };
  expect(progress.run).toBe(chain.length);
  expect(progress.done).toBe(summary.done);
  const mutex = await client.getHandle(h.services.workflowIds.mutex).query('mutexState') as { holder: unknown; released: string[] };
  expect(mutex.holder).toBeNull();
  expect(mutex.released.filter((r) => r === trigger.json.runId)).toHaveLength(1);
  const files = (await cloudTree(h)).filter((p) => p.includes('chain-'));
  expect(files).toHaveLength(80);
}, 180_000);

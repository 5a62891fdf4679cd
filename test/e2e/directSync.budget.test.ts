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

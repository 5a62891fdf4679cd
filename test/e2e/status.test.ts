/** `GET /api/status` and `GET /api/sync/runs`: what ops check first, answered without a cloud round-trip. */
import { createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, directSync, setUpCloud } from '../support/sync.js';

let h: Harness;
let idle: Harness;
beforeAll(async () => {
  [h, idle] = await Promise.all([createHarness({ worker: true }), createHarness({ worker: false })]);
});
afterAll(async () => {
  await idle?.services.temporal.workflow.getHandle(idle.services.workflowIds.mutex).terminate('test over').catch(() => {});
  await Promise.all([h?.close(), idle?.close()]);
});

test('after a direct sync: connection, schedules, an idle mutex, the last run, an empty queue', async () => {
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  await attach(h, 'res.partner', await addRecord(h, 'res.partner', 'Status Co'), 's.txt', 'status');
  const summary = await directSync(h);
  expect(summary.outcome).toBe('completed');

  const started = Date.now();
  const r = await h.api.call('GET', '/api/status');
  expect(Date.now() - started).toBeLessThan(2000);
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({
    connection: { state: 'confirmed', url: h.dav.url, rootFolder: 'Odoo', lastError: null },
    schedules: { direct: { every: '30m', offset: '0m', paused: false }, backward: { every: '30m', offset: '15m' } },
    mutex: { available: true, holder: null, waiting: [] },
    lastRuns: { direct: { status: 'COMPLETED', outcome: 'completed', direction: 'direct', done: summary.done, failed: 0 }, backward: null },
    queue: { direct: { pending: {}, failed: 0 }, backward: { pending: {}, failed: 0 } },
    deletionsHeld: null,
  });
  expect(JSON.stringify(r.json)).not.toContain(h.dav.password);

  const runs = await h.api.call('GET', '/api/sync/runs?direction=direct&limit=5');
  expect(runs.json.items).toEqual([expect.objectContaining({ workflowId: h.services.workflowIds.direct, outcome: 'completed', done: summary.done, closedAt: expect.any(String) })]);
  expect((await h.api.call('GET', '/api/sync/runs?direction=backward')).json.items).toEqual([]);
});

test('bad queries of the runs list are 422', async () => {
  for (const q of ['?direction=sideways', '?limit=0', '?limit=101', '?limit=ten', '?order=asc']) {
    const r = await h.api.call('GET', `/api/sync/runs${q}`);
    expect({ q, status: r.status, code: r.json.error?.code }).toEqual({ q, status: 422, code: 'invalid_fields' });
  }
});

test('with no worker to answer, the status still comes, quickly, and says the mutex is unavailable', async () => {
  expect((await idle.api.call('GET', '/api/status')).json.mutex).toEqual({ available: true, holder: null, waiting: [] }); // no mutex yet
  await idle.services.temporal.workflow.start('syncMutex', { taskQueue: idle.services.taskQueue, workflowId: idle.services.workflowIds.mutex, args: [] });
  const started = Date.now();
  const r = await idle.api.call('GET', '/api/status');
  expect(Date.now() - started).toBeLessThan(4000);
  expect(r.json).toMatchObject({ connection: null, mutex: { available: false }, lastRuns: { direct: null, backward: null } });
});

/**
 * The two Temporal Schedules: stored settings in, Temporal Schedules out (interval with
 * offset, or cron; paused), bad input refused by name with nothing changed, and every way
 * of starting a run (the API, a schedule firing, "Trigger" in the Web UI or the CLI) going
 * through the sync mutex, so direct and backward runs never interleave.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findTemporalCli } from '../../src/runtime/temporal.js';
import { createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach, dav, setUpCloud } from '../support/sync.js';

const run = promisify(execFile);
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ worker: true });
  await setUpCloud(h);
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
});
afterAll(async () => {
  for (const id of Object.values(h?.services.scheduleIds ?? {})) await h.services.temporal.schedule.getHandle(id).delete().catch(() => {});
  await h?.close();
});

const schedule = (direction: 'direct' | 'backward') => h.services.temporal.schedule.getHandle(h.services.scheduleIds[direction]);

test('before any PUT: the manual\'s offset defaults, and no schedule in Temporal yet', async () => {
  const r = await h.api.call('GET', '/api/schedules');
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({
    direct: { every: '30m', offset: '0m', cron: null, paused: false, exists: false, nextRunAt: null },
    backward: { every: '30m', offset: '15m', cron: null, paused: false, exists: false },
  });
});

test('PUT creates both schedules in Temporal (interval with offset, or cron), pauses and resumes them', async () => {
  const put = await h.api.call('PUT', '/api/schedules', { direct: { every: '1h', offset: '10m' }, backward: { cron: '15,45 * * * *' } });
  expect(put.status).toBe(200);
  expect(put.json.direct).toMatchObject({ every: '1h', offset: '10m', cron: null, paused: false, exists: true });
  expect(put.json.backward).toMatchObject({ every: null, cron: '15,45 * * * *', exists: true });
  const next = new Date(put.json.direct.nextRunAt);
  expect(next.getUTCMinutes()).toBe(10);
  expect(next.getTime()).toBeGreaterThan(Date.now());

  const d = await schedule('direct').describe();
  expect(d.spec.intervals).toEqual([{ every: 3_600_000, offset: 600_000 }]);
  expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'directSync', taskQueue: h.services.taskQueue });
  expect(d.action.type === 'startWorkflow' && d.action.args).toEqual([{ trigger: 'schedule', mutexWorkflowId: h.services.workflowIds.mutex }]);
  const b = await schedule('backward').describe();
  expect(b.action).toMatchObject({ workflowType: 'backwardSync' });
  expect(new Date(b.info.nextActionTimes[0]!).getUTCMinutes() % 30).toBe(15);

  // Pause one: only that one; resume it: back, nothing else touched.
  expect((await h.api.call('PUT', '/api/schedules', { backward: { cron: '15,45 * * * *', paused: true } })).json.backward).toMatchObject({ paused: true, nextRunAt: null });
  expect((await schedule('backward').describe()).state.paused).toBe(true);
  expect((await schedule('direct').describe()).state.paused).toBe(false);
  expect((await h.api.call('PUT', '/api/schedules', { backward: { cron: '15,45 * * * *', paused: false } })).json.backward.paused).toBe(false);
  expect((await schedule('backward').describe()).state.paused).toBe(false);
  // Stored: a restart applies the same (GET reads the settings, Temporal agrees).
  expect((await h.api.call('GET', '/api/schedules')).json.direct).toMatchObject({ every: '1h', offset: '10m', exists: true });
});

test.each([
  [{}, 'invalid_fields', /send direct, backward or both/],
  [{ direct: {} }, 'invalid_fields', /direct.every: give every \(with an optional offset\) or cron/],
  [{ direct: { every: '30m', cron: '* * * * *' } }, 'invalid_fields', /give every or cron, not both/],
  [{ direct: { cron: '0 * * * *', offset: '5m' } }, 'invalid_fields', /offset goes with every/],
  [{ direct: { every: 30 } }, 'invalid_fields', /direct.every/],
  [{ direct: { every: '30m', paused: 'yes' } }, 'invalid_fields', /direct.paused/],
  [{ direct: { every: '30m', when: 'now' } }, 'invalid_fields', /direct/],
  [{ sideways: { every: '30m' } }, 'invalid_fields', /sideways|Unrecognized/i],
  [{ direct: { every: 'half an hour' } }, 'invalid_schedule', /direct.every: "half an hour" is not a duration/],
  [{ direct: { every: '10s' } }, 'invalid_schedule', /direct.every: "10s" is out of range/],
  [{ direct: { every: '30m', offset: '45m' } }, 'invalid_schedule', /direct.offset: "45m" must be shorter/],
  [{ backward: { cron: '61 * * * *' } }, 'invalid_schedule', /backward.cron: the minute field "61" has 61, outside 0-59/],
  [{ backward: { cron: '* * *' } }, 'invalid_schedule', /has 3 fields/],
  [{ direct: { every: '1h' }, backward: { cron: 'nope' } }, 'invalid_schedule', /backward.cron/],
])('PUT %j is refused (%s) and nothing changes, here or in Temporal', async (body, code, message) => {
  const before = (await h.api.call('GET', '/api/schedules')).json;
  const specBefore = (await schedule('direct').describe()).spec;
  const r = await h.api.call('PUT', '/api/schedules', body);
  expect(r.status).toBe(422);
  expect(r.json.error.code).toBe(code);
  expect(r.json.error.message).toMatch(message);
  const after = (await h.api.call('GET', '/api/schedules')).json;
  expect({ direct: { ...after.direct, nextRunAt: null }, backward: { ...after.backward, nextRunAt: null } })
    .toEqual({ direct: { ...before.direct, nextRunAt: null }, backward: { ...before.backward, nextRunAt: null } });
  expect((await schedule('direct').describe()).spec).toEqual(specBefore);
});

test('PUT without JSON is refused: 400 / 415', async () => {
  expect((await h.api.call('PUT', '/api/schedules', '[1]', { 'content-type': 'application/json' })).status).toBe(400);
  expect((await h.api.call('PUT', '/api/schedules', 'every 30m', { 'content-type': 'text/plain' })).status).toBe(415);
});

test('"Trigger" from the CLI (as from the Web UI) starts a run that takes the mutex\'s lease, even while paused', async () => {
  await h.api.call('PUT', '/api/schedules', { direct: { every: '24h', paused: true } });
  const rec = await addRecord(h, 'res.partner', 'Scheduled');
  await attach(h, 'res.partner', rec, 'by-schedule.txt', 'fired');
  const cli = await findTemporalCli(process.env.TEMPORAL_CLI);
  await run(cli, ['schedule', 'trigger', '--address', h.settings.temporalAddress, '--schedule-id', h.services.scheduleIds.direct]);
  let started;
  for (let i = 0; i < 100 && !started; i++) {
    started = (await schedule('direct').describe()).info.recentActions.at(-1)?.action.workflow;
    if (!started) await new Promise((r) => setTimeout(r, 100));
  }
  expect(started!.workflowId.startsWith(`${h.services.workflowIds.direct}-scheduled`)).toBe(true);
  const handle = h.services.temporal.workflow.getHandle(started!.workflowId, started!.firstExecutionRunId);
  expect(await handle.result()).toMatchObject({ outcome: 'completed' });
  const activities = ((await handle.fetchHistory()).events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
  expect(activities[0]).toBe('acquireLease');
  expect(activities).toContain('uploadAttachments');
  const [row] = await h.services.database.sql`select type from erp_attachments where res_id = ${rec}`;
  expect(row!.type).toBe('url');
  expect((await h.api.call('GET', '/api/schedules')).json.direct.lastRunAt).not.toBeNull();
});

test('direct and backward started at the same instant from the API and from both schedules, round after round: their logs never interleave', async () => {
  await h.api.call('PUT', '/api/schedules', { direct: { every: '24h', paused: true }, backward: { every: '24h', paused: true } });
  const partner = await addRecord(h, 'res.partner', 'Contended');
  const handles: Array<{ workflowId: string; runId?: string }> = [];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 4; i++) await attach(h, 'res.partner', partner, `r${round}-${i}.txt`, `round ${round} file ${i}`);
    // Work for the backward direction too: files that appear in the cloud.
    for (let i = 0; i < 3; i++) await dav(h, 'PUT', `Odoo/Contacts/Scheduled/cloud-r${round}-${i}.txt`, { body: `cloud ${round} ${i}` });
    const before = await Promise.all([schedule('direct').describe(), schedule('backward').describe()]);
    const [d, b] = await Promise.all([
      h.api.call('POST', '/api/sync/direct'), h.api.call('POST', '/api/sync/backward'),
      schedule('direct').trigger(), schedule('backward').trigger(),
    ]);
    handles.push(d.json, b.json);
    // Wait for every run of the round: the two API runs and the two the schedules started.
    await Promise.all([d, b].map((t) => h.services.temporal.workflow.getHandle(t.json.workflowId, t.json.runId).result()));
    for (const [i, direction] of (['direct', 'backward'] as const).entries()) {
      const seen = before[i]!.info.recentActions.length;
      let fired;
      for (let k = 0; k < 200 && !fired; k++) {
        fired = (await schedule(direction).describe()).info.recentActions.slice(seen).at(-1)?.action.workflow;
        if (!fired) await new Promise((r) => setTimeout(r, 50));
      }
      expect(fired).toBeDefined();
      await h.services.temporal.workflow.getHandle(fired!.workflowId, fired!.firstExecutionRunId).result();
      handles.push({ workflowId: fired!.workflowId, runId: fired!.firstExecutionRunId });
    }
  }
  // The log, in the order it was written: each run's lines form one unbroken block.
  const rows = await h.services.database.sql`select id, direction, run_id from sync_logs where run_id is not null order by id`;
  const blocks: string[] = [];
  for (const r of rows) if (blocks.at(-1) !== r.run_id) blocks.push(r.run_id as string);
  expect(new Set(blocks).size).toBe(blocks.length);
  // Both directions did work, from both kinds of start.
  const directions = new Set(rows.map((r) => r.direction));
  expect(directions).toEqual(new Set(['direct', 'backward']));
  expect(new Set(rows.map((r) => r.run_id)).size).toBeGreaterThanOrEqual(8);
  expect((await h.services.temporal.workflow.getHandle(h.services.workflowIds.mutex).query('mutexState') as { holder: unknown }).holder).toBeNull();
}, 240_000);

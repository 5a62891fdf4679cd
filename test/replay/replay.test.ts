/**
 * Replays the recorded histories of test/replay/histories (real runs on a Temporal dev
 * server, re-recorded by `npm run replay:record`) against today's workflow code: a change
 * that would break a running sync's replay fails here, before it reaches a worker.
 */
import fs from 'node:fs';
import { Worker } from '@temporalio/worker';
import { env } from '../support/harness.js';

const DIR = new URL('./histories/', import.meta.url);
interface Recorded { note: string; workflowType: string; history: { events: Array<Record<string, any>> } }
const recorded = Object.fromEntries(fs.readdirSync(DIR).filter((f) => f.endsWith('.json'))
  .map((f) => [f.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(new URL(f, DIR), 'utf8')) as Recorded]));

const types = (r: Recorded) => r.history.events.map((e) => e.eventType as string);
const activities = (r: Recorded) => r.history.events.filter((e) => e.activityTaskScheduledEventAttributes)
  .map((e) => e.activityTaskScheduledEventAttributes.activityType.name as string);

async function replay(name: string, history: unknown): Promise<Error | undefined> {
  const results = Worker.runReplayHistories(
    { workflowBundle: { codePath: env().workflowBundle }, replayName: name },
    [{ workflowId: name, history }],
  );
  for await (const result of results) return result.error;
  throw new Error(`nothing replayed for ${name}`);
}

test('the recordings cover what the replay suite promises', () => {
  expect(Object.keys(recorded).sort()).toEqual([
    'backward-sync', 'contended-backward', 'contended-direct', 'contended-mutex', 'continued-as-new-direct',
    'continued-as-new-mutex', 'direct-sync', 'resumed-after-crash',
  ]);
  expect(activities(recorded['direct-sync']!)).toEqual(expect.arrayContaining(['acquireLease', 'planDirectSync', 'createFolders', 'uploadAttachments']));
  expect(activities(recorded['backward-sync']!)).toEqual(expect.arrayContaining(['acquireLease', 'planBackwardSync', 'createLinks', 'unlinkAttachments']));
  expect(recorded['contended-mutex']!.workflowType).toBe('syncMutex');
  expect(types(recorded['contended-mutex']!).filter((t) => t === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED').length).toBeGreaterThanOrEqual(2);
  for (const name of ['continued-as-new-direct', 'continued-as-new-mutex']) {
    expect(types(recorded[name]!).at(-1)).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
  }
  // The crash: an activity the killed worker held was started again (attempt 2 or more).
  const attempts = recorded['resumed-after-crash']!.history.events.map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 1);
  expect(Math.max(...attempts)).toBeGreaterThan(1);
});

test('no recorded history carries a secret', () => {
  for (const [name, r] of Object.entries(recorded)) {
    const text = JSON.stringify(r);
    expect({ name, secret: /password|authorization|apiKey|app.?password/i.test(text) }).toEqual({ name, secret: false });
  }
});

test.each(Object.keys(recorded))('%s replays against the current workflow code', async (name) => {
  expect(await replay(name, recorded[name]!.history)).toBeUndefined();
});

test('a workflow change that is not replay-safe is caught: the replayer reports non-determinism', async () => {
  // As if the code now called another activity where the recorded run called planDirectSync.
  const tampered = structuredClone(recorded['direct-sync']!.history);
  const plan = tampered.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'planDirectSync')!;
  plan.activityTaskScheduledEventAttributes.activityType.name = 'planSomethingElse';
  const error = await replay('tampered', tampered);
  expect(error?.name).toMatch(/DeterminismViolationError/);
});

/**
 * Nextcloud's failure modes, from its recorded replies (fixtures 10 and 11), each mapped
 * to what the sync does about it: a lock (423, or a 500 with LockedException on MOVE)
 * backs off and retries; a full quota (507) stops the run without retrying, naming the
 * quota; maintenance (503, no Retry-After) backs off; a wrong password stops at once.
 */
import { Readable } from 'node:stream';
import { toActivityFailure, isRetryable } from '../../src/activities/errors.js';
import { CloudError } from '../../src/cloud/port.js';
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import { startNextcloudReplay } from '../support/nextcloudReplay.js';

let replay: Awaited<ReturnType<typeof startNextcloudReplay>>;
let cloud: WebDavCloud;
beforeAll(async () => {
  replay = await startNextcloudReplay(['10-errors.json']);
  cloud = new WebDavCloud({ url: `${replay.url}/remote.php/dav/files/alice/`, username: 'alice', password: 'app-password' });
});
afterAll(async () => replay?.close());

const failure = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => err as CloudError);

test('MOVE while another request holds the file: Nextcloud\'s 500 LockedException is a lock, retried with back-off', async () => {
  const err = await failure(cloud.move('/Sync/Err/busy.txt', '/Sync/Err/busy-moved.txt'));
  expect(err).toBeInstanceOf(CloudError);
  expect(err).toMatchObject({ code: 'locked', status: 500, message: expect.stringMatching(/is locked \("Sync\/Err\/busy.txt" is locked\)/) });
  expect(isRetryable(err)).toBe(true);
  expect(toActivityFailure(err)).toMatchObject({ type: 'Cloud_locked', nonRetryable: false });
});

test('a PUT over quota: 507 naming the space needed and left; the run stops, no retry storm', async () => {
  const body = Buffer.alloc(2 * 1024 * 1024);
  const err = await failure(cloud.putNew('/Sync/Err/too-big.bin', Readable.from([body]), body.length, { conditional: true }));
  expect(err).toMatchObject({ code: 'insufficient_storage', status: 507, message: expect.stringMatching(/out of quota .*Insufficient space in \/Sync\/Err\/too-big.bin, 2097152 required, 1048576 available/) });
  expect(isRetryable(err)).toBe(false);
  expect(toActivityFailure(err)).toMatchObject({ type: 'CloudQuotaExceeded', nonRetryable: true });
});

test('a wrong password: auth_failed, non-retryable', async () => {
  const bad = new WebDavCloud({ url: `${replay.url}/remote.php/dav/files/alice/`, username: 'alice', password: 'wrong' });
  const err = await failure(bad.stat('/'));
  expect(err).toMatchObject({ code: 'auth_failed', status: 401 });
  expect(toActivityFailure(err)).toMatchObject({ type: 'CloudAuthFailed', nonRetryable: true });
});

test('maintenance mode: 503 without Retry-After backs off by the retry policy', async () => {
  const maint = await startNextcloudReplay(['11-maintenance-mode.json']);
  try {
    const c = new WebDavCloud({ url: `${maint.url}/remote.php/dav/files/alice/`, username: 'alice', password: 'app-password' });
    const err = await failure(c.stat('/'));
    expect(err).toMatchObject({ code: 'unavailable', status: 503 });
    expect(err!.retryAfterMs).toBeUndefined();
    expect(toActivityFailure(err)).toMatchObject({ type: 'Cloud_unavailable', nonRetryable: false, nextRetryDelay: undefined });
  } finally {
    await maint.close();
  }
});

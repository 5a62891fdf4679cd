/**
 * "Login and Confirm" against Nextcloud's login rules (test/support/nextcloudLayer.ts over
 * Apache): a wrong password is reported clearly with the app-password advice, the same
 * credentials are not sent again while Nextcloud's brute-force delay lasts (the service
 * answers 429 from memory), fixed credentials go through at once, and a server that has
 * reached its maximum delay (429) is reported as throttling, with its wait.
 */
import { createHarness, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';

let h: Harness;
let layer: NextcloudLayer;
beforeAll(async () => {
  h = await createHarness();
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync', state: { bruteForceStepMs: 50 } });
});
afterAll(async () => {
  await layer?.close();
  await h?.close();
});

const save = (password: string) => h.api.call('PUT', '/api/connection', { url: layer.url, username: h.dav.username, password });

test('a wrong password: 422 with the app-password advice; the same credentials are not tried again at once', async () => {
  await save('revoked-app-password');
  const first = await h.api.call('POST', '/api/connection/confirm');
  expect(first.status).toBe(422);
  expect(first.json.error).toMatchObject({ code: 'cloud_auth_failed', message: expect.stringMatching(/rejected the username or password.*create an app password for the sync user/) });
  expect(first.text).not.toContain('revoked-app-password');
  const failed = layer.state.failedLogins;
  expect(failed).toBe(1);

  const mark = layer.requests.length;
  const again = await h.api.call('POST', '/api/connection/confirm');
  expect(again.status).toBe(429);
  expect(again.json.error).toMatchObject({ code: 'cloud_login_cooling_down', message: expect.stringMatching(/not trying them again for \d+ s/) });
  expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(layer.requests.length).toBe(mark); // the server was not asked
  expect(layer.state.failedLogins).toBe(failed);
});

test('fixed credentials go through at once', async () => {
  await save(h.dav.password);
  const ok = await h.api.call('POST', '/api/connection/confirm');
  expect(ok.status).toBe(200);
  expect(ok.json).toMatchObject({ state: 'confirmed', capabilities: { product: 'nextcloud', chunking: '1.0', bulkUpload: '1.0' } });
});

test('a server at its maximum brute-force delay (429): reported as throttling logins, with the wait', async () => {
  layer.state.bruteForceMax = layer.state.failedLogins; // the next failed login is one too many
  await save('yet-another-wrong-one');
  const res = await h.api.call('POST', '/api/connection/confirm');
  expect(res.status).toBe(429);
  expect(res.json.error).toMatchObject({ code: 'cloud_login_throttled', message: expect.stringMatching(/throttling logins/) });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
});

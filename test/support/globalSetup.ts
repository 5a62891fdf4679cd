/**
 * Starts the real parts once for the whole suite: an embedded PostgreSQL, a Temporal dev
 * server, Apache httpd with mod_dav, and the workflow bundle. Each test file then gets its
 * own database, task queue and WebDAV folder (test/support/harness.ts).
 */
import './resolveTsFromJs.cjs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../../src/runtime/postgres.js';
import { findTemporalCli, prepareTemporal, startTemporalDevServer } from '../../src/runtime/temporal.js';
import { workflowsPath } from '../../src/worker/index.js';
import { startApacheDav } from './apache.js';
import { freePort } from './ports.js';

/**
 * Temporal suggests continue-as-new after 4096 events by default; the suite's server does
 * after 200, so syncs and the mutex really continue as new in the tests (a sync of a few
 * dozen batches, a mutex after a dozen grants) instead of only in production.
 */
export const TEMPORAL_TEST_CONFIG = { 'limit.historyCount.suggestContinueAsNew': 200 };

export default async function globalSetup(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'attachments-sync-test-'));
  await fs.chmod(root, 0o755);
  const stops: Array<() => Promise<void>> = [];
  (globalThis as { __stops?: typeof stops; __root?: string }).__stops = stops;
  (globalThis as { __root?: string }).__root = root;

  const started = await Promise.allSettled([
    freePort().then((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port })),
    Promise.all([findTemporalCli(process.env.TEMPORAL_CLI), freePort(), freePort()]).then(([cli, port, uiPort]) =>
      startTemporalDevServer({ cli, port, uiPort, dbFile: null, namespace: 'default', dynamicConfig: TEMPORAL_TEST_CONFIG })),
    startApacheDav(path.join(root, 'apache')),
  ]);
  for (const s of started) if (s.status === 'fulfilled') stops.push(s.value.stop);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const stop of stops) await stop().catch(() => {});
    throw (failed as PromiseRejectedResult).reason;
  }
  const [pg, temporal, dav] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
    Awaited<ReturnType<typeof startEmbeddedPostgres>>, Awaited<ReturnType<typeof startTemporalDevServer>>, Awaited<ReturnType<typeof startApacheDav>>,
  ];
  const bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: silentLogger });
  await prepareTemporal(temporal.address, 'default');
  const bundlePath = path.join(root, 'workflow-bundle.js');
  await fs.writeFile(bundlePath, bundle.code);

  Object.assign(process.env, {
    TEST_ROOT: root,
    TEST_PG_ADMIN_URL: pg.adminUrl,
    TEST_TEMPORAL_ADDRESS: temporal.address,
    TEST_DAV_URL: dav.url,
    TEST_DAV_ACCESS_LOG: path.join(root, 'apache', 'access.log'),
    TEST_DAV_USER: dav.username,
    TEST_DAV_PASSWORD: dav.password,
    TEST_WORKFLOW_BUNDLE: bundlePath,
  });
}

const noop = () => {};
const silentLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

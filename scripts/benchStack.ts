/**
 * What both benchmarks run on: an embedded PostgreSQL, a Temporal dev server (in memory),
 * Apache mod_dav (the test suite's config, with its access log), and the service's
 * shared parts on a fresh database, all under one temporary folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDatabase, startEmbeddedPostgres } from '../src/runtime/postgres.js';
import { findTemporalCli, prepareTemporal, startTemporalDevServer } from '../src/runtime/temporal.js';
import { randomToken } from '../src/secrets/index.js';
import { createServices, type ServiceSettings } from '../src/services.js';
import { startApacheDav } from '../test/support/apache.js';
import { freePort } from '../test/support/ports.js';

export async function startBenchStack(name: string) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `${name}-`));
  await fs.chmod(root, 0o755);
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops) await s().catch(() => {});
    await fs.rm(root, { recursive: true, force: true });
  };
  try {
    process.stdout.write(`starting PostgreSQL, Temporal and Apache under ${root} …\n`);
    const [pg, temporal, dav] = await Promise.all([
      freePort().then((port) => startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port })),
      Promise.all([findTemporalCli(process.env.TEMPORAL_CLI), freePort(), freePort()]).then(([cli, port, uiPort]) =>
        startTemporalDevServer({ cli, port, uiPort, dbFile: null, namespace: 'default' })),
      startApacheDav(path.join(root, 'apache')),
    ]);
    stops.push(pg.stop, temporal.stop, dav.stop);
    await prepareTemporal(temporal.address, 'default');
    await ensureDatabase(pg.adminUrl, 'bench');
    const settings: ServiceSettings = {
      databaseUrl: pg.urlFor('bench'), dataDir: path.join(root, 'data'), secretKey: randomToken(32),
      temporalAddress: temporal.address, namespace: 'default', taskQueue: 'bench',
    };
    const services = await createServices(settings);
    stops.unshift(() => services.close());
    return { root, dav, settings, services, accessLog: path.join(root, 'apache', 'access.log'), onStop: (s: () => Promise<unknown>) => stops.unshift(s), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The built worker (`dist/worker/main.js`) in its own process, as in production, joined to
 * the stack's database and task queue; resolves once it polls (it bundles its workflow
 * code first: benchmarks time the sync, not that).
 */
export async function startBenchWorker(settings: ServiceSettings, env: Record<string, string>): Promise<ChildProcess> {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const worker = spawn(process.execPath, [path.join(repo, 'dist/worker/main.js')], {
    cwd: repo,
    env: {
      ...process.env, DATABASE_URL: settings.databaseUrl, DATA_DIR: settings.dataDir, SECRET_KEY: settings.secretKey,
      TEMPORAL_ADDRESS: settings.temporalAddress, TEMPORAL_TASK_QUEUE: settings.taskQueue, ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    worker.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('polling')) resolve(); });
    worker.once('exit', (code) => reject(new Error(`the worker exited with ${code}`)));
  });
  return worker;
}

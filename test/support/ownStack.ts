/**
 * A stack of its own for a test that restarts servers: an embedded PostgreSQL and a
 * Temporal dev server (SQLite file, so its state survives a restart) that only this test
 * uses, each stoppable and startable again on the same data and port. The suite's shared
 * servers (globalSetup) are never touched; only Apache is shared (a WebDAV folder of its
 * own). `createStackHarness` builds a Harness-shaped world on it for test/support/sync.ts,
 * and `superviseWorker` runs `src/worker/main.ts` in a child process, started again
 * whenever it exits.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.js';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from '../../src/runtime/postgres.js';
import { findTemporalCli, prepareTemporal, startTemporalDevServer, type RunningTemporal } from '../../src/runtime/temporal.js';
import { randomToken } from '../../src/secrets/index.js';
import { createServices } from '../../src/services.js';
import { apiCaller, createDavFolder, env, spawnWorkerProcess, type Harness } from './harness.js';
import { freePort } from './ports.js';


/** A server that can be stopped and started again with the same data and ports. */
export interface Restartable {
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface OwnStack {
  dir: string;
  pg: Restartable & { port: number; dataDir: string; adminUrl: string; urlFor(db: string): string };
  temporal: Restartable & { address: string; port: number; uiPort: number; dbFile: string };
  /** Stops whatever still runs. */
  close(): Promise<void>;
}

export async function startOwnStack(name: string, onLog: (line: string) => void = () => {}): Promise<OwnStack> {
  const dir = path.join(env().root, `${name}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, 0o755); // the embedded PostgreSQL runs as `postgres` when we are root
  const [cli, pgPort, temporalPort, uiPort] = await Promise.all([findTemporalCli(process.env.TEMPORAL_CLI), freePort(), freePort(), freePort()]);

  const pgDataDir = path.join(dir, 'pg');
  let pgServer: RunningPostgres | null = null;
  const pg = {
    port: pgPort,
    dataDir: pgDataDir,
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`,
    urlFor: (db: string) => `postgres://postgres:postgres@127.0.0.1:${pgPort}/${db}`,
    get running() { return pgServer !== null; },
    async start() {
      if (pgServer) return;
      pgServer = await startEmbeddedPostgres({ dataDir: pgDataDir, port: pgPort, onLog: (l) => onLog(`[pg] ${l}`) });
    },
    async stop() {
      const s = pgServer;
      pgServer = null;
      await s?.stop();
    },
  };

  const dbFile = path.join(dir, 'temporal', 'temporal.db');
  let temporalServer: RunningTemporal | null = null;
  const temporal = {
    address: `127.0.0.1:${temporalPort}`,
    port: temporalPort,
    uiPort,
    dbFile,
    get running() { return temporalServer !== null; },
    async start() {
      if (temporalServer) return;
      temporalServer = await startTemporalDevServer({ cli, port: temporalPort, uiPort, dbFile, namespace: 'default', onLog: (l) => onLog(`[temporal] ${l}`) });
      await prepareTemporal(temporalServer.address, 'default');
    },
    async stop() {
      const s = temporalServer;
      temporalServer = null;
      await s?.stop();
    },
  };

  const stack: OwnStack = {
    dir, pg, temporal,
    async close() {
      await Promise.allSettled([pg.stop(), temporal.stop()]);
    },
  };
  try {
    await Promise.all([pg.start(), temporal.start()]);
  } catch (err) {
    await stack.close();
    throw err;
  }
  return stack;
}

/**
 * What createHarness builds, on an own stack: a database, services (postgres.js pool and
 * Temporal client), the API on port 0 and a WebDAV folder on the shared Apache. No worker:
 * the tests run it in a child process (`superviseWorker`).
 */
export async function createStackHarness(stack: OwnStack): Promise<Harness> {
  const id = randomBytes(5).toString('hex');
  const dbName = `t_${id}`;
  await ensureDatabase(stack.pg.adminUrl, dbName);
  const settings = {
    databaseUrl: stack.pg.urlFor(dbName),
    dataDir: path.join(stack.dir, 'files'),
    secretKey: randomToken(32),
    temporalAddress: stack.temporal.address,
    namespace: 'default',
    taskQueue: `tq-${id}`,
    workflowIdPrefix: `${id}-`,
  };
  const services = await createServices(settings);
  const dav = await createDavFolder(id);

  const token = randomToken(24);
  const app: FastifyInstance = await buildApi(services, { adminToken: token });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const call = apiCaller(address, token);
  return {
    id, services, dav, worker: null, settings,
    api: { url: address, token, call },
    async close() {
      await app.close();
      await services.close();
    },
  };
}

export interface SupervisedWorker {
  /** How many times the process was started (1 = never restarted). */
  readonly starts: number;
  /** Exits seen while it was meant to run: `code=… signal=…` each. */
  readonly exits: string[];
  output(): string;
  stop(): Promise<void>;
}

/**
 * `src/worker/main.ts` in a child process (as `npm run worker` runs it), joined to the
 * harness's database and task queue; started again a second after it exits, until stopped.
 */
export function superviseWorker(h: Harness, extraEnv: Record<string, string> = {}, onEvent: (line: string) => void = () => {}): SupervisedWorker {
  let child: ChildProcess | null = null;
  let stopping = false;
  let starts = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  const exits: string[] = [];
  const out: string[] = [];
  const start = () => {
    starts++;
    const n = starts;
    const c = spawnWorkerProcess(h, extraEnv, (d) => out.push(d.replace(/^(?=.)/gm, `[worker #${n}] `)));
    c.once('exit', (code, signal) => {
      if (child === c) child = null;
      if (stopping) return;
      const what = `code=${code} signal=${signal}`;
      exits.push(what);
      onEvent(`worker #${n} exited (${what}): starting it again`);
      restartTimer = setTimeout(() => { restartTimer = null; if (!stopping) start(); }, 1000);
    });
    child = c;
  };
  start();
  return {
    get starts() { return starts; },
    get exits() { return exits; },
    output: () => out.join(''),
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

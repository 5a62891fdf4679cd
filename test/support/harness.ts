/**
 * One test file's world, built from the real parts globalSetup started: its own database,
 * Temporal task queue, WebDAV folder, API server and (when asked) worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.js';
import { ensureDatabase } from '../../src/runtime/postgres.js';
import { randomToken } from '../../src/secrets/index.js';
import { activitiesFor, createServices, type Services } from '../../src/services.js';
import { STRICT_WORKER_OPTIONS, startWorker, type WorkerHandle } from '../../src/worker/index.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';

// The SDK logs every worker state change at INFO; tests want warnings only. Installable
// once per process: a later test file in the same jest worker finds it installed.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed
}

export const env = () => ({
  root: must('TEST_ROOT'),
  pgAdminUrl: must('TEST_PG_ADMIN_URL'),
  temporalAddress: must('TEST_TEMPORAL_ADDRESS'),
  davUrl: must('TEST_DAV_URL'),
  davUser: must('TEST_DAV_USER'),
  davPassword: must('TEST_DAV_PASSWORD'),
  workflowBundle: must('TEST_WORKFLOW_BUNDLE'),
});

function must(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through jest (globalSetup starts the services)`);
  return v;
}

export interface Harness {
  id: string;
  services: Services;
  /** A WebDAV folder of its own on Apache, used as the connection's WebDAV root. */
  dav: { url: string; username: string; password: string };
  api: { url: string; token: string; call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; json: any; text: string; headers: Headers }> };
  worker: WorkerHandle | null;
  /** What a worker in another process needs to join this harness. */
  settings: { databaseUrl: string; dataDir: string; secretKey: string; taskQueue: string; temporalAddress: string };
  close(): Promise<void>;
}

export async function createHarness(opts: { worker?: boolean; tuning?: Parameters<typeof activitiesFor>[1] } = {}): Promise<Harness> {
  const e = env();
  const id = randomBytes(5).toString('hex');
  const dbName = `t_${id}`;
  await ensureDatabase(e.pgAdminUrl, dbName);
  const settings = {
    databaseUrl: e.pgAdminUrl.replace(/\/postgres$/, `/${dbName}`),
    dataDir: path.join(e.root, 'files', id),
    secretKey: randomToken(32),
    temporalAddress: e.temporalAddress,
    namespace: 'default',
    taskQueue: `tq-${id}`,
    workflowIdPrefix: `${id}-`,
  };
  const services = await createServices(settings);
  const dav = await createDavFolder(id);

  const worker = opts.worker
    ? await startWorker({
      address: e.temporalAddress, namespace: 'default', taskQueue: services.taskQueue,
      activities: activitiesFor(services, opts.tuning), workflowBundle: { codePath: e.workflowBundle }, extra: STRICT_WORKER_OPTIONS,
    })
    : null;
  const token = randomToken(24);
  const app: FastifyInstance = await buildApi(services, { adminToken: token });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });

  const call = apiCaller(address, token);

  return {
    id, services, dav, worker, settings,
    api: { url: address, token, call },
    async close() {
      await app.close();
      await worker?.shutdown();
      await services.close();
    },
  };
}

/** A WebDAV folder of its own on the suite's Apache, for one test file's connection. */
export async function createDavFolder(id: string): Promise<Harness['dav']> {
  const e = env();
  const dav = { url: `${e.davUrl}${id}/`, username: e.davUser, password: e.davPassword };
  const mk = await fetch(dav.url, { method: 'MKCOL', headers: { authorization: basicAuth(dav.username, dav.password) } });
  if (mk.status !== 201) throw new Error(`MKCOL ${dav.url} answered ${mk.status}`);
  return dav;
}

export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

/** The harness's API client: the admin token sent, JSON in and out, the raw text kept. */
export function apiCaller(address: string, token: string): Harness['api']['call'] {
  return async (method, p, body, headers = {}) => {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, ...headers } };
    if (body !== undefined) {
      if (typeof body === 'string' || body instanceof Uint8Array) init.body = body as string;
      else {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
    }
    const res = await fetch(address + p, init);
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `src/worker/main.ts` in a child process (as `npm run worker` runs it), joined to the
 * harness's database and task queue: what the fault tests kill, freeze and restart.
 * `onOutput` gets its stdout and stderr; without it they are discarded.
 */
export function spawnWorkerProcess(h: Pick<Harness, 'settings'>, extraEnv: Record<string, string> = {}, onOutput?: (chunk: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      DATABASE_URL: h.settings.databaseUrl, DATA_DIR: h.settings.dataDir, SECRET_KEY: h.settings.secretKey,
      TEMPORAL_ADDRESS: h.settings.temporalAddress, TEMPORAL_TASK_QUEUE: h.settings.taskQueue,
      WORKFLOW_BUNDLE: env().workflowBundle, ...extraEnv,
    },
    stdio: onOutput ? ['ignore', 'pipe', 'pipe'] : 'ignore',
  });
  if (onOutput) {
    child.stdout!.on('data', (d: Buffer) => onOutput(d.toString()));
    child.stderr!.on('data', (d: Buffer) => onOutput(d.toString()));
  }
  return child;
}

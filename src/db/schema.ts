import type { Schedules } from '../domain/schedules.js';
import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { DefaultFolder, DomainTerm, Period } from '../domain/types.js';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

/** One row (id = 1): the service-wide settings of API.md's `/api/settings`. */
export const settings = pgTable('settings', {
  id: integer('id').primaryKey().default(1),
  timeBudgetSeconds: integer('time_budget_seconds').notNull().default(900),
  logSyncActivities: boolean('log_sync_activities').notNull().default(true),
  logRetentionDays: integer('log_retention_days').notNull().default(30),
  maxDeleteShare: doublePrecision('max_delete_share').notNull().default(0.2),
  /** Incremental direct discovery: attachments written since this time (minus an overlap) are listed. */
  directCursor: timestamp('direct_cursor', { withTimezone: true }),
  /** Mass-deletion guard: what a backward run held back, and when an admin let it go. */
  deletionsHeld: jsonb('deletions_held').$type<{ count: number; tracked: number; at: string; where: string[] } | null>(),
  deletionsAcknowledgedAt: timestamp('deletions_acknowledged_at', { withTimezone: true }),
  /** The fence: the sync run that holds the mutex's lease now, and its token. Writers check it. */
  leaseRequestId: text('lease_request_id'),
  leaseToken: integer('lease_token'),
  /** The two sync schedules as the admin wrote them (null: the defaults of src/domain/schedules.ts). */
  schedules: jsonb('schedules').$type<Schedules | null>(),
  /** The ERP the mapping's record and attachment ids belong to (`builtin`, `odoo:<host><path>/<database>`). */
  mappingErp: text('mapping_erp'),
  ...timestamps,
});

/** One row (id = 1): the cloud connection. The password is sealed (see src/secrets). */
export const cloudConnection = pgTable('cloud_connection', {
  id: integer('id').primaryKey().default(1),
  url: text('url').notNull(),
  username: text('username').notNull(),
  passwordSealed: text('password_sealed').notNull(),
  rootFolder: text('root_folder').notNull().default('Odoo'),
  publicUrls: boolean('public_urls').notNull().default(false),
  state: text('state', { enum: ['draft', 'confirmed', 'error'] }).notNull().default('draft'),
  lastError: text('last_error'),
  confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  capabilities: jsonb('capabilities').$type<Record<string, unknown>>(),
  ...timestamps,
});

/**
 * One row (id = 1) when an Odoo is configured as the ERP; none means the builtin store.
 * The API key is sealed (see src/secrets).
 */
export const erpConnection = pgTable('erp_connection', {
  id: integer('id').primaryKey().default(1),
  kind: text('kind', { enum: ['odoo'] }).notNull(),
  url: text('url').notNull(),
  database: text('database').notNull(),
  username: text('username').notNull(),
  apiKeySealed: text('api_key_sealed').notNull(),
  state: text('state', { enum: ['draft', 'confirmed', 'error'] }).notNull().default('draft'),
  lastError: text('last_error'),
  /** What the confirm step found: server version and protocol (`17.0`, `jsonrpc`). */
  serverVersion: text('server_version'),
  protocol: text('protocol'),
  /** Enterprise Documents as the confirm step found them: `folders` (16/17), `documents` (18+), or none. */
  documents: text('documents', { enum: ['folders', 'documents'] }),
  confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  ...timestamps,
});

/** "Odoo models to sync": ordered by `sequence`, lowest first (highest priority). */
export const syncModels = pgTable('sync_models', {
  id: serial('id').primaryKey(),
  model: text('model').notNull(),
  folderName: text('folder_name').notNull(),
  domain: jsonb('domain').$type<DomainTerm[]>().notNull().default([]),
  periods: jsonb('periods').$type<Period[]>().notNull().default([]),
  nameExpression: text('name_expression'),
  defaultFolders: jsonb('default_folders').$type<DefaultFolder[]>().notNull().default([]),
  active: boolean('active').notNull().default(true),
  sequence: integer('sequence').notNull(),
  /** Set when deleted: the row stays as a preset that can be restored. */
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
  invalidReason: text('invalid_reason'),
  ...timestamps,
});

/** The builtin ERP store: Odoo-shaped records (`model`, integer `id`, `display_name`). */
export const erpRecords = pgTable('erp_records', {
  id: serial('id').primaryKey(),
  model: text('model').notNull(),
  name: text('name').notNull(),
  fields: jsonb('fields').$type<Record<string, unknown>>().notNull().default({}),
  createDate: timestamp('create_date', { withTimezone: true }).notNull().defaultNow(),
  writeDate: timestamp('write_date', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('erp_records_model_idx').on(t.model, t.id)]);

/**
 * The builtin ERP store's `ir.attachment`. Binary content lives in the filestore under the
 * data directory (`store_fname`, content-addressed by SHA-1 like Odoo's), never in a row.
 */
export const erpAttachments = pgTable('erp_attachments', {
  id: serial('id').primaryKey(),
  resModel: text('res_model').notNull(),
  resId: integer('res_id').notNull(),
  name: text('name').notNull(),
  type: text('type', { enum: ['binary', 'url'] }).notNull().default('binary'),
  url: text('url'),
  isFolder: boolean('is_folder').notNull().default(false),
  mimetype: text('mimetype').notNull().default('application/octet-stream'),
  fileSize: bigint('file_size', { mode: 'number' }).notNull().default(0),
  checksum: text('checksum'),
  storeFname: text('store_fname'),
  createDate: timestamp('create_date', { withTimezone: true }).notNull().defaultNow(),
  writeDate: timestamp('write_date', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('erp_attachments_res_idx').on(t.resModel, t.resId)]);

/**
 * What the service knows it put in the cloud: the mapping between ERP things (the root,
 * a sync model, a record, an attachment) and cloud items. Erased by a connection reset.
 */
export const cloudItems = pgTable('cloud_items', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  /** `file`: a file in an object folder; `folder_link`: a first-level subfolder linked as a folder attachment. */
  kind: text('kind', { enum: ['root', 'model_folder', 'object_folder', 'file', 'folder_link'] }).notNull(),
  /** Stable identity of the ERP side, e.g. `root`, `model:3`, `object:res.partner:7`, `attachment:12`. */
  ref: text('ref').notNull(),
  syncModelId: integer('sync_model_id'),
  resModel: text('res_model'),
  resId: integer('res_id'),
  attachmentId: integer('attachment_id'),
  path: text('path').notNull(),
  fileId: text('file_id'),
  etag: text('etag'),
  size: bigint('size', { mode: 'number' }),
  /** Object folders: the ETag the last backward scan listed (direct discovery keeps `etag`). */
  scanEtag: text('scan_etag'),
  ...timestamps,
}, (t) => [uniqueIndex('cloud_items_ref_uq').on(t.ref)]);

/**
 * The durable operations queue. Planning inserts with a dedupe key (a key can be pending
 * only once), workers take the oldest first. Payloads carry ids and paths, never content.
 */
export const operations = pgTable('operations', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  direction: text('direction', { enum: ['direct', 'backward'] }).notNull(),
  kind: text('kind').notNull(),
  dedupeKey: text('dedupe_key').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  status: text('status', { enum: ['pending', 'done', 'failed'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  notBefore: timestamp('not_before', { withTimezone: true }).notNull().defaultNow(),
  lastError: text('last_error'),
  runId: text('run_id'),
  /**
   * The activity attempt working on it now (run, activity, attempt). A worker that froze
   * and woke after Temporal gave its batch to a new attempt finds its operations taken,
   * and stops before it writes.
   */
  claimedBy: text('claimed_by'),
  ...timestamps,
}, (t) => [
  uniqueIndex('operations_open_dedupe_uq').on(t.dedupeKey).where(sql`status <> 'done'`),
  index('operations_pending_idx').on(t.direction, t.status, t.id),
]);

/** Sync Logs: every action of both syncs, green / orange / red. */
export const syncLogs = pgTable('sync_logs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  direction: text('direction', { enum: ['direct', 'backward'] }).notNull(),
  level: text('level', { enum: ['success', 'warning', 'error'] }).notNull(),
  model: text('model'),
  recordId: integer('record_id'),
  path: text('path'),
  message: text('message').notNull(),
  runId: text('run_id'),
}, (t) => [index('sync_logs_at_idx').on(t.at, t.id)]);

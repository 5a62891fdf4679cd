import { z } from 'zod';
import { parseDomain, DomainError } from '../domain/domains.js';
import { compileNameExpression, NameExpressionError } from '../domain/nameExpressions.js';
import { DOCUMENTS_FOLDER_NAME, DOCUMENTS_ODOO_MODELS } from '../domain/documents.js';
import { sanitizeName } from '../domain/naming.js';
import type { DefaultFolder } from '../domain/types.js';

/** One schema per body: validation and TypeScript types come from the same place. */

/** The model folder Enterprise Documents are mirrored to (the manual, "Solutions for Enterprise Documents"). */
export const RESERVED_FOLDER = DOCUMENTS_FOLDER_NAME;

export const modelName = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'must be an Odoo model name such as res.partner');

const httpUrl = z.string().refine((s) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

export const connectionBody = z.object({
  // The path names the user and folder (`/remote.php/dav/files/<user>/<folder>/`): it must decode.
  url: httpUrl.refine((u) => { try { decodeURIComponent(new URL(u).pathname); return true; } catch { return false; } }, 'has a broken %-escape in its path'),
  username: z.string().min(1, 'is required'),
  password: z.string().min(1, 'is required'),
  rootFolder: z.string().trim().min(1, 'must not be empty').max(200).refine((s) => !/[/\\]/.test(s), 'must be one folder name, without slashes')
    .refine((s) => sanitizeName(s) !== '', 'has nothing a cloud name can keep (only dots and spaces)').default('Odoo'),
  publicUrls: z.boolean().default(false),
}).strict();

export const domainSchema = z.array(z.unknown()).superRefine((value, ctx) => {
  try {
    parseDomain(value);
  } catch (err) {
    if (err instanceof DomainError) ctx.addIssue({ code: 'custom', message: err.message, path: err.index === null ? [] : [err.index] });
    else throw err;
  }
});

export const periodSchema = z.object({
  field: z.string().regex(/^[a-z_][a-z0-9_]*$/i, 'must be a date field name'),
  direction: z.enum(['last', 'next']),
  amount: z.number().int().min(1).max(1000),
  unit: z.enum(['days', 'weeks', 'months', 'years']),
  includeCurrent: z.boolean().default(false),
}).strict();

export const defaultFolderSchema: z.ZodType<DefaultFolder> = z.lazy(() => z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  children: z.array(defaultFolderSchema).default([]),
}).strict()) as z.ZodType<DefaultFolder>;

const nameExpressionSchema = z.string().max(1000).nullable().superRefine((value, ctx) => {
  if (value === null) return;
  try {
    compileNameExpression(value);
  } catch (err) {
    if (!(err instanceof NameExpressionError)) throw err;
    ctx.addIssue({ code: 'custom', message: `${err.message} (at character ${err.position + 1})` });
  }
});

const syncModelFields = {
  // The manual: for Documents "you shouldn't create a model to sync"; they are mirrored on their own.
  model: modelName.refine((m) => !DOCUMENTS_ODOO_MODELS.includes(m), `Enterprise Documents are synced on their own, under "${DOCUMENTS_FOLDER_NAME}", with no sync model: choose another model`),
  folderName: z.string().trim().min(1, 'must not be empty').max(200).refine((s) => !!sanitizeName(s), 'must keep at least one character that is allowed in a folder name')
    // The manual: Enterprise Documents are mirrored under "Odoo / Odoo Docs", "therefore the name 'Odoo Docs' shouldn't be used, in any Model to sync".
    .refine((s) => sanitizeName(s).toLowerCase() !== RESERVED_FOLDER.toLowerCase(), `"${RESERVED_FOLDER}" is reserved for Odoo's Enterprise Documents; choose another folder name`),
  domain: domainSchema,
  periods: z.array(periodSchema),
  nameExpression: nameExpressionSchema,
  defaultFolders: z.array(defaultFolderSchema),
  active: z.boolean(),
};

export const syncModelBody = z.object({
  ...syncModelFields,
  domain: syncModelFields.domain.default([]),
  periods: syncModelFields.periods.default([]),
  nameExpression: syncModelFields.nameExpression.default(null),
  defaultFolders: syncModelFields.defaultFolders.default([]),
  active: syncModelFields.active.default(true),
}).strict();

/** PATCH: any subset of the fields, no defaults (what is not sent stays as it is). */
export const syncModelPatch = z.object(syncModelFields).partial().strict().refine((o) => Object.keys(o).length > 0, 'send at least one field to change');

export const orderBody = z.object({
  ids: z.array(z.number().int().positive()).min(1, 'list every sync model id, highest priority first').refine((ids) => new Set(ids).size === ids.length, 'ids must not repeat'),
}).strict();

export const recordPatch = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(1000).optional(),
  fields: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/i, 'field names are identifiers'), z.unknown()).optional(),
}).strict().refine((o) => o.name !== undefined || o.fields !== undefined, 'send name and/or fields');

export const attachmentPatch = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(1000).refine((s) => !!sanitizeName(s), 'must keep at least one character that is allowed in a file name'),
}).strict();

export const recordBody = z.object({
  model: modelName,
  name: z.string().trim().min(1, 'must not be empty').max(1000),
  fields: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/i, 'field names are identifiers'), z.unknown()).default({}),
}).strict();

export const idParam = z.coerce.number().int().positive().max(2 ** 31 - 1);

/** The filters every logs route takes: level, direction, model, record, time range, text. */
const logFilters = {
  level: z.enum(['success', 'warning', 'error']).optional(),
  direction: z.enum(['direct', 'backward']).optional(),
  q: z.string().max(200).optional(),
  model: z.string().regex(/^[a-z_][a-z0-9_.]*$/i, 'a model name like res.partner').max(128).optional(),
  recordId: z.coerce.number().int().positive().max(2 ** 31 - 1).optional(),
  from: z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z' }).or(z.iso.date({ message: 'an ISO 8601 date-time or date' })).transform((v) => new Date(v)).optional(),
  to: z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time, e.g. 2026-12-31T00:00:00Z' }).or(z.iso.date({ message: 'an ISO 8601 date-time or date' })).transform((v) => new Date(v)).optional(),
};
const timeRange = (o: { from?: Date; to?: Date }) => !o.from || !o.to || o.from < o.to;

export const logsQuery = z.strictObject({
  ...logFilters,
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.coerce.number().int().positive().optional(),
}).refine(timeRange, { message: 'from must be before to', path: ['from'] });

export const logsSummaryQuery = z.strictObject({
  ...logFilters,
  groupBy: z.enum(['level', 'direction', 'month', 'day']),
}).refine(timeRange, { message: 'from must be before to', path: ['from'] });

export const logsExportQuery = z.strictObject({
  ...logFilters,
  format: z.enum(['csv', 'json']),
}).refine(timeRange, { message: 'from must be before to', path: ['from'] });

export const queueQuery = z.strictObject({
  direction: z.enum(['direct', 'backward']).optional(),
  kind: z.enum(['create_folder', 'move_folder', 'delete_item', 'upload', 'replace_with_url', 'create_link', 'update_link', 'unlink']).optional(),
  status: z.enum(['pending', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.coerce.number().int().positive().optional(),
});

export const directTriggerBody = z.object({
  /** List every attachment of the synced records, not only those changed since the last run. */
  fullScan: z.boolean().default(false),
}).strict();

export const settingsPatch = z.object({
  /** The manual's "server timeout": a run stops taking batches after this long. */
  timeBudgetSeconds: z.number().int().min(1).max(24 * 3600),
  logSyncActivities: z.boolean(),
  logRetentionDays: z.number().int().min(1).max(3650),
  maxDeleteShare: z.number().min(0).max(1),
}).partial().strict().refine((o) => Object.keys(o).length > 0, 'send at least one setting to change');

/** One direction's schedule: `every` (with an optional `offset`) or `cron`, and `paused`. */
const scheduleBody = z.strictObject({
  every: z.string().min(1).max(32).optional(),
  offset: z.string().min(1).max(32).optional(),
  cron: z.string().min(1).max(200).optional(),
  paused: z.boolean().default(false),
}).superRefine((o, ctx) => {
  if (o.every === undefined && o.cron === undefined) ctx.addIssue({ code: 'custom', message: 'give every (with an optional offset) or cron', path: ['every'] });
  if (o.every !== undefined && o.cron !== undefined) ctx.addIssue({ code: 'custom', message: 'give every or cron, not both', path: ['cron'] });
  if (o.cron !== undefined && o.offset !== undefined) ctx.addIssue({ code: 'custom', message: 'offset goes with every; a cron expression says its own minutes', path: ['offset'] });
});

export const schedulesPut = z.strictObject({ direct: scheduleBody.optional(), backward: scheduleBody.optional() })
  .refine((o) => o.direct !== undefined || o.backward !== undefined, 'send direct, backward or both');

export const previewQuery = z.strictObject({
  /** How many sample folder names to render (the count is always complete). */
  sample: z.coerce.number().int().min(1).max(100).default(10),
  /** "If today were...": the day the periods are computed for (default: today, UTC). */
  today: z.iso.date({ message: 'a date like 2026-12-03' }).optional(),
});

export const runsQuery = z.strictObject({
  direction: z.enum(['direct', 'backward']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** PUT /api/erp: the builtin store, or an Odoo over its external API. */
export const erpBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('builtin') }),
  z.strictObject({
    kind: z.literal('odoo'),
    url: z.url({ protocol: /^https?$/, message: 'an http(s) URL such as https://erp.example.com' }).max(2000),
    database: z.string().trim().min(1, 'must not be empty').max(63).regex(/^[\w.-]+$/, 'letters, digits, _ . - only'),
    username: z.string().trim().min(1, 'must not be empty').max(256),
    apiKey: z.string().min(1, 'must not be empty').max(512),
  }),
], { error: 'kind must be "builtin" or "odoo"' });

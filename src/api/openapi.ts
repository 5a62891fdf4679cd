/**
 * The OpenAPI 3.1 document served at `/api/openapi.json`, made from the same zod schemas
 * the routes validate with (src/api/schemas.ts): one schema is the validation, the
 * TypeScript type and the documentation. test/integration/openapi.test.ts holds it to the
 * routes fastify actually serves, both ways.
 */
import { z } from 'zod';
import * as s from './schemas.js';

interface Operation {
  summary: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Bodies that are not JSON (file uploads). */
  rawBody?: string;
  /** What a success answers, when it is not JSON. */
  produces?: string;
  status?: number;
}

const idPath = { id: s.idParam };
type Ops = Record<string, Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', Operation>>>;

export const OPERATIONS: Ops = {
  '/api/health': { get: { summary: 'Liveness of the database, Temporal and the cloud connection (no token needed)' } },
  '/api/status': { get: { summary: 'Connection state, schedules, the sync mutex, last runs, queue depth' } },
  '/api/openapi.json': { get: { summary: 'This document' } },
  '/api/connection': {
    get: { summary: 'The cloud connection (the password is never returned)' },
    put: { summary: 'Save the cloud connection (state draft)', body: s.connectionBody },
  },
  '/api/connection/confirm': { post: { summary: '"Login and Confirm": checks credentials and rights under the root, creates the root, detects capabilities' } },
  '/api/connection/reset': { post: { summary: 'Irreversible reset: stops sync, erases the cloud-item mapping; links already made keep working' } },
  '/api/erp': {
    get: { summary: 'Which ERP is synced: the builtin store, or an Odoo (the API key is never returned), and whether its Enterprise Documents are mirrored under "Odoo Docs"' },
    put: { summary: 'The builtin store, or an Odoo (url, database, username, apiKey): saved as draft', body: s.erpBody },
  },
  '/api/erp/confirm': { post: { summary: 'Checks the Odoo: reachable, its version and protocol, the login, the right to read attachments, the Documents app' } },
  '/api/sync-models': {
    get: { summary: 'Sync models in priority order' },
    post: { summary: 'Create a sync model', body: s.syncModelBody, status: 201 },
  },
  '/api/sync-models/order': { put: { summary: 'The new priority order', body: s.orderBody } },
  '/api/sync-models/{id}': {
    get: { summary: 'One sync model' },
    patch: { summary: 'Edit a sync model', body: s.syncModelPatch },
    delete: { summary: 'Delete to a preset (restorable); its cloud folder stays', status: 204 },
  },
  '/api/sync-models/{id}/restore': { post: { summary: 'Restore a deleted sync model' } },
  '/api/sync-models/{id}/preview': { get: { summary: 'Matching count, sample folder names, the period ranges "if today"', query: s.previewQuery } },
  '/api/sync/direct': { post: { summary: 'Start a direct sync (waits for the mutex behind a running sync)', body: s.directTriggerBody, status: 202 } },
  '/api/sync/backward': { post: { summary: 'Start a backward sync (waits for the mutex behind a running sync)', status: 202 } },
  '/api/sync/runs': { get: { summary: 'Recent runs with counts and outcome', query: s.runsQuery } },
  '/api/schedules': {
    get: { summary: 'The two schedules, as stored and as Temporal runs them' },
    put: { summary: 'Set either or both schedules (every + offset, or cron; paused)', body: s.schedulesPut },
  },
  '/api/settings': {
    get: { summary: 'Time budget, sync logs on/off, log retention, mass-deletion share' },
    patch: { summary: 'Change settings', body: s.settingsPatch },
  },
  '/api/queue': { get: { summary: 'Pending and failed operations, oldest first', query: s.queueQuery } },
  '/api/queue/{id}/retry': { post: { summary: 'Retry one operation now' } },
  '/api/queue/acknowledge-deletions': { post: { summary: 'Let the next backward sync unlink what the mass-deletion guard held back' } },
  '/api/logs': { get: { summary: 'Sync logs, newest first, cursor-paged, searched and filtered', query: s.logsQuery } },
  '/api/logs/summary': { get: { summary: 'Log counts per level, direction, month or day', query: s.logsSummaryQuery } },
  '/api/logs/export': { get: { summary: 'A CSV or JSON download of the matching log rows', query: s.logsExportQuery, produces: 'text/csv' } },
  '/api/records': { post: { summary: 'Create a record in the builtin ERP store', body: s.recordBody, status: 201 } },
  '/api/records/{model}': { get: { summary: 'Records of a model, optionally filtered by an Odoo domain (?domain=<json>)' } },
  '/api/records/{model}/{id}': {
    get: { summary: 'One record' },
    patch: { summary: 'Rename or change fields of a record', body: s.recordPatch },
    delete: { summary: 'Delete a record', status: 204 },
  },
  '/api/records/{model}/{id}/cloud-folder': { get: { summary: '"Open Cloud Folder": the record\'s folder in the cloud' } },
  '/api/records/{model}/{id}/attachments': {
    get: { summary: 'Attachments of a record (binary and URL)' },
    post: { summary: 'Attach a file (multipart `file`, or a raw body with ?name=), streamed, any size', rawBody: 'application/octet-stream', status: 201 },
  },
  '/api/attachments/{id}': {
    get: { summary: 'One attachment' },
    patch: { summary: 'Rename an attachment', body: s.attachmentPatch },
    delete: { summary: 'Delete an attachment', status: 204 },
  },
  '/api/attachments/{id}/content': { get: { summary: 'The bytes, from the ERP or, once synced, from the cloud through the service', produces: 'application/octet-stream' } },
};

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object', required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
    },
  },
};

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

function parametersOf(path: string, query?: z.ZodType): unknown[] {
  const params: unknown[] = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name, in: 'path', required: true,
    schema: name === 'model' ? json(s.modelName) : json(idPath.id),
  }));
  if (query) {
    const q = json(query) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
  }
  return params;
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, ops] of Object.entries(OPERATIONS)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(ops)) {
      const ok = String(op.status ?? 200);
      paths[path][method] = {
        summary: op.summary,
        ...(path === '/api/health' || path === '/api/openapi.json' ? { security: [] } : {}),
        parameters: parametersOf(path, op.query),
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(op.body) } } } } : {}),
        ...(op.rawBody ? { requestBody: { required: true, content: { [op.rawBody]: {}, 'multipart/form-data': {} } } } : {}),
        responses: {
          [ok]: { description: 'Success', ...(ok === '204' ? {} : { content: { [op.produces ?? 'application/json']: {} } }) },
          default: { description: 'An error: `{"error": {"code", "message", "details"}}`', content: { 'application/json': { schema: errorSchema } } },
        },
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'ERP attachments <-> Nextcloud sync service', version: '0.1.0', description: 'The admin API (see API.md). Every route but /api/health and this document needs `Authorization: Bearer <admin token>`.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { tokensEqual } from '../secrets/index.js';
import { installErrorHandler } from './errors.js';
import { LoginThrottle, type LoginThrottleOptions } from './loginThrottle.js';
import { connectionRoutes } from './routes/connection.js';
import { recordRoutes } from './routes/records.js';
import { syncModelRoutes } from './routes/syncModels.js';
import { statusRoutes } from './routes/status.js';
import { erpRoutes } from './routes/erp.js';
import { openApiDocument } from './openapi.js';

import { scheduleRoutes } from './routes/schedules.js';
import { settingsRoutes } from './routes/settings.js';
import { syncRoutes } from './routes/sync.js';
import { adminRoutes } from '../admin/routes.js';

/** Routes without a token: liveness, and the API's own description. */
const PUBLIC_ROUTES = new Set(['/api/health', '/api/openapi.json']);

export interface ApiOptions {
  adminToken: string;
  /** Wrong tokens per address before waits (src/api/loginThrottle.ts); the defaults unless a test sets them. */
  loginThrottle?: LoginThrottleOptions;
  logger?: boolean;
}

export async function buildApi(services: Services, options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ? { level: 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] } : false,
    bodyLimit: 1024 * 1024,
  });
  installErrorHandler(app);
  await app.register(multipart);
  // Raw uploads (`POST …/attachments?name=`) stream through untouched, whatever their type.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload as Readable));

  const throttle = new LoginThrottle(options.loginThrottle);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/') || PUBLIC_ROUTES.has(request.url.split('?')[0]!)) return;
    const header = request.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (token) {
      const wait = throttle.waitMs(request.ip);
      if (wait > 0) return reply.code(429).header('retry-after', String(Math.ceil(wait / 1000))).send(tooManyTokens(wait));
    }
    if (!token || !tokensEqual(token, options.adminToken)) {
      if (token) throttle.failed(request.ip);
      return reply.code(401).header('www-authenticate', 'Bearer').send({
        error: { code: 'unauthorized', message: token ? 'The bearer token is wrong' : 'Send Authorization: Bearer <admin token>' },
      });
    }
    throttle.succeeded(request.ip);
  });

  app.get('/api/health', async () => {
    const db = await services.database.sql`select 1`.then(() => 'up', () => 'down');
    const temporal = await services.temporalConnection.workflowService.getSystemInfo({}).then(() => 'up', () => 'down');
    const connection = await services.connections.get().catch(() => undefined);
    const cloud = !connection ? 'unconfigured' : connection.state === 'confirmed' ? 'up' : 'down';
    return { ok: db === 'up' && temporal === 'up', db, temporal, cloud };
  });

  connectionRoutes(app, services);
  syncModelRoutes(app, services);
  recordRoutes(app, services);
  syncRoutes(app, services);
  settingsRoutes(app, services);
  scheduleRoutes(app, services);
  statusRoutes(app, services);
  erpRoutes(app, services);
  adminRoutes(app, services, { adminToken: options.adminToken, throttle });
  app.get('/api/openapi.json', async () => openApiDocument());
  return app;
}

/** The answer to an address that sent too many wrong tokens: when it may try again. */
export function tooManyTokens(waitMs: number) {
  return { error: { code: 'too_many_attempts', message: `Too many wrong admin tokens from this address: try again in ${Math.ceil(waitMs / 1000)} s`, details: { retryAfterSeconds: Math.ceil(waitMs / 1000) } } };
}

import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { confirmCloud } from '../../cloud/confirm.js';
import { CloudError } from '../../cloud/port.js';
import { connectionView } from '../../db/repos/connection.js';
import { MappingRepo } from '../../db/repos/mapping.js';
import type { Services } from '../../services.js';
import { ApiError, parseBody } from '../errors.js';
import { connectionBody } from '../schemas.js';

const CONFIRM_CODES: Partial<Record<CloudError['code'], string>> = {
  auth_failed: 'cloud_auth_failed',
  unreachable: 'cloud_unreachable',
  not_webdav: 'cloud_not_webdav',
  forbidden: 'cloud_forbidden',
};

/**
 * Nextcloud delays every login from an address after failed ones (brute-force protection,
 * up to 25 s, then 429). A confirm that met a 401 does not try the same credentials again
 * before this has passed: it answers from memory, and the admin's next try with a fixed
 * password (another key) goes through at once.
 */
export const LOGIN_COOLDOWN_MS = 30_000;
const APP_PASSWORD_HINT = 'On Nextcloud, create an app password for the sync user (Personal settings > Security > Devices & sessions) and save it with PUT /api/connection.';

export function connectionRoutes(app: FastifyInstance, services: Services, opts: { loginCooldownMs?: number } = {}): void {
  const cooldownMs = opts.loginCooldownMs ?? LOGIN_COOLDOWN_MS;
  const refusedLogins = new Map<string, number>();
  const loginKey = (c: { url: string; username: string; password: string }) => createHash('sha256').update(`${c.url}\n${c.username}\n${c.password}`).digest('hex');

  app.get('/api/connection', async () => connectionView(await services.connections.get()) ?? { state: 'unconfigured' });

  app.put('/api/connection', async (request) => {
    const input = parseBody(connectionBody, request);
    return connectionView(await services.connections.save(input));
  });

  /**
   * The manual's reset: stops sync and erases what the service knows about cloud items, so
   * another cloud (or account) can be set up. Irreversible: even on the same storage the
   * next sync creates every folder again, and attachments already turned into links are
   * not sent again. Those links keep working: the files stay in the cloud.
   */
  app.post('/api/connection/reset', async (request) => {
    if (request.body !== undefined && request.body !== null && (typeof request.body !== 'object' || Array.isArray(request.body) || Object.keys(request.body).length > 0)) {
      throw new ApiError(422, 'invalid_fields', 'POST /api/connection/reset takes no body fields');
    }
    const connection = await services.connections.get();
    if (!connection) throw new ApiError(409, 'nothing_to_reset', 'No cloud connection is configured');
    // Running syncs are cancelled (their lease is released by their own finally) ...
    const stopped: string[] = [];
    const query = `WorkflowType IN ('directSync', 'backwardSync') AND ExecutionStatus = 'Running' AND TaskQueue = '${services.taskQueue}'`;
    for await (const w of services.temporal.workflow.list({ query })) {
      await services.temporal.workflow.getHandle(w.workflowId, w.runId).cancel().catch(() => {});
      stopped.push(w.workflowId);
    }
    // ... and fenced off at once: whatever an activity of theirs still tries fails its fence.
    const erased = await services.database.db.transaction(async (tx) => {
      const items = await tx.execute(sql`delete from cloud_items`);
      const ops = await tx.execute(sql`delete from operations`);
      await tx.execute(sql`update settings set lease_request_id = null, lease_token = null, direct_cursor = null,
        deletions_held = null, deletions_acknowledged_at = null, mapping_erp = null, updated_at = now() where id = 1`);
      await tx.execute(sql`delete from cloud_connection`);
      return { cloudItems: items.count, operations: ops.count };
    });
    await services.log.write({ direction: 'direct', level: 'warning', message: `The cloud connection to ${connection.url} was reset: ${erased.cloudItems} cloud items forgotten, ${erased.operations} queued operations dropped${stopped.length ? `, ${stopped.length} running sync(s) stopped` : ''}` });
    return { reset: true, erased, stoppedRuns: stopped };
  });

  /** A failed confirm as the API error the admin sees (and the connection's lastError). */
  const confirmFailure = (err: unknown, key: string, reply: FastifyReply): unknown => {
    if (err instanceof ApiError || !(err instanceof CloudError)) return err;
    if (err.code === 'auth_failed') {
      refusedLogins.set(key, Date.now());
      return new ApiError(422, 'cloud_auth_failed', `${err.message}. ${APP_PASSWORD_HINT}`, { status: err.status ?? null });
    }
    if (err.status === 429) {
      // Nextcloud's brute-force protection reached its maximum delay for this address.
      const wait = Math.ceil((err.retryAfterMs ?? cooldownMs) / 1000);
      reply.header('retry-after', String(wait));
      return new ApiError(429, 'cloud_login_throttled', `${err.message}: the cloud is throttling logins from this service after failed attempts; wait ${wait} s (or have its admin run occ security:bruteforce:reset <address>). ${APP_PASSWORD_HINT}`, { status: 429, retryAfterSeconds: wait });
    }
    return new ApiError(422, CONFIRM_CODES[err.code] ?? `cloud_${err.code}`, err.message, { status: err.status ?? null });
  };
  app.post('/api/connection/confirm', async (_request, reply) => {
    const row = await services.connections.get();
    if (!row) throw new ApiError(409, 'connection_missing', 'Save a cloud connection first (PUT /api/connection)');
    const credentials = services.connections.credentials(row);
    const key = loginKey(credentials);
    const refusedAt = refusedLogins.get(key);
    if (refusedAt !== undefined && Date.now() - refusedAt < cooldownMs) {
      const wait = Math.ceil((cooldownMs - (Date.now() - refusedAt)) / 1000);
      reply.header('retry-after', String(wait));
      throw new ApiError(429, 'cloud_login_cooling_down', `The cloud refused these credentials ${Math.round((Date.now() - refusedAt) / 1000)} s ago; not trying them again for ${wait} s, so its brute-force protection does not slow the service's logins down. ${APP_PASSWORD_HINT}`, { retryAfterSeconds: wait });
    }
    const cloud = services.cloudFor(credentials);
    try {
      // A root the service already made stays the place to check: a renamed root folder is
      // moved by the next direct sync, not made anew next to the old one.
      const mappedRoot = await new MappingRepo(services.database.db).get('root');
      const capabilities = await confirmCloud(cloud, mappedRoot ? { mapped: mappedRoot.path } : { configured: row.rootFolder });
      if (row.publicUrls && !(capabilities.shares && capabilities.publicShares !== false)) {
        throw new ApiError(422, 'public_urls_unsupported', capabilities.shares ? 'This server does not allow public link shares (files_sharing.public.enabled is off): save the connection with publicUrls: false, or allow public links on the server.' : 'This server has no share API (it is plain WebDAV): public links need Nextcloud or ownCloud. Save the connection with publicUrls: false.');
      }
      await services.connections.markConfirmed(capabilities);
    } catch (err) {
      const failure = confirmFailure(err, key, reply);
      // The connection keeps the same words the admin was shown.
      await services.connections.markError(failure instanceof Error ? failure.message : String(failure));
      throw failure;
    }
    return connectionView(await services.connections.get());
  });
}

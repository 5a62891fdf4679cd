/**
 * `GET | PUT /api/erp`, `POST /api/erp/confirm`: which ERP the service syncs. The builtin
 * store is the default and needs nothing; an Odoo is saved (the API key sealed, never
 * returned), then confirmed: reachable, an Odoo of a supported version, the login, and
 * the right to read attachments.
 */
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { erpConnection } from '../../db/schema.js';
import { DOCUMENTS_FOLDER_NAME } from '../../domain/documents.js';
import { confirmOdoo, ErpConfirmError } from '../../erp/odoo/confirm.js';
import type { Services } from '../../services.js';
import { ApiError, parseBody } from '../errors.js';
import { erpBody } from '../schemas.js';

type Row = typeof erpConnection.$inferSelect;

/** `inUse`: the ERP the syncs work with now; none while an Odoo is saved but not confirmed. */
function erpView(row: Row | undefined) {
  if (!row) return { kind: 'builtin', state: 'confirmed', inUse: 'builtin' };
  return {
    inUse: row.state === 'confirmed' ? 'odoo' : null, kind: row.kind, url: row.url, database: row.database, username: row.username, state: row.state,
    lastError: row.lastError, version: row.serverVersion, protocol: row.protocol, confirmedAt: row.confirmedAt?.toISOString() ?? null,
    // Enterprise Documents found at confirm: mirrored under "Odoo Docs" (`folders`: Odoo 16/17, `documents`: 18+).
    documents: row.state === 'confirmed' && row.documents ? { shape: row.documents, folder: DOCUMENTS_FOLDER_NAME } : null,
  };
}

export function erpRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const get = async () => (await db.select().from(erpConnection).where(eq(erpConnection.id, 1)))[0];

  /**
   * The mapping and the queue name records and attachments by the ids of the ERP they were
   * made with. Given another ERP (the builtin store for an Odoo, another Odoo or database),
   * those ids would name other people's records: a cloud file deleted would unlink an
   * unrelated attachment. So another ERP takes over only from an empty mapping (a reset).
   * A new API key, user or address spelling of the same Odoo database is not a switch.
   */
  async function refuseSwitchWithMapping(before: typeof erpConnection.$inferSelect | undefined, next: { url: string; database: string } | null) {
    const same = !before ? next === null
      : next !== null && before.database === next.database && sameAddress(before.url, next.url);
    if (same) return;
    const [row] = await db.execute<{ items: number; ops: number }>(sql`select
      (select count(*)::int from cloud_items where kind in ('object_folder', 'file', 'folder_link')) as items,
      (select count(*)::int from operations where status <> 'done' and payload ?| array['attachmentId', 'resId']) as ops`);
    if (!row || (row.items === 0 && row.ops === 0)) return;
    const from = before ? `the Odoo at ${before.url} (database ${before.database})` : 'the builtin store';
    throw new ApiError(409, 'erp_switch_needs_reset',
      `The cloud mapping (${row.items} records' folders and files, ${row.ops} queued operations) was made with ${from}; its ids would name other records in another ERP. ` +
      'Run POST /api/connection/reset first (it forgets the mapping; the files stay in the cloud), then switch');
  }

  app.get('/api/erp', async () => erpView(await get()));

  app.put('/api/erp', async (request) => {
    const input = parseBody(erpBody, request);
    await refuseSwitchWithMapping(await get(), input.kind === 'builtin' ? null : { url: input.url.replace(/\/+$/, ''), database: input.database });
    if (input.kind === 'builtin') {
      await db.delete(erpConnection);
      return erpView(undefined);
    }
    const values = {
      kind: 'odoo' as const, url: input.url.replace(/\/+$/, ''), database: input.database, username: input.username,
      apiKeySealed: services.secrets.seal(input.apiKey), state: 'draft' as const, lastError: null, serverVersion: null, protocol: null, confirmedAt: null,
    };
    const [row] = await db.insert(erpConnection).values({ id: 1, ...values })
      .onConflictDoUpdate({ target: erpConnection.id, set: { ...values, updatedAt: sql`now()` } }).returning();
    return erpView(row);
  });

  app.post('/api/erp/confirm', async () => {
    const row = await get();
    if (!row) return erpView(undefined);
    try {
      const found = await confirmOdoo({ url: row.url, database: row.database, username: row.username, apiKey: services.secrets.open(row.apiKeySealed) });
      const [done] = await db.update(erpConnection).set({
        state: 'confirmed', lastError: null, serverVersion: found.serverVersion, protocol: found.protocol, documents: found.documents, confirmedAt: sql`now()`, updatedAt: sql`now()`,
      }).where(eq(erpConnection.id, 1)).returning();
      return erpView(done);
    } catch (err) {
      if (!(err instanceof ErpConfirmError)) throw err;
      await db.update(erpConnection).set({ state: 'error', lastError: err.message, updatedAt: sql`now()` }).where(eq(erpConnection.id, 1));
      throw new ApiError(422, err.code, err.message);
    }
  });
}

/** Two spellings of one Odoo address: case of the host, a default port, a trailing slash, http or https. */
function sameAddress(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    return x.host === y.host && x.pathname.replace(/\/+$/, '') === y.pathname.replace(/\/+$/, '');
  } catch {
    return a === b;
  }
}

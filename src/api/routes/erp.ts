/**
 * `GET | PUT /api/erp`, `POST /api/erp/confirm`: which ERP the service syncs. The builtin
 * store is the default and needs nothing; an Odoo is saved (the API key sealed, never
 * returned), then confirmed: reachable, an Odoo of a supported version, the login, and
 * the right to read attachments.
 */
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { ERP_ITEM_KINDS } from '../../db/repos/mapping.js';
import { erpConnection } from '../../db/schema.js';
import { DOCUMENTS_FOLDER_NAME } from '../../domain/documents.js';
import { describeErp, erpIdentity } from '../../erp/identity.js';
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
   * made with (`settings.mapping_erp`, src/erp/identity.ts). Given another ERP (the builtin
   * store for an Odoo, another Odoo or database), those ids would name other people's
   * records: a cloud file deleted would unlink an unrelated attachment. So another ERP takes
   * over only from an empty mapping (a reset). Saving and confirming both check; the syncs
   * check again when they plan. A new API key, user or address spelling is no switch.
   */
  async function refuseSwitchWithMapping(next: { url: string; database: string } | null, madeWithIfUnknown: string | null) {
    const [row] = await db.execute<{ items: number; ops: number; made: string | null }>(sql`select
      (select count(*)::int from cloud_items where kind in ${ERP_ITEM_KINDS}) as items,
      (select count(*)::int from operations where status <> 'done' and payload ?| array['attachmentId', 'resId']) as ops,
      (select mapping_erp from settings where id = 1) as made`);
    if (!row || (row.items === 0 && row.ops === 0)) return;
    // A mapping from before the identity was kept: taken for the saved ERP's (the next plan records it).
    const made = row.made ?? madeWithIfUnknown;
    if (made === null || made === erpIdentity(next)) return;
    throw new ApiError(409, 'erp_switch_needs_reset',
      `The cloud mapping (${row.items} records' folders and files, ${row.ops} queued operations) was made with ${describeErp(made)}; its ids would name other records in another ERP. ` +
      'Run POST /api/connection/reset first (it forgets the mapping; the files stay in the cloud), then switch');
  }

  app.get('/api/erp', async () => erpView(await get()));

  app.put('/api/erp', async (request) => {
    const input = parseBody(erpBody, request);
    await refuseSwitchWithMapping(input.kind === 'builtin' ? null : { url: input.url.replace(/\/+$/, ''), database: input.database }, erpIdentity(await get()));
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
    await refuseSwitchWithMapping(row, null);
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

import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { syncModels } from '../../db/schema.js';
import { domainFieldPaths, domainOperators } from '../../domain/domains.js';
import type { DomainTerm, ErpRecord } from '../../domain/types.js';
import type { Services } from '../../services.js';
import { ApiError, notFound, parseBody, validate } from '../errors.js';
import { idParam, orderBody, previewQuery, syncModelBody, syncModelPatch } from '../schemas.js';
import { compileNameExpression, expressionPaths, renderNameExpression, type CompiledNameExpression } from '../../domain/nameExpressions.js';
import { objectFolderName } from '../../domain/naming.js';
import { describePeriod, periodRange, periodsToDomain } from '../../domain/periods.js';
import { recordReader } from '../../domain/records.js';

type Row = typeof syncModels.$inferSelect;

export function syncModelView(row: Row) {
  return {
    id: row.id, model: row.model, folderName: row.folderName, domain: row.domain, periods: row.periods,
    nameExpression: row.nameExpression, defaultFolders: row.defaultFolders, active: row.active,
    sequence: row.sequence, invalidReason: row.invalidReason,
    createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
  };
}

export function syncModelRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  /**
   * A sync model the ERP cannot search is saved as invalid, with the ERP's reason, and is
   * not synced (each run says so in the log) until it is fixed. An ERP that cannot be
   * reached now leaves the question to the next run, which stops with a red log if so.
   */
  const checkWithErp = async (row: Row): Promise<Row> => {
    let reason: string | null;
    try {
      reason = await services.erp.checkSearch(row.model, { filter: domainFieldPaths(row.domain), read: expressionPaths(row.nameExpression), operators: domainOperators(row.domain) });
    } catch {
      return row;
    }
    if (reason === row.invalidReason) return row;
    const [updated] = await db.update(syncModels).set({ invalidReason: reason }).where(eq(syncModels.id, row.id)).returning();
    return updated ?? row;
  };

  app.get('/api/sync-models', async () => {
    const rows = await db.select().from(syncModels).where(isNull(syncModels.deletedAt)).orderBy(asc(syncModels.sequence), asc(syncModels.id));
    return rows.map(syncModelView);
  });

  app.post('/api/sync-models', async (request, reply) => {
    const input = parseBody(syncModelBody, request);
    // New sync models go to the bottom of the list: lowest priority until reordered.
    const [row] = await db.insert(syncModels).values({
      ...input,
      domain: input.domain as DomainTerm[],
      sequence: sql`coalesce((select max(sequence) from sync_models), 0) + 10`,
    }).returning();
    return reply.code(201).send(syncModelView(await checkWithErp(row!)));
  });

  app.get('/api/sync-models/:id', async (request) => {
    const id = validate(idParam, (request.params as { id: string }).id, 'id');
    const [row] = await db.select().from(syncModels).where(and(eq(syncModels.id, id), isNull(syncModels.deletedAt)));
    if (!row) throw notFound(`Sync model ${id}`);
    return syncModelView(row);
  });

  const idOf = (request: { params: unknown }) => validate(idParam, (request.params as { id: string }).id, 'id');

  /**
   * The preview the sync model form shows: how many records match now, what their folders
   * would be called, and the manual's "if today, the periods would be..." ranges. Each
   * problem (a name expression that does not parse, a domain the ERP refuses) is listed
   * in `errors`, not thrown: the preview is how an admin finds them. Counts this sync
   * model's own filters; priority against other sync models is applied at sync time.
   */
  app.get('/api/sync-models/:id/preview', async (request) => {
    const id = idOf(request);
    const query = validate(previewQuery, request.query, 'query');
    const [row] = await db.select().from(syncModels).where(and(eq(syncModels.id, id), isNull(syncModels.deletedAt)));
    if (!row) throw notFound(`Sync model ${id}`);
    const today = query.today ?? new Date().toISOString().slice(0, 10);
    const errors: string[] = [];
    let compiled: CompiledNameExpression | null = null;
    if (row.nameExpression) {
      try {
        compiled = compileNameExpression(row.nameExpression);
      } catch (err) {
        errors.push(`nameExpression: ${(err as Error).message}; folders get the display name`);
      }
    }
    const periods = row.periods.map((p) => {
      const r = periodRange(p, today);
      return { field: p.field, from: r.start, to: r.end, text: describePeriod(p, today) };
    });
    let records: ErpRecord[] = [];
    try {
      records = await services.erp.searchRecords(row.model, [...row.domain, ...periodsToDomain(row.periods, today)] as DomainTerm[], { fields: expressionPaths(row.nameExpression) });
    } catch (err) {
      errors.push(`domain: the ERP refused the search on ${row.model}: ${(err as Error).message}`);
    }
    const sample = records.slice(0, query.sample).map((r) => ({
      id: r.id, displayName: r.displayName,
      folderName: objectFolderName(r.displayName, compiled ? renderNameExpression(compiled, recordReader(r)) : null, r.id),
    }));
    return { count: records.length, today, sample, periods, errors };
  });

  app.patch('/api/sync-models/:id', async (request) => {
    const id = idOf(request);
    const input = parseBody(syncModelPatch, request);
    // Saving again clears a reason the ERP gave before: the ERP is asked afresh.
    const [row] = await db.update(syncModels).set({ ...input, domain: input.domain as DomainTerm[] | undefined, invalidReason: null, updatedAt: sql`now()` })
      .where(and(eq(syncModels.id, id), isNull(syncModels.deletedAt))).returning();
    if (!row) throw notFound(`Sync model ${id}`);
    return syncModelView(await checkWithErp(row));
  });

  /** Deleting keeps the row as a preset; its cloud folder stays, as the manual describes. */
  app.delete('/api/sync-models/:id', async (request, reply) => {
    const id = idOf(request);
    const [row] = await db.update(syncModels).set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(syncModels.id, id), isNull(syncModels.deletedAt))).returning();
    if (!row) throw notFound(`Sync model ${id}`);
    return reply.code(204).send();
  });

  app.post('/api/sync-models/:id/restore', async (request) => {
    const id = idOf(request);
    const [row] = await db.update(syncModels).set({ deletedAt: null, updatedAt: sql`now()` })
      .where(and(eq(syncModels.id, id), isNotNull(syncModels.deletedAt))).returning();
    if (!row) throw notFound(`Deleted sync model ${id}`);
    return syncModelView(row);
  });

  /** The new priority order: every listed sync model, highest priority first. */
  app.put('/api/sync-models/order', async (request) => {
    const { ids } = parseBody(orderBody, request);
    const current = await db.select({ id: syncModels.id }).from(syncModels).where(isNull(syncModels.deletedAt));
    const known = new Set(current.map((r) => r.id));
    const unknown = ids.filter((id) => !known.has(id));
    const missing = [...known].filter((id) => !ids.includes(id));
    if (unknown.length || missing.length) {
      throw new ApiError(422, 'invalid_fields', 'The order must list every sync model exactly once', {
        fields: { ids: [unknown.length ? `unknown ids: ${unknown.join(', ')}` : '', missing.length ? `missing ids: ${missing.join(', ')}` : ''].filter(Boolean).join('; ') },
      });
    }
    await db.transaction(async (tx) => {
      for (const [i, id] of ids.entries()) await tx.update(syncModels).set({ sequence: (i + 1) * 10, updatedAt: sql`now()` }).where(eq(syncModels.id, id));
    });
    const rows = await db.select().from(syncModels).where(inArray(syncModels.id, ids)).orderBy(asc(syncModels.sequence));
    return rows.map(syncModelView);
  });
}

import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { syncModels } from '../../db/schema.js';
import type { DomainTerm } from '../../domain/types.js';
import type { Services } from '../../services.js';
import { notFound, parseBody, validate } from '../errors.js';
import { idParam, syncModelBody } from '../schemas.js';

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
    return reply.code(201).send(syncModelView(row!));
  });

  app.get('/api/sync-models/:id', async (request) => {
    const id = validate(idParam, (request.params as { id: string }).id, 'id');
    const [row] = await db.select().from(syncModels).where(and(eq(syncModels.id, id), isNull(syncModels.deletedAt)));
    if (!row) throw notFound(`Sync model ${id}`);
    return syncModelView(row);
  });
}

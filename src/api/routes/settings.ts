import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { getSettings } from '../../db/repos/connection.js';
import { settings } from '../../db/schema.js';
import type { Services } from '../../services.js';
import { parseBody } from '../errors.js';
import { settingsPatch } from '../schemas.js';

function settingsView(row: Awaited<ReturnType<typeof getSettings>>) {
  return { timeBudgetSeconds: row.timeBudgetSeconds, logSyncActivities: row.logSyncActivities, logRetentionDays: row.logRetentionDays, maxDeleteShare: row.maxDeleteShare };
}

export function settingsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  app.get('/api/settings', async () => settingsView(await getSettings(db)));

  app.patch('/api/settings', async (request) => {
    const input = parseBody(settingsPatch, request);
    await db.update(settings).set({ ...input, updatedAt: sql`now()` }).where(eq(settings.id, 1));
    return settingsView(await getSettings(db));
  });
}

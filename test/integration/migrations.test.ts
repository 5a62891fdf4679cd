/** Several processes (an API and its workers) starting at once on a fresh database migrate it once, without colliding. */
import { randomBytes } from 'node:crypto';
import { migrateDatabase, openDatabase } from '../../src/db/index.js';
import { ensureDatabase } from '../../src/runtime/postgres.js';
import { env } from '../support/harness.js';

test('four concurrent migrations of a fresh database: all succeed, each migration applied once', async () => {
  const name = `t_mig_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(env().pgAdminUrl, name);
  const url = env().pgAdminUrl.replace(/\/postgres$/, `/${name}`);
  const dbs = [openDatabase(url, { max: 1 })];
  try {
    await Promise.all(Array.from({ length: 4 }, () => migrateDatabase(url)));
    const journal = (await import('../../src/db/migrations/meta/_journal.json', { with: { type: 'json' } })).default as { entries: unknown[] };
    const applied = await dbs[0]!.sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(applied[0]!.n).toBe(journal.entries.length);
    await migrateDatabase(url); // and again later: nothing to do, no error
  } finally {
    for (const d of dbs) await d.close();
  }
});

import { fileURLToPath } from 'node:url';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** The committed SQL migrations (made by `npm run db:generate`), found from src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../../src/db/migrations', import.meta.url));

export function openDatabase(url: string, options: { max?: number } = {}): Database {
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {} });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** Any fixed number: the key of the advisory lock every process takes to migrate. */
const MIGRATION_LOCK = 7_311_502_926;

/**
 * Applies the pending migrations. An API and its workers often start together on a fresh
 * database; the advisory lock makes them migrate one after the other (the first applies,
 * the others find nothing left to do) instead of colliding on the same CREATEs.
 */
export async function migrateDatabase(url: string): Promise<void> {
  // One connection of its own: the advisory lock belongs to the session that migrates.
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(sql, { schema }), { migrationsFolder });
  } finally {
    // Closing the session releases the lock, whatever happened.
    await sql.end({ timeout: 5 });
  }
}

export { schema };

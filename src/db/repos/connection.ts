import { eq, sql } from 'drizzle-orm';
import type { CloudCapabilities } from '../../cloud/port.js';
import type { SecretBox } from '../../secrets/index.js';
import type { Db } from '../index.js';
import { cloudConnection, settings } from '../schema.js';

export type ConnectionRow = typeof cloudConnection.$inferSelect;

export interface ConnectionInput {
  url: string;
  username: string;
  password: string;
  rootFolder: string;
  publicUrls: boolean;
}

/** The public view of the connection: API.md's shape, never the password. */
export function connectionView(row: ConnectionRow | undefined) {
  if (!row) return null;
  return {
    url: row.url,
    username: row.username,
    rootFolder: row.rootFolder,
    publicUrls: row.publicUrls,
    state: row.state,
    lastError: row.lastError,
    confirmedAt: row.confirmedAt?.toISOString() ?? null,
    capabilities: row.capabilities ?? null,
  };
}

export class ConnectionRepo {
  constructor(private readonly db: Db, private readonly secrets: SecretBox) {}

  async get(): Promise<ConnectionRow | undefined> {
    const [row] = await this.db.select().from(cloudConnection).where(eq(cloudConnection.id, 1));
    return row;
  }

  /** Saving always returns the connection to `draft`: it must be confirmed again. */
  async save(input: ConnectionInput): Promise<ConnectionRow> {
    const values = {
      url: input.url, username: input.username, passwordSealed: this.secrets.seal(input.password),
      rootFolder: input.rootFolder, publicUrls: input.publicUrls,
      state: 'draft' as const, lastError: null, confirmedAt: null, capabilities: null,
    };
    const [row] = await this.db.insert(cloudConnection).values({ id: 1, ...values })
      .onConflictDoUpdate({ target: cloudConnection.id, set: { ...values, updatedAt: sql`now()` } })
      .returning();
    return row!;
  }

  async markConfirmed(capabilities: CloudCapabilities): Promise<void> {
    await this.db.update(cloudConnection).set({
      state: 'confirmed', lastError: null, confirmedAt: sql`now()`, capabilities: capabilities as unknown as Record<string, unknown>, updatedAt: sql`now()`,
    }).where(eq(cloudConnection.id, 1));
  }

  async markError(message: string): Promise<void> {
    await this.db.update(cloudConnection).set({ state: 'error', lastError: message, updatedAt: sql`now()` }).where(eq(cloudConnection.id, 1));
  }

  /** The decrypted credentials, for activities only: they never leave the worker process. */
  credentials(row: ConnectionRow): { url: string; username: string; password: string } {
    return { url: row.url, username: row.username, password: this.secrets.open(row.passwordSealed) };
  }
}

export async function ensureSettingsRow(db: Db): Promise<void> {
  await db.insert(settings).values({ id: 1 }).onConflictDoNothing();
}

export async function getSettings(db: Db) {
  const [row] = await db.select().from(settings).where(eq(settings.id, 1));
  return row ?? { id: 1, timeBudgetSeconds: 900, logSyncActivities: true, logRetentionDays: 30, maxDeleteShare: 0.2, directCursor: null, deletionsHeld: null, deletionsAcknowledgedAt: null, leaseRequestId: null, leaseToken: null, schedules: null, mappingErp: null };
}

import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../index.js';
import { settings, syncLogs } from '../schema.js';
import type { LogLevel, SyncDirection } from '../../domain/types.js';

export interface LogEntry {
  direction: SyncDirection;
  level: LogLevel;
  message: string;
  model?: string | null;
  recordId?: number | null;
  path?: string | null;
  runId?: string | null;
}

export type LogRow = typeof syncLogs.$inferSelect;

/**
 * Sync Logs. With "Log sync activities" off, success rows are not written; warnings and
 * errors always are (the manual: the log is where problems show).
 */
export class SyncLog {
  constructor(private readonly db: Db) {}

  async write(entries: LogEntry | LogEntry[]): Promise<void> {
    const list = Array.isArray(entries) ? entries : [entries];
    if (list.length === 0) return;
    const [s] = await this.db.select({ on: settings.logSyncActivities }).from(settings).where(eq(settings.id, 1));
    const keep = list.filter((e) => e.level !== 'success' || (s?.on ?? true));
    if (keep.length) await this.db.insert(syncLogs).values(keep);
  }

  async list(filter: { level?: LogLevel; direction?: SyncDirection; q?: string; limit: number; cursor?: number }): Promise<LogRow[]> {
    const where: SQL[] = [];
    if (filter.level) where.push(eq(syncLogs.level, filter.level));
    if (filter.direction) where.push(eq(syncLogs.direction, filter.direction));
    if (filter.q) where.push(sql`(${syncLogs.message} ilike ${'%' + filter.q + '%'} or ${syncLogs.path} ilike ${'%' + filter.q + '%'})`);
    if (filter.cursor) where.push(lt(syncLogs.id, filter.cursor));
    return this.db.select().from(syncLogs).where(where.length ? and(...where) : undefined).orderBy(desc(syncLogs.id)).limit(filter.limit);
  }
}

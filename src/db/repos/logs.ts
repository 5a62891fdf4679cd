import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
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

  async list(filter: LogFilter & { limit: number; cursor?: number }): Promise<LogRow[]> {
    const where = whereOf(filter);
    if (filter.cursor) where.push(lt(syncLogs.id, filter.cursor));
    return this.db.select().from(syncLogs).where(where.length ? and(...where) : undefined).orderBy(desc(syncLogs.id)).limit(filter.limit);
  }

  /** Counts per level, direction, month or day (UTC), for the filters given. */
  async summary(filter: LogFilter, groupBy: LogGroupBy): Promise<Array<{ key: string; count: number }>> {
    const key = {
      level: sql<string>`${syncLogs.level}`,
      direction: sql<string>`${syncLogs.direction}`,
      month: sql<string>`to_char(${syncLogs.at} at time zone 'UTC', 'YYYY-MM')`,
      day: sql<string>`to_char(${syncLogs.at} at time zone 'UTC', 'YYYY-MM-DD')`,
    }[groupBy];
    const where = whereOf(filter);
    const rows = await this.db.select({ key, count: sql<number>`count(*)::int` }).from(syncLogs)
      .where(where.length ? and(...where) : undefined).groupBy(key).orderBy(key);
    return rows.map((r) => ({ key: String(r.key), count: r.count }));
  }

  /** Every matching row, newest first, a page at a time: exports stream, whatever the size. */
  async *each(filter: LogFilter, pageSize = 1000): AsyncGenerator<LogRow> {
    let cursor: number | undefined;
    for (;;) {
      const page = await this.list({ ...filter, limit: pageSize, cursor });
      yield* page;
      if (page.length < pageSize) return;
      cursor = page[page.length - 1]!.id;
    }
  }

  /** Log retention: drops rows older than `days`. Returns how many went. */
  async cleanup(days: number): Promise<number> {
    const gone = await this.db.delete(syncLogs).where(sql`${syncLogs.at} < now() - make_interval(days => ${days})`).returning({ id: syncLogs.id });
    return gone.length;
  }
}

export type LogGroupBy = 'level' | 'direction' | 'month' | 'day';

export interface LogFilter {
  level?: LogLevel;
  direction?: SyncDirection;
  /** Text searched in the message and the path (case-insensitive). */
  q?: string;
  model?: string;
  recordId?: number;
  from?: Date;
  to?: Date;
}

function whereOf(filter: LogFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.level) where.push(eq(syncLogs.level, filter.level));
  if (filter.direction) where.push(eq(syncLogs.direction, filter.direction));
  if (filter.model) where.push(eq(syncLogs.model, filter.model));
  if (filter.recordId !== undefined) where.push(eq(syncLogs.recordId, filter.recordId));
  if (filter.from) where.push(gte(syncLogs.at, filter.from));
  if (filter.to) where.push(lt(syncLogs.at, filter.to));
  if (filter.q) {
    // ilike with the user's text taken literally: % and _ are not wildcards here.
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(sql`(${syncLogs.message} ilike ${pattern} or ${syncLogs.path} ilike ${pattern})`);
  }
  return where;
}

const CSV_COLUMNS = ['at', 'direction', 'level', 'model', 'recordId', 'path', 'message', 'runId'] as const;

/** One CSV line (RFC 4180 quoting). Cells a spreadsheet would run as formulas get a leading quote. */
export function csvLine(values: ReadonlyArray<unknown>): string {
  return values.map((v) => {
    let text = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }).join(',') + '\r\n';
}

export function csvHeader(): string {
  return csvLine(CSV_COLUMNS);
}

export function csvRow(row: LogRow): string {
  return csvLine(CSV_COLUMNS.map((c) => row[c]));
}

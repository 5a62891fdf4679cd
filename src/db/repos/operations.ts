import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../index.js';
import { operations } from '../schema.js';
import type { SyncDirection } from '../../domain/types.js';

export type OperationRow = typeof operations.$inferSelect;

export interface NewOperation {
  kind: string;
  dedupeKey: string;
  payload: object;
}

/** How many times an operation is tried (across runs) before it stays `failed` for an admin. */
export const MAX_ATTEMPTS = 5;

/** The durable FIFO operations queue of DESIGN.md. */
export class OperationsQueue {
  constructor(private readonly db: Db) {}

  /** Inserts in order; a key already open (pending or failed) is skipped. Returns how many were new. */
  async enqueue(direction: SyncDirection, ops: NewOperation[], runId: string | null): Promise<number> {
    let added = 0;
    // Chunks keep each statement's parameter count bounded for large plans.
    for (let i = 0; i < ops.length; i += 500) {
      const chunk = ops.slice(i, i + 500);
      const rows = await this.db.insert(operations)
        .values(chunk.map((op) => ({ direction, kind: op.kind, dedupeKey: op.dedupeKey, payload: op.payload as Record<string, unknown>, runId })))
        .onConflictDoNothing({ target: operations.dedupeKey, where: sql`status <> 'done'` })
        .returning({ id: operations.id });
      added += rows.length;
    }
    return added;
  }

  /**
   * The next batch, oldest first: the oldest due operation and the due operations of the
   * same kind right behind it, so kinds never overtake each other (folders before the
   * uploads into them).
   */
  async takeBatch(direction: SyncDirection, limit: number): Promise<{ kind: string; ops: OperationRow[] } | null> {
    const due = and(eq(operations.direction, direction), eq(operations.status, 'pending'), lte(operations.notBefore, sql`now()`));
    const [head] = await this.db.select().from(operations).where(due).orderBy(asc(operations.id)).limit(1);
    if (!head) return null;
    const [nextOther] = await this.db.select({ id: operations.id }).from(operations)
      .where(and(due, gt(operations.id, head.id), sql`${operations.kind} <> ${head.kind}`))
      .orderBy(asc(operations.id)).limit(1);
    const rows = await this.db.select().from(operations)
      .where(and(due, eq(operations.kind, head.kind), nextOther ? sql`${operations.id} < ${nextOther.id}` : sql`true`))
      .orderBy(asc(operations.id)).limit(limit);
    return { kind: head.kind, ops: rows };
  }

  /** Pending operations of a direction that are due now. */
  async countDue(direction: SyncDirection): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(operations)
      .where(and(eq(operations.direction, direction), eq(operations.status, 'pending'), lte(operations.notBefore, sql`now()`)));
    return row?.n ?? 0;
  }

  async get(ids: number[]): Promise<OperationRow[]> {
    if (ids.length === 0) return [];
    return this.db.select().from(operations).where(inArray(operations.id, ids)).orderBy(asc(operations.id));
  }

  /**
   * Marks operations done. With a lease, only while that lease is the current one (the
   * fence checked in the same statement): returns false, and marks nothing, otherwise.
   */
  async completeMany(ids: number[], lease?: { requestId: string; token: number }, claimedBy?: string | null): Promise<boolean> {
    if (ids.length === 0) return true;
    const fenced = lease
      ? sql`exists (select 1 from settings where id = 1 and lease_request_id = ${lease.requestId} and lease_token = ${lease.token})`
      : sql`true`;
    const mine = claimedBy ? eq(operations.claimedBy, claimedBy) : sql`true`;
    const rows = await this.db.update(operations).set({ status: 'done', lastError: null, updatedAt: sql`now()` })
      .where(and(inArray(operations.id, ids), fenced, mine)).returning({ id: operations.id });
    return rows.length === ids.length || (!lease && !claimedBy);
  }

  /** Marks pending operations as worked on by this activity attempt (see `claimedBy`). */
  /**
   * Claims operations for an activity attempt (`run:activity:attempt`). Never from a newer
   * attempt of the same activity: an attempt that starts late (its worker froze before it
   * claimed) must not take the batch back from the one that replaced it.
   */
  async claim(ids: number[], attempt: string): Promise<void> {
    if (ids.length === 0) return;
    const cut = attempt.lastIndexOf(':');
    const prefix = attempt.slice(0, cut + 1);
    const n = Number(attempt.slice(cut + 1));
    const notNewer = cut > 0 && Number.isInteger(n)
      ? sql`case when ${operations.claimedBy} is null or left(${operations.claimedBy}, ${prefix.length}) <> ${prefix} then true
          when substr(${operations.claimedBy}, ${prefix.length + 1}) ~ '^[0-9]{1,9}$' then substr(${operations.claimedBy}, ${prefix.length + 1})::int <= ${n}
          else true end`
      : sql`true`;
    await this.db.update(operations).set({ claimedBy: attempt }).where(and(inArray(operations.id, ids), eq(operations.status, 'pending'), notNewer));
  }

  /** How many of `ids` another attempt has claimed since. */
  async claimedByOthers(ids: number[], attempt: string): Promise<number> {
    if (ids.length === 0) return 0;
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(operations)
      .where(and(inArray(operations.id, ids), sql`${operations.claimedBy} is distinct from ${attempt}`));
    return row?.n ?? 0;
  }

  /**
   * Records a failure. A retryable one waits (exponential back-off) and is tried again by
   * this or a later run; a permanent one, or one out of attempts, stays `failed` until an
   * admin retries it.
   */
  async fail(id: number, message: string, retryable: boolean, atLeastMs = 0): Promise<'pending' | 'failed'> {
    const [row] = await this.db.update(operations).set({
      attempts: sql`${operations.attempts} + 1`,
      lastError: message.slice(0, 2000),
      status: retryable ? sql`case when ${operations.attempts} + 1 >= ${MAX_ATTEMPTS} then 'failed' else 'pending' end` : 'failed',
      // Exponential back-off, or the server's Retry-After when it asks for longer.
      notBefore: sql`now() + greatest(interval '5 seconds' * power(4, ${operations.attempts}), interval '1 millisecond' * ${Math.round(atLeastMs)})`,
      updatedAt: sql`now()`,
    }).where(eq(operations.id, id)).returning({ status: operations.status });
    return (row?.status ?? 'failed') as 'pending' | 'failed';
  }

  /** Pending and failed operations, oldest first (keyset paging by id). */
  async list(filter: { direction?: SyncDirection; kind?: string; status?: 'pending' | 'failed'; limit: number; cursor?: number }): Promise<OperationRow[]> {
    const where = [filter.status ? eq(operations.status, filter.status) : sql`${operations.status} <> 'done'`];
    if (filter.direction) where.push(eq(operations.direction, filter.direction));
    if (filter.kind) where.push(eq(operations.kind, filter.kind));
    if (filter.cursor) where.push(gt(operations.id, filter.cursor));
    return this.db.select().from(operations).where(and(...where)).orderBy(asc(operations.id)).limit(filter.limit);
  }

  /** An admin's retry: the operation is due now, with its attempts back if it had failed for good. */
  async retryNow(id: number): Promise<void> {
    await this.db.update(operations).set({
      status: 'pending', notBefore: sql`now()`, updatedAt: sql`now()`,
      attempts: sql`case when ${operations.status} = 'failed' then 0 else ${operations.attempts} end`,
    }).where(and(eq(operations.id, id), sql`${operations.status} <> 'done'`));
  }

  async depth(direction?: SyncDirection): Promise<Record<string, number>> {
    const rows = await this.db.select({ kind: operations.kind, n: sql<number>`count(*)::int` }).from(operations)
      .where(and(eq(operations.status, 'pending'), direction ? eq(operations.direction, direction) : sql`true`))
      .groupBy(operations.kind);
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }
}

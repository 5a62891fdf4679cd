import { and, asc, eq, inArray, ne, or, sql } from 'drizzle-orm';
import type { CloudItem } from '../../cloud/port.js';
import type { MappedItem } from '../../domain/planning/direct.js';
import type { Db } from '../index.js';
import { cloudItems } from '../schema.js';

/** The mapping rows that name an ERP's records and attachments (the root and model folders name none), as SQL: `kind in (...)`. */
export const ERP_ITEM_KINDS = sql.raw(`('object_folder', 'file', 'folder_link')`);

export type MappingRow = typeof cloudItems.$inferSelect;
type Kind = MappingRow['kind'];

/** `path` itself or anything below it, without LIKE (names may hold `_` and `%`). */
const atOrBelow = (path: string) => or(eq(cloudItems.path, path), sql`left(${cloudItems.path}, ${path.length + 1}) = ${path + '/'}`);

/**
 * The mapping between ERP things and the cloud items that hold them (`cloud_items`):
 * what the service knows it put in the cloud, where it is now, and the ETag it last saw.
 */
export class MappingRepo {
  constructor(private readonly db: Db) {}

  async all(): Promise<MappingRow[]> {
    return this.db.select().from(cloudItems).orderBy(asc(cloudItems.id));
  }

  /** The managed folders only (root, model and object folders): what discovery checks. */
  async folders(): Promise<MappingRow[]> {
    return this.db.select().from(cloudItems).where(inArray(cloudItems.kind, ['root', 'model_folder', 'object_folder'])).orderBy(asc(cloudItems.id));
  }

  /** The names of what is recorded directly inside `path`. */
  async childNames(path: string): Promise<string[]> {
    const rows = await this.db.select({ path: cloudItems.path }).from(cloudItems)
      .where(sql`left(${cloudItems.path}, ${path.length + 1}) = ${path + '/'} and strpos(substr(${cloudItems.path}, ${path.length + 2}), '/') = 0`);
    return rows.map((r) => r.path.slice(path.length + 1));
  }

  async get(ref: string): Promise<MappingRow | null> {
    const [row] = await this.db.select().from(cloudItems).where(eq(cloudItems.ref, ref));
    return row ?? null;
  }

  async getMany(refs: string[]): Promise<Map<string, MappingRow>> {
    if (refs.length === 0) return new Map();
    const rows = await this.db.select().from(cloudItems).where(inArray(cloudItems.ref, [...new Set(refs)]));
    return new Map(rows.map((r) => [r.ref, r]));
  }

  async upsertMany(entries: { ref: string; kind: Kind; item: CloudItem; extra?: Partial<typeof cloudItems.$inferInsert> }[]): Promise<void> {
    if (entries.length === 0) return;
    const values = entries.map((e) => ({ ref: e.ref, kind: e.kind, path: e.item.path, fileId: e.item.fileId, etag: e.item.etag, size: e.item.size, ...e.extra }));
    await this.db.insert(cloudItems).values(values).onConflictDoUpdate({
      target: cloudItems.ref,
      set: {
        kind: sql`excluded.kind`, path: sql`excluded.path`, fileId: sql`excluded.file_id`, etag: sql`excluded.etag`, size: sql`excluded.size`,
        attachmentId: sql`excluded.attachment_id`, resModel: sql`excluded.res_model`, resId: sql`excluded.res_id`, syncModelId: sql`excluded.sync_model_id`,
        updatedAt: sql`now()`,
      },
    });
  }

  async upsert(ref: string, kind: Kind, item: CloudItem, extra: Partial<typeof cloudItems.$inferInsert> = {}): Promise<void> {
    const values = { ref, kind, path: item.path, fileId: item.fileId, etag: item.etag, size: item.size, ...extra };
    await this.db.insert(cloudItems).values(values)
      .onConflictDoUpdate({ target: cloudItems.ref, set: { ...values, updatedAt: sql`now()` } });
  }

  /** A folder moved from `from` to `to`: everything recorded below it moved with it. */
  async rebase(from: string, to: string): Promise<void> {
    if (from === to) return;
    await this.db.update(cloudItems)
      .set({ path: sql`${to} || substr(${cloudItems.path}, ${from.length + 1})`, updatedAt: sql`now()` })
      .where(atOrBelow(from));
  }

  /**
   * A managed folder is gone from the cloud: forget it and the folders below, so the next
   * plan creates them again. File rows stay: the backward sync unlinks their attachments.
   */
  async forgetFolders(path: string): Promise<number> {
    const rows = await this.db.delete(cloudItems).where(and(atOrBelow(path), ne(cloudItems.kind, 'file'))).returning({ id: cloudItems.id });
    return rows.length;
  }

  /** Forgets an item and everything recorded below it (after the service deleted it). */
  async forgetSubtree(path: string): Promise<void> {
    await this.db.delete(cloudItems).where(atOrBelow(path));
  }

  async forget(ref: string): Promise<void> {
    await this.db.delete(cloudItems).where(eq(cloudItems.ref, ref));
  }

  async filesBelow(path: string): Promise<MappingRow[]> {
    return this.db.select().from(cloudItems).where(and(atOrBelow(path), eq(cloudItems.kind, 'file'))).orderBy(asc(cloudItems.id));
  }

  async setEtag(ref: string, etag: string | null): Promise<void> {
    await this.db.update(cloudItems).set({ etag, updatedAt: sql`now()` }).where(eq(cloudItems.ref, ref));
  }

  async setScanEtag(ref: string, etag: string | null): Promise<void> {
    await this.db.update(cloudItems).set({ scanEtag: etag, updatedAt: sql`now()` }).where(eq(cloudItems.ref, ref));
  }

  async setSyncModel(ref: string, syncModelId: number | null): Promise<void> {
    await this.db.update(cloudItems).set({ syncModelId, updatedAt: sql`now()` }).where(eq(cloudItems.ref, ref));
  }
}

export function toMappedItem(row: MappingRow): MappedItem {
  return { ref: row.ref, kind: row.kind, path: row.path, syncModelId: row.syncModelId, resModel: row.resModel, resId: row.resId, attachmentId: row.attachmentId };
}

import type { Readable } from 'node:stream';
import { and, asc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { erpAttachments, erpRecords } from '../../db/schema.js';
import { evaluateDomain, ODOO_ONLY_OPERATORS, parseDomain } from '../../domain/domains.js';
import { guessMimetype } from '../../domain/mimetypes.js';
import { recordReader } from '../../domain/records.js';
import type { DomainTerm, ErpAttachment, ErpRecord } from '../../domain/types.js';
import { ErpError, type ErpPort } from '../port.js';
import type { Filestore } from './filestore.js';

type RecordRow = typeof erpRecords.$inferSelect;
type AttachmentRow = typeof erpAttachments.$inferSelect;

export function toErpRecord(row: RecordRow): ErpRecord {
  return { model: row.model, id: row.id, displayName: row.name, fields: row.fields, writeDate: row.writeDate.toISOString() };
}

export function toErpAttachment(row: AttachmentRow): ErpAttachment {
  return {
    id: row.id, resModel: row.resModel, resId: row.resId, name: row.name, type: row.type, url: row.url,
    isFolder: row.isFolder, mimetype: row.mimetype, size: row.fileSize, checksum: row.checksum, storeRef: row.storeFname,
  };
}

/**
 * The builtin ERP: records and attachments in the service's own Postgres, binaries in the
 * filestore. The embedded default, and a feature of its own: any application can offload
 * its attachments through the HTTP API.
 */
export class BuiltinErp implements ErpPort {
  readonly kind = 'builtin' as const;

  constructor(private readonly db: Db, private readonly filestore: Filestore) {}

  async identity(): Promise<string> {
    return 'builtin';
  }

  async searchRecords(model: string, domain: DomainTerm[]): Promise<ErpRecord[]> {
    const tree = parseDomain(domain);
    const rows = await this.db.select().from(erpRecords).where(eq(erpRecords.model, model)).orderBy(asc(erpRecords.id));
    return rows.map(toErpRecord).filter((r) => evaluateDomain(tree, recordReader(r)));
  }

  /**
   * The builtin store takes any model and any field (records carry the fields they are
   * given), but not the operators that walk a record hierarchy only Odoo has.
   */
  async checkSearch(_model: string, paths: { operators?: string[] } = {}): Promise<string | null> {
    const odooOnly = (paths.operators ?? []).filter((o) => (ODOO_ONLY_OPERATORS as readonly string[]).includes(o));
    return odooOnly.length ? `the filter uses ${odooOnly.join(', ')}, which walks a record hierarchy: only Odoo evaluates it, not the builtin store` : null;
  }

  async listAttachments(resModel: string, resIds: number[], opts: { changedSince?: string } = {}): Promise<ErpAttachment[]> {
    const out: ErpAttachment[] = [];
    for (const chunk of chunks(resIds, 5000)) {
      const rows = await this.db.select().from(erpAttachments)
        .where(and(
          eq(erpAttachments.resModel, resModel), inArray(erpAttachments.resId, chunk),
          opts.changedSince ? gte(erpAttachments.writeDate, new Date(opts.changedSince)) : undefined,
        ))
        .orderBy(asc(erpAttachments.id));
      out.push(...rows.map(toErpAttachment));
    }
    return out.sort((a, b) => a.id - b.id);
  }

  async existingRecordIds(model: string, ids: number[]): Promise<Set<number>> {
    const found = new Set<number>();
    for (const chunk of chunks(ids, 5000)) {
      const rows = await this.db.select({ id: erpRecords.id }).from(erpRecords).where(and(eq(erpRecords.model, model), inArray(erpRecords.id, chunk)));
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  async existingAttachmentIds(ids: number[]): Promise<Set<number>> {
    const found = new Set<number>();
    for (const chunk of chunks(ids, 5000)) {
      const rows = await this.db.select({ id: erpAttachments.id }).from(erpAttachments).where(inArray(erpAttachments.id, chunk));
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  async getAttachment(id: number): Promise<ErpAttachment | null> {
    const [row] = await this.db.select().from(erpAttachments).where(eq(erpAttachments.id, id));
    return row ? toErpAttachment(row) : null;
  }

  async getAttachments(ids: number[]): Promise<ErpAttachment[]> {
    const out: ErpAttachment[] = [];
    for (const chunk of chunks(ids, 5000)) {
      const rows = await this.db.select().from(erpAttachments).where(inArray(erpAttachments.id, chunk));
      out.push(...rows.map(toErpAttachment));
    }
    return out;
  }

  async openContent(id: number, known?: Pick<ErpAttachment, 'storeRef' | 'size'>): Promise<{ stream: Readable; size: number }> {
    // A batch that just read the row opens the blob directly; a missing blob fails the stream.
    if (known?.storeRef) return { stream: this.filestore.read(known.storeRef), size: known.size };
    const [row] = await this.db.select().from(erpAttachments).where(eq(erpAttachments.id, id));
    if (!row) throw new ErpError('not_found', `Attachment ${id} does not exist`);
    if (row.type !== 'binary' || !row.storeFname) throw new ErpError('invalid', `Attachment ${id} has no binary content in the ERP`);
    if (!(await this.filestore.exists(row.storeFname))) throw new ErpError('not_found', `The binary of attachment ${id} is missing from the filestore`);
    return { stream: this.filestore.read(row.storeFname), size: row.fileSize };
  }

  async replaceWithUrl(id: number, url: string): Promise<void> {
    const err = (await this.replaceManyWithUrl([{ id, url }])).get(id);
    if (err) throw err;
  }

  /**
   * Releases a batch in one transaction: each binary attachment becomes a URL attachment
   * (one already a URL attachment with this link is success: idempotent). Then, as with
   * Odoo, each is read back: a release counts only when the binary is really gone. Blobs
   * no row uses any more are removed last.
   */
  async replaceManyWithUrl(items: { id: number; url: string }[]): Promise<Map<number, Error>> {
    const errors = new Map<number, Error>();
    if (items.length === 0) return errors;
    const wanted = new Map(items.map((i) => [i.id, i.url]));
    const released = await this.db.transaction(async (tx) => {
      const rows = await tx.select().from(erpAttachments).where(inArray(erpAttachments.id, [...wanted.keys()])).for('update');
      for (const row of rows) {
        if (row.type === 'url' && row.url !== wanted.get(row.id)) errors.set(row.id, new ErpError('invalid', `Attachment ${row.id} is already a URL attachment with another link`));
      }
      const binaries = rows.filter((r) => r.type === 'binary');
      if (binaries.length) {
        const values = sql.join(binaries.map((r) => sql`(${r.id}::int, ${wanted.get(r.id)!}::text)`), sql`, `);
        await tx.execute(sql`update erp_attachments a set type = 'url', url = v.url, store_fname = null, write_date = now()
          from (values ${values}) as v(id, url) where a.id = v.id`);
      }
      return binaries.map((r) => r.storeFname).filter((f): f is string => !!f);
    });
    const after = new Map((await this.db.select().from(erpAttachments).where(inArray(erpAttachments.id, [...wanted.keys()]))).map((r) => [r.id, r]));
    for (const [id, url] of wanted) {
      if (errors.has(id)) continue;
      const row = after.get(id);
      if (!row) errors.set(id, new ErpError('not_found', `Attachment ${id} does not exist`));
      else if (row.type !== 'url' || row.storeFname !== null || row.url !== url) errors.set(id, new ErpError('unavailable', `Attachment ${id} did not become a URL attachment`));
    }
    if (released.length) {
      // One query for the whole batch: which of the released blobs another row still uses.
      const used = await this.db.select({ f: erpAttachments.storeFname }).from(erpAttachments).where(inArray(erpAttachments.storeFname, released));
      const stillUsed = new Set(used.map((u) => u.f));
      for (const fname of new Set(released)) if (!stillUsed.has(fname)) await this.filestore.remove(fname);
    }
    return errors;
  }

  async createUrlAttachment(input: { resModel: string; resId: number; name: string; url: string; mimetype: string; size: number; isFolder: boolean }): Promise<ErpAttachment> {
    const [existing] = await this.db.select().from(erpAttachments)
      .where(and(eq(erpAttachments.resModel, input.resModel), eq(erpAttachments.resId, input.resId), eq(erpAttachments.type, 'url'), eq(erpAttachments.url, input.url)));
    if (existing) return toErpAttachment(existing);
    const [row] = await this.db.insert(erpAttachments).values({
      resModel: input.resModel, resId: input.resId, name: input.name, type: 'url', url: input.url,
      isFolder: input.isFolder, mimetype: input.mimetype, fileSize: input.size,
    }).returning();
    return toErpAttachment(row!);
  }

  async updateAttachment(id: number, values: { name?: string; resModel?: string; resId?: number; size?: number; mimetype?: string; url?: string }): Promise<ErpAttachment | null> {
    const { size, ...rest } = values;
    const [row] = await this.db.update(erpAttachments)
      .set({ ...rest, ...(size !== undefined ? { fileSize: size } : {}), writeDate: sql`now()` })
      .where(eq(erpAttachments.id, id)).returning();
    return row ? toErpAttachment(row) : null;
  }

  async unlinkAttachment(id: number): Promise<void> {
    await this.deleteAttachment(id);
  }

  async relinkAttachment(id: number, url: string): Promise<void> {
    await this.db.update(erpAttachments).set({ url, writeDate: sql`now()` })
      .where(and(eq(erpAttachments.id, id), eq(erpAttachments.type, 'url')));
  }

  /** Content-addressed blobs are shared by identical files: remove one only when no row uses it. */
  private async releaseBlobIfUnused(fname: string): Promise<void> {
    const [{ n }] = await this.db.select({ n: sql<number>`count(*)::int` }).from(erpAttachments).where(eq(erpAttachments.storeFname, fname)) as [{ n: number }];
    if (n === 0) await this.filestore.remove(fname);
  }

  // --- Store management, behind the HTTP API's /api/records routes -----------------------

  async createRecord(model: string, name: string, fields: Record<string, unknown>): Promise<ErpRecord> {
    const [row] = await this.db.insert(erpRecords).values({ model, name, fields }).returning();
    return toErpRecord(row!);
  }

  async getRecord(model: string, id: number): Promise<ErpRecord | null> {
    const [row] = await this.db.select().from(erpRecords).where(and(eq(erpRecords.model, model), eq(erpRecords.id, id)));
    return row ? toErpRecord(row) : null;
  }

  async addAttachment(input: { resModel: string; resId: number; name: string; mimetype?: string; content: Readable; maxBytes?: number }): Promise<ErpAttachment> {
    const blob = await this.filestore.write(input.content, input.maxBytes);
    try {
      const [row] = await this.db.insert(erpAttachments).values({
        resModel: input.resModel,
        resId: input.resId,
        name: input.name,
        type: 'binary',
        mimetype: input.mimetype && input.mimetype !== 'application/octet-stream' ? input.mimetype : guessMimetype(input.name),
        fileSize: blob.size,
        checksum: blob.checksum,
        storeFname: blob.fname,
      }).returning();
      return toErpAttachment(row!);
    } catch (err) {
      await this.releaseBlobIfUnused(blob.fname);
      throw err;
    }
  }

  /** Odoo's `write`: the given values change, `write_date` moves on. Fields merge into the stored ones. */
  async updateRecord(model: string, id: number, values: { name?: string; fields?: Record<string, unknown> }): Promise<ErpRecord | null> {
    const [row] = await this.db.update(erpRecords).set({
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.fields !== undefined ? { fields: sql`${erpRecords.fields} || ${JSON.stringify(values.fields)}::jsonb` } : {}),
      writeDate: sql`now()`,
    }).where(and(eq(erpRecords.model, model), eq(erpRecords.id, id))).returning();
    return row ? toErpRecord(row) : null;
  }

  /** Odoo's `unlink`: the record goes with its attachments (Odoo's BaseModel.unlink does the same). */
  async deleteRecord(model: string, id: number): Promise<boolean> {
    const { deleted, blobs } = await this.db.transaction(async (tx) => {
      const gone = await tx.delete(erpAttachments).where(and(eq(erpAttachments.resModel, model), eq(erpAttachments.resId, id))).returning({ storeFname: erpAttachments.storeFname });
      const rows = await tx.delete(erpRecords).where(and(eq(erpRecords.model, model), eq(erpRecords.id, id))).returning({ id: erpRecords.id });
      return { deleted: rows.length > 0, blobs: gone.map((g) => g.storeFname).filter((f): f is string => !!f) };
    });
    for (const fname of new Set(blobs)) await this.releaseBlobIfUnused(fname);
    return deleted;
  }

  async renameAttachment(id: number, name: string): Promise<ErpAttachment | null> {
    const [row] = await this.db.update(erpAttachments).set({ name, writeDate: sql`now()` }).where(eq(erpAttachments.id, id)).returning();
    return row ? toErpAttachment(row) : null;
  }

  async deleteAttachment(id: number): Promise<boolean> {
    const [row] = await this.db.delete(erpAttachments).where(eq(erpAttachments.id, id)).returning();
    if (row?.storeFname) await this.releaseBlobIfUnused(row.storeFname);
    return !!row;
  }

  async listRecordAttachments(resModel: string, resId: number): Promise<AttachmentRow[]> {
    return this.db.select().from(erpAttachments)
      .where(and(eq(erpAttachments.resModel, resModel), eq(erpAttachments.resId, resId)))
      .orderBy(asc(erpAttachments.id));
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

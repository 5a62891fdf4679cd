/**
 * The ERP the syncs work with now: the builtin store, or the Odoo saved and confirmed
 * through `PUT /api/erp` + `POST /api/erp/confirm`. Read from Postgres (a short cache), so
 * a change made through the API reaches every worker process within seconds; an Odoo that
 * is saved but not confirmed stops the syncs with a clear error instead of silently
 * syncing the builtin store.
 */
import type { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { erpConnection } from '../db/schema.js';
import type { DocumentsShape } from '../domain/documents.js';
import type { DomainTerm, ErpAttachment, ErpRecord } from '../domain/types.js';
import type { SecretBox } from '../secrets/index.js';
import type { BuiltinErp } from './builtin/store.js';
import { OdooErp } from './odoo/adapter.js';
import { ErpError, type ErpPort } from './port.js';

const CACHE_MS = 2000;

export class CurrentErp implements ErpPort {
  private cache: { at: number; key: string; erp: ErpPort | Error } | null = null;

  constructor(private readonly db: Db, private readonly secrets: SecretBox, private readonly builtin: BuiltinErp) {}

  /** The kind in use at the last look ('builtin' before any). */
  get kind(): 'builtin' | 'odoo' {
    const erp = this.cache?.erp;
    return erp && !(erp instanceof Error) ? erp.kind : 'builtin';
  }

  async current(): Promise<ErpPort> {
    if (!this.cache || Date.now() - this.cache.at > CACHE_MS) {
      const [row] = await this.db.select().from(erpConnection).where(eq(erpConnection.id, 1));
      const key = row ? `${row.state}:${row.updatedAt.toISOString()}` : 'builtin';
      if (this.cache?.key !== key) {
        const erp = !row ? this.builtin
          : row.state !== 'confirmed'
            ? new ErpError('invalid', `The Odoo connection (${row.url}, database ${row.database}) is ${row.state === 'error' ? `in error: ${row.lastError}` : 'saved but not confirmed'}: run POST /api/erp/confirm, or PUT /api/erp {"kind": "builtin"}`)
            : new OdooErp({ url: row.url, database: row.database, username: row.username, apiKey: this.secrets.open(row.apiKeySealed) });
        this.cache = { at: Date.now(), key, erp };
      } else {
        this.cache.at = Date.now();
      }
    }
    const erp = this.cache.erp;
    if (erp instanceof Error) throw erp;
    return erp;
  }

  async identity(): Promise<string> { return (await this.current()).identity(); }
  async searchRecords(model: string, domain: DomainTerm[], opts?: { fields?: string[] }): Promise<ErpRecord[]> { return (await this.current()).searchRecords(model, domain, opts); }
  async checkSearch(model: string, paths: { filter: string[]; read: string[]; operators?: string[] }): Promise<string | null> { return (await this.current()).checkSearch(model, paths); }
  async listAttachments(resModel: string, resIds: number[], opts?: { changedSince?: string }): Promise<ErpAttachment[]> { return (await this.current()).listAttachments(resModel, resIds, opts); }
  async existingRecordIds(model: string, ids: number[]): Promise<Set<number>> { return (await this.current()).existingRecordIds(model, ids); }
  async existingAttachmentIds(ids: number[]): Promise<Set<number>> { return (await this.current()).existingAttachmentIds(ids); }
  async getAttachment(id: number): Promise<ErpAttachment | null> { return (await this.current()).getAttachment(id); }
  async getAttachments(ids: number[]): Promise<ErpAttachment[]> { return (await this.current()).getAttachments(ids); }
  async openContent(id: number, known?: Pick<ErpAttachment, 'storeRef' | 'size'>): Promise<{ stream: Readable; size: number }> { return (await this.current()).openContent(id, known); }
  async replaceWithUrl(id: number, url: string): Promise<void> { return (await this.current()).replaceWithUrl(id, url); }
  async replaceManyWithUrl(items: { id: number; url: string }[]): Promise<Map<number, Error>> { return (await this.current()).replaceManyWithUrl(items); }
  async createUrlAttachment(input: Parameters<ErpPort['createUrlAttachment']>[0]): Promise<ErpAttachment> { return (await this.current()).createUrlAttachment(input); }
  async updateAttachment(id: number, values: Parameters<ErpPort['updateAttachment']>[1]): Promise<ErpAttachment | null> { return (await this.current()).updateAttachment(id, values); }
  async unlinkAttachment(id: number): Promise<void> { return (await this.current()).unlinkAttachment(id); }
  async relinkAttachment(id: number, url: string): Promise<void> { return (await this.current()).relinkAttachment(id, url); }
  async documents(): Promise<{ shape: DocumentsShape } | null> {
    const erp = await this.current();
    return erp.documents ? erp.documents() : null;
  }
}

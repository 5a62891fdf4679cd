/**
 * The ERP port on a real Odoo (14-19), over its external API (src/erp/odoo/client.ts).
 * What it relies on, each shown by the recorded Odoo 17 exchanges (test/fixtures/odoo):
 * - records are read by keyset paging on id, named by `display_name` (readable, never
 *   searched: a display_name leaf is silently ignored by Odoo 17);
 * - `write_date` comes back in UTC, 'YYYY-MM-DD HH:MM:SS', truncated to the second, so
 *   change detection asks `>=` with an overlap (the caller's cursor already has one);
 * - attachments are `ir.attachment` rows with `res_model`/`res_id` (Odoo adds the
 *   implicit `res_field = False`, so field binaries such as avatars never show), listed
 *   with `bin_size` so no content travels;
 * - content streams from `/web/content/<id>` with a token from `generate_access_token`,
 *   falling back to `datas` (base64, whole) where the route answers otherwise;
 * - `write({type: 'url', url})` alone keeps the binary; `raw: false` clears it (14-19),
 *   and a read-back must show `store_fname` empty and `file_size` 0 before a release is done;
 * - `read` drops missing ids silently, `write` on a missing attachment answers true, and
 *   `unlink` of a missing one is a MissingError: each is turned into the port's meaning.
 */
import { erpIdentity } from '../identity.js';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DomainTerm, ErpAttachment, ErpRecord } from '../../domain/types.js';
import { DOCUMENTS_MODEL, documentIdOfUrlAttachment, isUrlDocumentAttachmentId, type DocumentsShape } from '../../domain/documents.js';
import { ErpError, type ErpPort } from '../port.js';
import { OdooClient, OdooError, type OdooSettings } from './client.js';
import { OdooDocuments } from './documents.js';
import { chunks, isoToOdooDate, odooDateToIso } from './values.js';


const PAGE = 1000;
const ATTACHMENT_FIELDS = ['name', 'type', 'url', 'mimetype', 'file_size', 'checksum', 'store_fname', 'res_model', 'res_id'];
/** Folder links (backward sync) are URL attachments with this mimetype. */
export const FOLDER_MIMETYPE = 'inode/directory';
/**
 * Mimetypes Odoo's viewer opens from the attachment's URL: a URL attachment keeping one
 * would have Odoo fetch the cloud's HTML page as a PDF or an image, and show garbage.
 */
const PREVIEWED = /^(application\/pdf|image\/|video\/|audio\/)/;

interface AttachmentRow {
  id: number; name: string; type: 'binary' | 'url'; url: string | false; mimetype: string | false; file_size: number;
  checksum: string | false; store_fname: string | false; res_model: string | false; res_id: number | false;
}

export class OdooErp implements ErpPort {
  readonly kind = 'odoo' as const;
  readonly client: OdooClient;

  private readonly page: number;
  /** Enterprise Documents, as the virtual model `documents.folder` (src/erp/odoo/documents.ts). */
  private readonly docs: OdooDocuments;

  constructor(private readonly settings: OdooSettings, opts: { pageSize?: number } = {}) {
    this.client = new OdooClient(settings);
    this.page = opts.pageSize ?? PAGE;
    this.docs = new OdooDocuments((model, method, o) => this.call(model, method, o), (ids) => this.readAttachmentRows(ids));
  }

  async identity(): Promise<string> {
    return erpIdentity(this.settings);
  }

  async documents(): Promise<{ shape: DocumentsShape } | null> {
    const shape = await this.docs.shape();
    return shape ? { shape } : null;
  }

  async searchRecords(model: string, domain: DomainTerm[], opts: { fields?: string[] } = {}): Promise<ErpRecord[]> {
    if (model === DOCUMENTS_MODEL) return this.docs.searchFolders(domain);
    const paths = (opts.fields ?? []).filter((p) => !['id', 'display_name', 'write_date'].includes(p));
    const heads = [...new Set(paths.map((p) => p.split('.')[0]!))];
    const out: ErpRecord[] = [];
    for (let last = 0; ;) {
      const rows = await this.call<Array<Record<string, unknown> & { id: number }>>(model, 'search_read', {
        kwargs: { domain: [...domain, ['id', '>', last]], fields: ['display_name', 'write_date', ...heads], order: 'id asc', limit: this.page },
      });
      await this.expand(model, rows, paths);
      for (const r of rows) {
        const { id, display_name: displayName, write_date: writeDate, ...fields } = r;
        out.push({ model, id, displayName: typeof displayName === 'string' ? displayName : `${model},${id}`, fields, writeDate: odooDateToIso(writeDate) });
      }
      if (rows.length < this.page) return out;
      last = rows[rows.length - 1]!.id;
    }
  }

  /**
   * Dotted paths through many-to-one fields: `partner_id` comes as `[id, display_name]`;
   * for `partner_id.country_id.name` the related records are read (once per page and
   * model) and the value becomes `{id, display_name, country_id: {...}}`.
   */
  private async expand(model: string, rows: Array<Record<string, unknown>>, paths: string[]): Promise<void> {
    const deeper = new Map<string, string[]>();
    for (const p of paths) {
      const [head, ...rest] = p.split('.');
      if (rest.length) deeper.set(head!, [...(deeper.get(head!) ?? []), rest.join('.')]);
    }
    if (deeper.size === 0) return;
    const relations = await this.relationsOf(model);
    for (const [head, subPaths] of deeper) {
      const relation = relations.get(head);
      if (!relation) continue; // not a many-to-one: the path reads nothing, as the expression would
      const ids = [...new Set(rows.map((r) => (Array.isArray(r[head]) ? Number((r[head] as unknown[])[0]) : null)).filter((v): v is number => v !== null))];
      const subHeads = [...new Set(subPaths.map((p) => p.split('.')[0]!))];
      const related = ids.length ? await this.call<Array<Record<string, unknown> & { id: number }>>(relation, 'read', { ids, kwargs: { fields: ['display_name', ...subHeads] } }) : [];
      await this.expand(relation, related, subPaths);
      const byId = new Map(related.map((r) => [r.id, r]));
      for (const r of rows) {
        const v = r[head];
        if (Array.isArray(v)) r[head] = byId.get(Number(v[0])) ?? { id: v[0], display_name: v[1] };
      }
    }
  }

  private readonly relationCache = new Map<string, Map<string, string>>();

  private async relationsOf(model: string): Promise<Map<string, string>> {
    const cached = this.relationCache.get(model);
    if (cached) return cached;
    const fields = await this.call<Record<string, { type?: string; relation?: string }>>(model, 'fields_get', { kwargs: { attributes: ['type', 'relation'] } });
    const map = new Map(Object.entries(fields).filter(([, f]) => f.type === 'many2one' && f.relation).map(([name, f]) => [name, f.relation!]));
    this.relationCache.set(model, map);
    return map;
  }

  async checkSearch(model: string, paths: { filter: string[]; read: string[] }): Promise<string | null> {
    let fields: Record<string, { type?: string; relation?: string; searchable?: boolean; store?: boolean }>;
    const describe = async (m: string) => this.call<typeof fields>(m, 'fields_get', { kwargs: { attributes: ['type', 'relation', 'store'] } });
    try {
      fields = await describe(model);
    } catch (err) {
      if (err instanceof ErpError && err.code === 'invalid') return `Odoo has no model ${model} (or it cannot be read): ${err.message}`;
      throw err;
    }
    const { major } = await this.client.version();
    for (const [path, filtering] of [...paths.filter.map((p) => [p, true] as const), ...paths.read.map((p) => [p, false] as const)]) {
      const segments = path.split('.');
      let here = fields;
      let at = model;
      for (const [i, name] of segments.entries()) {
        if (name === 'id') break;
        const f = here[name];
        if (!f) return `${at} has no field ${name}${segments.length > 1 ? ` (in ${path})` : ''}`;
        // Odoo 17 ignores a leaf on display_name without a word (recorded): it would widen the search.
        if (filtering && name === 'display_name' && major < 18) return `display_name cannot be searched in Odoo ${major} (a filter on it is silently ignored): filter on name (or complete_name) instead`;
        if (i < segments.length - 1) {
          if (!f.relation) return `${at}.${name} is not a relation, so ${path} reads nothing`;
          at = f.relation;
          here = await describe(f.relation);
        }
      }
    }
    return null;
  }

  async listAttachments(resModel: string, resIds: number[], opts: { changedSince?: string } = {}): Promise<ErpAttachment[]> {
    if (resModel === DOCUMENTS_MODEL) return this.docs.listFiles(resIds, opts.changedSince);
    const out: ErpAttachment[] = [];
    for (const chunk of chunks(resIds, PAGE)) {
      const domain: unknown[] = [['res_model', '=', resModel], ['res_id', 'in', chunk]];
      if (opts.changedSince) domain.push(['write_date', '>=', isoToOdooDate(opts.changedSince)]);
      for (let last = 0; ;) {
        const rows = await this.readAttachments([...domain, ['id', '>', last]]);
        out.push(...rows);
        if (rows.length < this.page) break;
        last = rows[rows.length - 1]!.id;
      }
    }
    return out;
  }

  async existingRecordIds(model: string, ids: number[]): Promise<Set<number>> {
    if (model === DOCUMENTS_MODEL) return this.docs.existingFolderIds(ids);
    const found = new Set<number>();
    // Archived records still exist: they are not deletions.
    for (const chunk of chunks(ids, PAGE)) {
      for (const id of await this.call<number[]>(model, 'search', { kwargs: { domain: [['id', 'in', chunk]], context: { active_test: false } } })) found.add(id);
    }
    return found;
  }

  async existingAttachmentIds(ids: number[]): Promise<Set<number>> {
    const urlDocuments = ids.filter(isUrlDocumentAttachmentId);
    const found = urlDocuments.length ? await this.docs.existingUrlDocuments(urlDocuments) : new Set<number>();
    const ofDocuments: number[] = [];
    for (const chunk of chunks(ids.filter((id) => !isUrlDocumentAttachmentId(id)), PAGE)) {
      const rows = await this.call<Array<{ id: number; res_model: string | false }>>('ir.attachment', 'search_read', { kwargs: { domain: [['id', 'in', chunk]], fields: ['res_model'] } });
      for (const r of rows) {
        found.add(r.id);
        if (r.res_model === 'documents.document') ofDocuments.push(r.id);
      }
    }
    // A document deleted in Odoo takes its file with it (the manual: "If you delete a URL
    // document from Odoo, it will also be deleted from the Cloud Client").
    if (ofDocuments.length && (await this.docs.shape())) for (const id of await this.docs.withoutDocument(ofDocuments)) found.delete(id);
    return found;
  }

  async getAttachment(id: number): Promise<ErpAttachment | null> {
    return (await this.getAttachments([id]))[0] ?? null;
  }

  async getAttachments(ids: number[]): Promise<ErpAttachment[]> {
    const raw = await this.readAttachmentRows(ids.filter((id) => !isUrlDocumentAttachmentId(id)));
    const viewed = await this.docs.view(raw, ids.filter(isUrlDocumentAttachmentId).map(documentIdOfUrlAttachment));
    return viewed.sort((a, b) => a.id - b.id);
  }

  /** ir.attachment rows as they are, without the Documents view. */
  private async readAttachmentRows(ids: number[]): Promise<ErpAttachment[]> {
    const out: ErpAttachment[] = [];
    for (const chunk of chunks(ids, PAGE)) {
      const rows = await this.call<AttachmentRow[]>('ir.attachment', 'read', { ids: chunk, kwargs: { fields: ATTACHMENT_FIELDS, context: { bin_size: true } } });
      out.push(...rows.map(toAttachment));
    }
    return out.sort((a, b) => a.id - b.id);
  }

  async openContent(id: number): Promise<{ stream: Readable; size: number }> {
    const a = await this.getAttachment(id);
    if (!a) throw new ErpError('not_found', `Attachment ${id} does not exist in Odoo`);
    if (a.type !== 'binary') throw new ErpError('invalid', `Attachment ${id} has no binary content in Odoo (it is a URL attachment)`);
    // Streamed from /web/content with an access token: never whole in memory.
    const [token] = await this.call<string[]>('ir.attachment', 'generate_access_token', { ids: [id] });
    const url = new URL(`web/content/${id}`, this.settings.url.replace(/\/+$/, '') + '/');
    url.search = new URLSearchParams({ access_token: String(token), download: 'true' }).toString();
    const res = await (this.settings.fetch ?? fetch)(url, { redirect: 'manual' }).catch(() => null);
    if (res?.status === 200 && res.body) {
      return { stream: Readable.fromWeb(res.body as unknown as WebReadableStream), size: Number(res.headers.get('content-length') ?? a.size) };
    }
    await res?.body?.cancel();
    // Fallback: the content over RPC, base64 (held in memory: only when streaming is not possible).
    const [row] = await this.call<Array<{ datas: string | false }>>('ir.attachment', 'read', { ids: [id], kwargs: { fields: ['datas'] } });
    if (!row || typeof row.datas !== 'string') throw new ErpError('not_found', `Attachment ${id} has no content in Odoo`);
    const bytes = Buffer.from(row.datas, 'base64');
    return { stream: Readable.from([bytes]), size: bytes.length };
  }

  async replaceWithUrl(id: number, url: string): Promise<void> {
    const err = (await this.replaceManyWithUrl([{ id, url }])).get(id);
    if (err) throw err;
  }

  async replaceManyWithUrl(items: { id: number; url: string }[]): Promise<Map<number, Error>> {
    const errors = new Map<number, Error>();
    const current = new Map((await this.getAttachments(items.map((i) => i.id))).map((a) => [a.id, a]));
    for (const { id, url } of items) {
      const a = current.get(id);
      try {
        if (!a) throw new ErpError('not_found', `Attachment ${id} does not exist in Odoo`);
        if (a.type === 'url' && a.url !== url) throw new ErpError('invalid', `Attachment ${id} is already a URL attachment with another link`);
        if (!(a.type === 'url' && !a.storeRef && a.size === 0)) {
          const vals: Record<string, unknown> = { type: 'url', url, raw: false };
          if (PREVIEWED.test(a.mimetype)) vals.mimetype = 'application/octet-stream';
          else vals.mimetype = a.mimetype;
          await this.call('ir.attachment', 'write', { ids: [id], kwargs: { vals } });
        }
        // Never reported done on Odoo's word alone: the binary must be gone.
        const [after] = await this.call<AttachmentRow[]>('ir.attachment', 'read', { ids: [id], kwargs: { fields: ['type', 'url', 'store_fname', 'file_size'], context: { bin_size: true } } });
        if (!after || after.type !== 'url' || after.url !== url || after.store_fname || after.file_size !== 0) {
          throw new ErpError('unavailable', `Attachment ${id} did not become a URL attachment in Odoo (store_fname ${JSON.stringify(after?.store_fname ?? null)}, file_size ${after?.file_size ?? 'unknown'}): the binary is kept, the release will be retried`);
        }
      } catch (err) {
        errors.set(id, err instanceof Error ? toErpError(err) : new Error(String(err)));
      }
    }
    return errors;
  }

  async createUrlAttachment(input: { resModel: string; resId: number; name: string; url: string; mimetype: string; size: number; isFolder: boolean }): Promise<ErpAttachment> {
    // In a Documents folder, what appears in the cloud becomes a URL document (the manual).
    if (input.resModel === DOCUMENTS_MODEL) return this.docs.createUrlDocument({ folderId: input.resId, name: input.name, url: input.url });
    const [existing] = await this.readAttachments([['res_model', '=', input.resModel], ['res_id', '=', input.resId], ['type', '=', 'url'], ['url', '=', input.url]]);
    if (existing) return existing;
    const mimetype = input.isFolder ? FOLDER_MIMETYPE : PREVIEWED.test(input.mimetype) ? 'application/octet-stream' : input.mimetype;
    const id = await this.call<number>('ir.attachment', 'create', {
      kwargs: { vals_list: [{ name: input.name, type: 'url', url: input.url, res_model: input.resModel, res_id: input.resId, mimetype }] },
    }).then((r) => (Array.isArray(r) ? r[0] : r) as number);
    const made = await this.getAttachment(id);
    if (!made) throw new ErpError('unavailable', `Odoo made attachment ${id} but does not show it`);
    return made;
  }

  async updateAttachment(id: number, values: { name?: string; resModel?: string; resId?: number; size?: number; mimetype?: string; url?: string }): Promise<ErpAttachment | null> {
    const document = await this.docs.documentOf(id);
    const intoDocuments = values.resModel === DOCUMENTS_MODEL;
    if (document !== null) {
      if (values.resModel !== undefined && !intoDocuments) {
        throw new ErpError('invalid', `Attachment ${id} is a document of Odoo's Documents app: it can move between Documents folders only, not to ${values.resModel},${values.resId} (move it back under "Odoo Docs" in the cloud)`);
      }
      const url = isUrlDocumentAttachmentId(id) ? values.url : undefined;
      if (!(await this.docs.updateDocument(document, { name: values.name, folderId: intoDocuments ? values.resId : undefined, url }))) return null;
      if (isUrlDocumentAttachmentId(id)) return this.getAttachment(id);
      values = { ...values, resModel: undefined, resId: undefined }; // the file's attachment: name and link only
    } else if (intoDocuments) {
      throw new ErpError('invalid', `Attachment ${id} belongs to a record, not to Odoo's Documents app: it cannot move into a Documents folder (move it back in the cloud)`);
    }
    const vals: Record<string, unknown> = {};
    if (values.name !== undefined) vals.name = values.name;
    if (values.resModel !== undefined) vals.res_model = values.resModel;
    if (values.resId !== undefined) vals.res_id = values.resId;
    if (values.url !== undefined) vals.url = values.url;
    if (values.mimetype !== undefined) vals.mimetype = PREVIEWED.test(values.mimetype) ? 'application/octet-stream' : values.mimetype;
    // (file_size is computed by Odoo from the binary; a URL attachment's stays 0.)
    if (Object.keys(vals).length > 0) {
      try {
        await this.call('ir.attachment', 'write', { ids: [id], kwargs: { vals } });
      } catch (err) {
        if (err instanceof ErpError && err.code === 'not_found') return null;
        throw err;
      }
    }
    // A write on a missing attachment answers true: only the read-back tells.
    return this.getAttachment(id);
  }

  async unlinkAttachment(id: number): Promise<void> {
    // A document's file goes with its document (the manual: a file deleted in the cloud deletes the linked document).
    const document = await this.docs.documentOf(id);
    if (document !== null) await this.docs.unlinkDocument(document);
    if (isUrlDocumentAttachmentId(id)) return;
    try {
      await this.call('ir.attachment', 'unlink', { ids: [id] });
    } catch (err) {
      if (err instanceof ErpError && err.code === 'not_found') return; // already gone: success
      throw err;
    }
  }

  async relinkAttachment(id: number, url: string): Promise<void> {
    if (isUrlDocumentAttachmentId(id)) {
      await this.docs.updateDocument(documentIdOfUrlAttachment(id), { url });
      return;
    }
    await this.call('ir.attachment', 'write', { ids: [id], kwargs: { vals: { url } } });
  }

  private readAttachments(domain: unknown[]): Promise<ErpAttachment[]> {
    return this.call<AttachmentRow[]>('ir.attachment', 'search_read', {
      kwargs: { domain, fields: ATTACHMENT_FIELDS, order: 'id asc', limit: this.page, context: { bin_size: true } },
    }).then((rows) => rows.map(toAttachment));
  }

  private async call<T>(model: string, method: string, opts: Parameters<OdooClient['call']>[2]): Promise<T> {
    try {
      return await this.client.call<T>(model, method, opts);
    } catch (err) {
      throw toErpError(err);
    }
  }
}

function toAttachment(r: AttachmentRow): ErpAttachment {
  const mimetype = r.mimetype || 'application/octet-stream';
  return {
    id: r.id, resModel: r.res_model || '', resId: r.res_id || 0, name: r.name, type: r.type, url: r.url || null,
    isFolder: r.type === 'url' && mimetype === FOLDER_MIMETYPE, mimetype, size: Number(r.file_size) || 0,
    checksum: r.checksum || null, storeRef: r.store_fname || null,
  };
}

/** Odoo's failures in the port's terms; Odoo's own message kept. */
export function toErpError(err: unknown): Error {
  if (!(err instanceof OdooError)) return err instanceof Error ? err : new Error(String(err));
  const code = err.kind === 'missing_record' ? 'not_found'
    : err.kind === 'access_denied' || err.kind === 'access_error' ? 'access_denied'
    : err.retryable ? 'unavailable' : 'invalid';
  const e = new ErpError(code, err.message);
  (e as { cause?: unknown }).cause = err;
  return e;
}

export type { OdooSettings };

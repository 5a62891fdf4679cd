/**
 * Enterprise Documents on Odoo, as the ERP port's virtual model `documents.folder`
 * (src/domain/documents.ts): folders are its records, the files of a folder's documents
 * its attachments, and a URL document made by the backward sync an attachment with a
 * negated id.
 *
 * What it relies on (Documents is Odoo Enterprise: none of this is in the recorded
 * exchanges, it is read from Odoo's documented models and checked against the emulator
 * only; the README says so):
 * - 16/17: `documents.folder` (`name`, `parent_folder_id`) and `documents.document`
 *   (`name`, `folder_id`, `attachment_id`, `type` binary/url/empty, `url`);
 * - 18 and later: no `documents.folder`; a folder is a `documents.document` of type
 *   `folder`, and `folder_id` is the folder it is in (for folders too);
 * - which of the two: `documents.document.folder_id`'s relation, from one `fields_get`;
 * - a document's file is its `attachment_id`, an `ir.attachment` like any other (so its
 *   upload, verification and release are the attachments'); spreadsheets are JSON
 *   attachments with mimetype `application/o-spreadsheet` and are left alone.
 */
import {
  DOCUMENTS_MODEL, SPREADSHEET_MIMETYPES, documentIdOfUrlAttachment, isUrlDocumentAttachmentId, urlDocumentAttachmentId,
  type DocumentsShape,
} from '../../domain/documents.js';
import type { DomainTerm, ErpAttachment, ErpRecord } from '../../domain/types.js';
import { ErpError } from '../port.js';
import { chunks, isoToOdooDate, odooDateToIso } from './values.js';

type Call = <T>(model: string, method: string, opts: { ids?: number[]; kwargs?: Record<string, unknown> }) => Promise<T>;
type Many2one = [number, string] | false;
interface DocumentRow { id: number; name: string | false; folder_id: Many2one; attachment_id: Many2one; type: string; url: string | false; write_date?: string }

const PAGE = 1000;
/** How long a detection holds: an admin installing the app is seen within this. */
const DETECT_TTL_MS = 5 * 60 * 1000;
const many2oneId = (v: Many2one | undefined) => (Array.isArray(v) ? v[0] : null);

/** Which shape the Odoo keeps Documents in, or null when it has no Documents app (or the user may not read it). */
export async function detectDocuments(call: Call): Promise<DocumentsShape | null> {
  try {
    const fields = await call<Record<string, { relation?: string }>>('documents.document', 'fields_get', { kwargs: { allfields: ['folder_id'], attributes: ['relation'] } });
    const relation = fields.folder_id?.relation;
    if (!relation) return null;
    const shape: DocumentsShape = relation === 'documents.folder' ? 'folders' : 'documents';
    // fields_get needs no read right: a user who may not read the folders has no Documents to sync.
    await call('documents.document', 'search_count', { kwargs: { domain: [['id', '=', 0]] } });
    if (shape === 'folders') await call('documents.folder', 'search_count', { kwargs: { domain: [['id', '=', 0]] } });
    return shape;
  } catch (err) {
    if (err instanceof ErpError && (err.code === 'invalid' || err.code === 'access_denied')) return null;
    throw err;
  }
}

export class OdooDocuments {
  private detected: { shape: DocumentsShape | null; at: number } | null = null;

  constructor(private readonly call: Call, private readonly readAttachments: (ids: number[]) => Promise<ErpAttachment[]>) {}

  async shape(): Promise<DocumentsShape | null> {
    if (this.detected && Date.now() - this.detected.at < DETECT_TTL_MS) return this.detected.shape;
    const shape = await detectDocuments(this.call);
    this.detected = { shape, at: Date.now() };
    return shape;
  }

  private async required(): Promise<DocumentsShape> {
    const shape = await this.shape();
    if (!shape) throw new ErpError('invalid', 'This Odoo has no Documents app (documents.document), so there are no Documents folders to sync');
    return shape;
  }

  /** The folder model and the domain that picks folders in it. */
  private async folderModel(): Promise<{ model: string; folders: DomainTerm[]; parentField: string }> {
    return (await this.required()) === 'folders'
      ? { model: 'documents.folder', folders: [], parentField: 'parent_folder_id' }
      : { model: 'documents.document', folders: [['type', '=', 'folder']], parentField: 'folder_id' };
  }

  async searchFolders(domain: DomainTerm[]): Promise<ErpRecord[]> {
    const { model, folders, parentField } = await this.folderModel();
    const out: ErpRecord[] = [];
    for (let last = 0; ;) {
      const rows = await this.call<Array<{ id: number; name: string | false; write_date: string } & Record<string, unknown>>>(model, 'search_read', {
        kwargs: { domain: [...folders, ...domain, ['id', '>', last]], fields: ['name', 'write_date', parentField], order: 'id asc', limit: PAGE },
      });
      for (const r of rows) {
        out.push({
          model: DOCUMENTS_MODEL, id: r.id, displayName: r.name || `Folder ${r.id}`, fields: { name: r.name },
          writeDate: odooDateToIso(r.write_date), parentId: many2oneId(r[parentField] as Many2one),
        });
      }
      if (rows.length < PAGE) return out;
      last = rows[rows.length - 1]!.id;
    }
  }

  async existingFolderIds(ids: number[]): Promise<Set<number>> {
    const { model, folders } = await this.folderModel();
    const found = new Set<number>();
    for (const chunk of chunks(ids, PAGE)) {
      // Archived folders still exist: they are not deletions.
      for (const id of await this.call<number[]>(model, 'search', { kwargs: { domain: [...folders, ['id', 'in', chunk]], context: { active_test: false } } })) found.add(id);
    }
    return found;
  }

  /** The files of the documents in these folders, as attachments of their folder. */
  async listFiles(folderIds: number[], changedSince?: string): Promise<ErpAttachment[]> {
    await this.required();
    const out: ErpAttachment[] = [];
    for (const chunk of chunks(folderIds, PAGE)) {
      const domain: DomainTerm[] = [['folder_id', 'in', chunk], ['type', '=', 'binary'], ['attachment_id', '!=', false]];
      if (changedSince) domain.push(['write_date', '>=', isoToOdooDate(changedSince)]);
      for (let last = 0; ;) {
        const docs = await this.searchDocuments([...domain, ['id', '>', last]]);
        out.push(...(await this.asFiles(docs)));
        if (docs.length < PAGE) break;
        last = docs[docs.length - 1]!.id;
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  private searchDocuments(domain: DomainTerm[], context: Record<string, unknown> = {}): Promise<DocumentRow[]> {
    return this.call<DocumentRow[]>('documents.document', 'search_read', {
      kwargs: { domain, fields: ['name', 'folder_id', 'attachment_id', 'type', 'url'], order: 'id asc', limit: PAGE, context },
    });
  }

  private async asFiles(docs: DocumentRow[]): Promise<ErpAttachment[]> {
    const byAttachment = new Map(docs.flatMap((d) => (many2oneId(d.attachment_id) !== null ? [[many2oneId(d.attachment_id)!, d] as const] : [])));
    const attachments = await this.readAttachments([...byAttachment.keys()]);
    return attachments.filter((a) => !SPREADSHEET_MIMETYPES.has(a.mimetype)).map((a) => asDocumentFile(a, byAttachment.get(a.id)!));
  }

  /**
   * The port's view of attachments that belong to documents: a document's file as an
   * attachment of its folder (named as the document), a URL document (negative id) as a
   * URL attachment. Others are returned as they are.
   */
  async view(attachments: ErpAttachment[], urlDocumentIds: number[]): Promise<ErpAttachment[]> {
    const ofDocuments = attachments.filter((a) => a.resModel === 'documents.document');
    if (ofDocuments.length === 0 && urlDocumentIds.length === 0) return attachments;
    if (!(await this.shape())) return attachments;
    const docs = ofDocuments.length ? await this.documentsOfAttachments(ofDocuments.map((a) => a.id)) : new Map<number, DocumentRow>();
    const urlDocs = urlDocumentIds.length ? await this.call<DocumentRow[]>('documents.document', 'read', { ids: urlDocumentIds, kwargs: { fields: ['name', 'folder_id', 'attachment_id', 'type', 'url'] } }) : [];
    return [
      ...attachments.map((a) => (docs.has(a.id) ? asDocumentFile(a, docs.get(a.id)!) : a)),
      ...urlDocs.filter((d) => d.type === 'url').map(asUrlDocument),
    ];
  }

  private async documentsOfAttachments(ids: number[]): Promise<Map<number, DocumentRow>> {
    const out = new Map<number, DocumentRow>();
    for (const chunk of chunks(ids, PAGE)) {
      for (const d of await this.searchDocuments([['attachment_id', 'in', chunk]], { active_test: false })) out.set(many2oneId(d.attachment_id)!, d);
    }
    return out;
  }

  /** Of these attachment ids, those whose document is gone (a file's document deleted in Odoo deletes the file). */
  async withoutDocument(attachmentIds: number[]): Promise<Set<number>> {
    const docs = await this.documentsOfAttachments(attachmentIds);
    return new Set(attachmentIds.filter((id) => !docs.has(id)));
  }

  async existingUrlDocuments(attachmentIds: number[]): Promise<Set<number>> {
    const found = new Set<number>();
    for (const chunk of chunks(attachmentIds.map(documentIdOfUrlAttachment), PAGE)) {
      const ids = await this.call<number[]>('documents.document', 'search', { kwargs: { domain: [['id', 'in', chunk]], context: { active_test: false } } });
      for (const id of ids) found.add(urlDocumentAttachmentId(id));
    }
    return found;
  }

  /** A URL document in a folder (backward sync); the one already there with this link is returned instead. */
  async createUrlDocument(input: { folderId: number; name: string; url: string }): Promise<ErpAttachment> {
    await this.required();
    const [existing] = await this.searchDocuments([['folder_id', '=', input.folderId], ['type', '=', 'url'], ['url', '=', input.url]]);
    if (existing) return asUrlDocument(existing);
    const made = await this.call<number | number[]>('documents.document', 'create', {
      kwargs: { vals_list: [{ name: input.name, type: 'url', url: input.url, folder_id: input.folderId }] },
    });
    const id = Array.isArray(made) ? made[0]! : made;
    const [row] = await this.call<DocumentRow[]>('documents.document', 'read', { ids: [id], kwargs: { fields: ['name', 'folder_id', 'attachment_id', 'type', 'url'] } });
    if (!row) throw new ErpError('unavailable', `Odoo made document ${id} but does not show it`);
    return asUrlDocument(row);
  }

  /**
   * The document an attachment id stands for: a URL document's own id, or the document
   * whose file the attachment is; null when it is no document's.
   */
  async documentOf(attachmentId: number): Promise<number | null> {
    if (isUrlDocumentAttachmentId(attachmentId)) return documentIdOfUrlAttachment(attachmentId);
    if (!(await this.shape())) return null;
    // An attachment of a record (an invoice's, say) that Documents also shows stays the
    // record's: only one that belongs to documents.document is a Documents file.
    const [row] = await this.call<Array<{ res_model: string | false }>>('ir.attachment', 'read', { ids: [attachmentId], kwargs: { fields: ['res_model'] } });
    if (row?.res_model !== 'documents.document') return null;
    const docs = await this.documentsOfAttachments([attachmentId]);
    return docs.get(attachmentId)?.id ?? null;
  }

  /** Renames a document, or moves it to another folder; false when it is gone. */
  async updateDocument(documentId: number, values: { name?: string; folderId?: number; url?: string }): Promise<boolean> {
    const vals: Record<string, unknown> = {};
    if (values.name !== undefined) vals.name = values.name;
    if (values.folderId !== undefined) vals.folder_id = values.folderId;
    if (values.url !== undefined) vals.url = values.url;
    if (!(await this.call<number[]>('documents.document', 'search', { kwargs: { domain: [['id', '=', documentId]], context: { active_test: false } } })).length) return false;
    if (Object.keys(vals).length) await this.call('documents.document', 'write', { ids: [documentId], kwargs: { vals } });
    return true;
  }

  async unlinkDocument(documentId: number): Promise<void> {
    try {
      await this.call('documents.document', 'unlink', { ids: [documentId] });
    } catch (err) {
      if (err instanceof ErpError && err.code === 'not_found') return; // already gone: success
      throw err;
    }
  }
}

function asDocumentFile(a: ErpAttachment, d: DocumentRow): ErpAttachment {
  return { ...a, resModel: DOCUMENTS_MODEL, resId: many2oneId(d.folder_id) ?? 0, name: d.name || a.name };
}

function asUrlDocument(d: DocumentRow): ErpAttachment {
  return {
    id: urlDocumentAttachmentId(d.id), resModel: DOCUMENTS_MODEL, resId: many2oneId(d.folder_id) ?? 0, name: d.name || `Document ${d.id}`,
    type: 'url', url: d.url || null, isFolder: false, mimetype: 'text/uri-list', size: 0, checksum: null, storeRef: null,
  };
}

import type { DocumentsShape } from '../domain/documents.js';
import type { Readable } from 'node:stream';
import type { DomainTerm, ErpAttachment, ErpRecord } from '../domain/types.js';

/**
 * The ERP port. Odoo-shaped (models like `res.partner`, integer ids, `display_name`,
 * Odoo domains, `ir.attachment` with `res_model`/`res_id`), so the builtin store and a
 * real Odoo answer the same questions the same way.
 */
export interface ErpPort {
  readonly kind: 'builtin' | 'odoo';
  /** Which ERP its ids belong to (src/erp/identity.ts). */
  identity(): Promise<string>;
  /**
   * Records of `model` matching `domain`, ordered by id. `fields`: the (dotted) paths a
   * name expression reads (`partner_id.name`), fetched into `ErpRecord.fields` where the
   * ERP does not return every field anyway; a many-to-one becomes `{id, display_name, ...}`.
   */
  searchRecords(model: string, domain: DomainTerm[], opts?: { fields?: string[] }): Promise<ErpRecord[]>;
  /**
   * Whether a sync model can be searched as saved: the model exists, and the fields its
   * domain and name expression name exist (through many-to-ones for dotted paths). The
   * reason when not, null when it can. Errors reaching the ERP are thrown (unknown, not invalid).
   */
  checkSearch(model: string, paths: { filter: string[]; read: string[]; operators?: string[] }): Promise<string | null>;
  /**
   * Attachments of the given records, without content; with `changedSince`, only those
   * created or written at or after that time (ISO 8601), for incremental discovery.
   */
  listAttachments(resModel: string, resIds: number[], opts?: { changedSince?: string }): Promise<ErpAttachment[]>;
  /** Which of `ids` still exist in `model` (the id diff that finds deletions). */
  existingRecordIds(model: string, ids: number[]): Promise<Set<number>>;
  /** Which of the attachment `ids` still exist. */
  existingAttachmentIds(ids: number[]): Promise<Set<number>>;
  getAttachment(id: number): Promise<ErpAttachment | null>;
  getAttachments(ids: number[]): Promise<ErpAttachment[]>;
  /** The binary content of a `binary` attachment, streamed. */
  openContent(id: number, known?: Pick<ErpAttachment, 'storeRef' | 'size'>): Promise<{ stream: Readable; size: number }>;
  /**
   * Makes a binary attachment a URL attachment and releases its binary. The caller has
   * verified the cloud copy first. Idempotent: an attachment already of type `url` with
   * this link is success. Implementations read back and throw if the binary survived.
   */
  replaceWithUrl(id: number, url: string): Promise<void>;
  /** `replaceWithUrl` for many at once; the error of each one that failed, by id. */
  replaceManyWithUrl(items: { id: number; url: string }[]): Promise<Map<number, Error>>;
  /**
   * A URL attachment for an item found in the cloud (a file, or a folder link). Idempotent:
   * an attachment of that record with that link already is returned instead.
   */
  createUrlAttachment(input: { resModel: string; resId: number; name: string; url: string; mimetype: string; size: number; isFolder: boolean }): Promise<ErpAttachment>;
  /** Renames, moves (to another record) or refreshes an attachment; null when it is gone. */
  updateAttachment(id: number, values: { name?: string; resModel?: string; resId?: number; size?: number; mimetype?: string; url?: string }): Promise<ErpAttachment | null>;
  /** Deletes an attachment; a missing one is success. */
  unlinkAttachment(id: number): Promise<void>;
  /** Points a URL attachment at its file's new link (path-based links move with folders). */
  relinkAttachment(id: number, url: string): Promise<void>;
  /**
   * Enterprise Documents (src/domain/documents.ts): whether this ERP has them, and in which
   * shape. When it does, the virtual model `documents.folder` works in every method above
   * (its records the folders, nested by `parentId`; their attachments the documents' files).
   * Absent on ERPs without them (the builtin store).
   */
  documents?(): Promise<{ shape: DocumentsShape } | null>;
}

export class ErpError extends Error {
  constructor(readonly code: 'not_found' | 'invalid' | 'unavailable' | 'access_denied', message: string) {
    super(message);
    this.name = 'ErpError';
  }
}

/**
 * Enterprise Documents (the manual, "Solutions for Enterprise Documents"): when the Odoo
 * has the Documents app, its folders are mirrored under `Root / Odoo Docs / ...` with no
 * sync model to configure, and the files of their documents are synced with the same
 * rules as attachments.
 *
 * The engine sees Documents as one more sync model, built here and never stored: its
 * records are the Documents folders (the virtual model `documents.folder`, whatever the
 * Odoo version calls them), nested by their parent folder, and a folder's "attachments"
 * are the files of the documents in it. The ERP adapter does the translation (Odoo 16/17
 * have a `documents.folder` model; from 18 on a folder is a `documents.document` of type
 * `folder`). Pure: no I/O.
 */
import type { ErpRecord, SyncModel } from './types.js';

/** The name the manual gives the Documents tree; refused for sync models. */
export const DOCUMENTS_FOLDER_NAME = 'Odoo Docs';
/** The virtual model the ERP port serves Documents folders as. */
export const DOCUMENTS_MODEL = 'documents.folder';
/** The id of the Documents sync model (real sync models count from 1). */
export const DOCUMENTS_SYNC_MODEL_ID = -1;
/**
 * Odoo models a sync model may not take: Documents is mirrored on its own (the manual:
 * "you shouldn't create a model to sync" for it), and syncing a document's attachment as a
 * plain attachment as well would sync one file twice.
 */
export const DOCUMENTS_ODOO_MODELS = ['documents.document', 'documents.folder'];

/** How the ERP keeps Documents folders: Odoo 16/17 `folders` (documents.folder), 18+ `documents` (type = 'folder'). */
export type DocumentsShape = 'folders' | 'documents';

export function documentsSyncModel(): SyncModel {
  return {
    id: DOCUMENTS_SYNC_MODEL_ID, model: DOCUMENTS_MODEL, folderName: DOCUMENTS_FOLDER_NAME, domain: [], periods: [],
    nameExpression: null, defaultFolders: [], active: true,
    // After every real sync model: it takes only its own records anyway.
    sequence: Number.MAX_SAFE_INTEGER,
  };
}

export const isDocumentsSyncModel = (id: number | null | undefined) => id === DOCUMENTS_SYNC_MODEL_ID;

/**
 * A document of type `url` has no attachment of its own (the backward sync makes them for
 * files that appear in the cloud). The port names it by its negated document id, so the
 * engine tracks it like any URL attachment; Odoo attachment ids are positive.
 */
export const urlDocumentAttachmentId = (documentId: number) => -documentId;
export const isUrlDocumentAttachmentId = (id: number) => id < 0;
export const documentIdOfUrlAttachment = (id: number) => -id;

/** Odoo spreadsheets live in Documents as JSON attachments: the manual keeps them out of the sync. */
export const SPREADSHEET_MIMETYPES = new Set(['application/o-spreadsheet']);

/**
 * The folders parents first, each with the folder it nests in (`null`: top level, directly
 * under "Odoo Docs"). A folder whose parent is not among them (not readable, archived) is
 * placed at the top; a cycle (only a broken database has one) is cut at its lowest id.
 */
export function nestFolders(records: ErpRecord[]): { record: ErpRecord; parent: number | null; depth: number }[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const parentOf = (r: ErpRecord) => (r.parentId != null && r.parentId !== r.id && byId.has(r.parentId) ? r.parentId : null);
  const cut = cycleCuts(records, parentOf);
  const out = records.map((record) => ({ record, parent: cut.has(record.id) ? null : parentOf(record), depth: 0 }));
  const parents = new Map(out.map((o) => [o.record.id, o.parent]));
  for (const o of out) {
    let d = 0;
    for (let p = parents.get(o.record.id) ?? null; p !== null && d <= out.length; p = parents.get(p) ?? null) d++;
    o.depth = d;
  }
  return out.sort((a, b) => a.depth - b.depth || a.record.id - b.record.id);
}

/** The folder of each cycle whose parent link is dropped: the lowest id of the cycle. */
function cycleCuts(records: ErpRecord[], parentOf: (r: ErpRecord) => number | null): Set<number> {
  const byId = new Map(records.map((r) => [r.id, r]));
  const cuts = new Set<number>();
  const done = new Set<number>();
  for (const r of records) {
    const path: number[] = [];
    const onPath = new Set<number>();
    let at: number | null = r.id;
    while (at !== null && !done.has(at) && !onPath.has(at)) {
      path.push(at);
      onPath.add(at);
      at = parentOf(byId.get(at)!);
    }
    if (at !== null && onPath.has(at)) cuts.add(Math.min(...path.slice(path.indexOf(at))));
    for (const id of path) done.add(id);
  }
  return cuts;
}

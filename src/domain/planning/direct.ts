/**
 * Direct sync planning (ERP -> cloud): compares the ERP's desired state with the recorded
 * mapping and emits the operations that close the gap. Pure: no I/O, deterministic, and
 * idempotent through dedupe keys (planning twice emits the same keys, which the queue
 * stores once).
 */
import { renderNameExpression } from '../nameExpressions.js';
import { joinCloudPath, objectFolderName, sanitizeName } from '../naming.js';
import { recordReader } from '../records.js';
import type { ErpAttachment, ErpRecord, SyncModel } from '../types.js';

export type FolderTarget =
  | { kind: 'root' }
  | { kind: 'model_folder'; syncModelId: number }
  | { kind: 'object_folder'; syncModelId: number; resModel: string; resId: number };

export interface CreateFolderOp {
  kind: 'create_folder';
  dedupeKey: string;
  payload: { ref: string; path: string; target: FolderTarget };
}

export interface UploadOp {
  kind: 'upload';
  dedupeKey: string;
  payload: { ref: string; attachmentId: number; resModel: string; resId: number; syncModelId: number; path: string };
}

export interface ReplaceWithUrlOp {
  kind: 'replace_with_url';
  dedupeKey: string;
  payload: { ref: string; attachmentId: number; resModel: string; resId: number };
}

export type DirectOperation = CreateFolderOp | UploadOp | ReplaceWithUrlOp;
export type DirectOperationKind = DirectOperation['kind'];

/** What the mapping says about one ref: where it is in the cloud. */
export interface MappedItem {
  ref: string;
  path: string;
}

export interface DirectPlanInput {
  rootFolder: string;
  /** Active sync models, in priority order (first wins). */
  syncModels: SyncModel[];
  /** For each sync model id, the records that match its domain and periods now. */
  matches: Map<number, ErpRecord[]>;
  /** Attachments of the matched records, keyed `model:id`. Only binary ones are uploaded. */
  attachments: Map<string, ErpAttachment[]>;
  /** The recorded mapping, keyed by ref. */
  mapping: Map<string, MappedItem>;
}

export const refs = {
  root: () => 'root',
  modelFolder: (syncModelId: number) => `model:${syncModelId}`,
  objectFolder: (resModel: string, resId: number) => `object:${resModel}:${resId}`,
  attachment: (attachmentId: number) => `attachment:${attachmentId}`,
};

export const recordKey = (model: string, id: number) => `${model}:${id}`;

/**
 * Priority: a record that matches several sync models belongs to the first in the order
 * (the manual's "Cancelled Sale Orders" placed above "Sale Orders").
 */
export function assignRecords(syncModels: SyncModel[], matches: Map<number, ErpRecord[]>): Map<string, { syncModel: SyncModel; record: ErpRecord }> {
  const assigned = new Map<string, { syncModel: SyncModel; record: ErpRecord }>();
  const ordered = [...syncModels].sort((a, b) => a.sequence - b.sequence || a.id - b.id);
  for (const syncModel of ordered) {
    for (const record of matches.get(syncModel.id) ?? []) {
      const key = recordKey(record.model, record.id);
      if (!assigned.has(key)) assigned.set(key, { syncModel, record });
    }
  }
  return assigned;
}

/** Gives each name a unique spelling among its siblings: `name`, `name (2)`, `name (3)`… in input order. */
export function dedupeSiblingNames(names: string[], taken: Iterable<string> = []): string[] {
  const used = new Set([...taken].map((n) => n.toLowerCase()));
  return names.map((name) => {
    let candidate = name;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = withSuffix(name, n);
    used.add(candidate.toLowerCase());
    return candidate;
  });
}

export function withSuffix(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

export function planDirectSync(input: DirectPlanInput): DirectOperation[] {
  const ops: DirectOperation[] = [];
  const pathOf = (ref: string, planned: string) => input.mapping.get(ref)?.path ?? planned;

  const ensureFolder = (ref: string, path: string, target: FolderTarget) => {
    if (!input.mapping.has(ref)) ops.push({ kind: 'create_folder', dedupeKey: `create_folder:${ref}`, payload: { ref, path, target } });
  };

  const rootPath = pathOf(refs.root(), joinCloudPath(sanitizeName(input.rootFolder) || 'Odoo'));
  ensureFolder(refs.root(), rootPath, { kind: 'root' });

  const assigned = assignRecords(input.syncModels, input.matches);
  const modelPaths = new Map<number, string>();
  const modelNames = dedupeSiblingNames(input.syncModels.map((m) => sanitizeName(m.folderName) || `model-${m.id}`));
  input.syncModels.forEach((syncModel, i) => {
    const ref = refs.modelFolder(syncModel.id);
    const path = pathOf(ref, joinCloudPath(rootPath, modelNames[i]!));
    modelPaths.set(syncModel.id, path);
    ensureFolder(ref, path, { kind: 'model_folder', syncModelId: syncModel.id });
  });

  // Object folders, grouped by model folder so sibling names are deduplicated together.
  const byModel = new Map<number, ErpRecord[]>();
  for (const { syncModel, record } of assigned.values()) {
    byModel.set(syncModel.id, [...(byModel.get(syncModel.id) ?? []), record]);
  }
  const uploads: UploadOp[] = [];
  const replaces: ReplaceWithUrlOp[] = [];
  for (const syncModel of input.syncModels) {
    const records = (byModel.get(syncModel.id) ?? []).sort((a, b) => a.id - b.id);
    const modelPath = modelPaths.get(syncModel.id)!;
    const names = dedupeSiblingNames(records.map((r) => objectFolderName(
      r.displayName, syncModel.nameExpression ? renderNameExpression(syncModel.nameExpression, recordReader(r)) : null, r.id)));
    records.forEach((record, i) => {
      const ref = refs.objectFolder(record.model, record.id);
      const objectPath = pathOf(ref, joinCloudPath(modelPath, names[i]!));
      ensureFolder(ref, objectPath, { kind: 'object_folder', syncModelId: syncModel.id, resModel: record.model, resId: record.id });

      const binaries = (input.attachments.get(recordKey(record.model, record.id)) ?? [])
        .filter((a) => a.type === 'binary')
        .sort((a, b) => a.id - b.id);
      const fileNames = dedupeSiblingNames(binaries.map((a) => sanitizeName(a.name) || `attachment-${a.id}`));
      binaries.forEach((attachment, j) => {
        const fileRef = refs.attachment(attachment.id);
        const base = { ref: fileRef, attachmentId: attachment.id, resModel: record.model, resId: record.id };
        if (input.mapping.has(fileRef)) {
          // Uploaded and verified before, but the binary is still in the ERP: finish the release.
          replaces.push({ kind: 'replace_with_url', dedupeKey: `replace_with_url:${fileRef}`, payload: base });
        } else {
          uploads.push({
            kind: 'upload',
            dedupeKey: `upload:${fileRef}`,
            payload: { ...base, syncModelId: syncModel.id, path: joinCloudPath(objectPath, fileNames[j]!) },
          });
        }
      });
    });
  }
  // Folders first (parents before children, as pushed), then uploads, then releases: FIFO
  // in the queue then respects every dependency.
  return [...ops, ...uploads, ...replaces];
}

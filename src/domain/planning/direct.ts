/**
 * Direct sync planning (ERP -> cloud): compares the ERP's desired state with the recorded
 * mapping (already reconciled with what discovery saw in the cloud) and emits the
 * operations that close the gap. Pure: no I/O, deterministic, and idempotent through
 * dedupe keys (planning twice emits the same keys, which the queue stores once).
 *
 * Operations name their place by refs (`parentRef` + `name`), not by paths: an executor
 * resolves the parent's path from the mapping when it runs, so an operation queued
 * before a rename or a move of its parent still lands in the right folder.
 */
import { compileNameExpression, NameExpressionError, renderNameExpression, type CompiledNameExpression } from '../nameExpressions.js';
import { joinCloudPath, MAX_NAME_BYTES, objectFolderName, rootFolderName, sanitizeName, type NamingRules } from '../naming.js';
import { nestFolders } from '../documents.js';
import { recordReader } from '../records.js';
import type { DefaultFolder, ErpAttachment, ErpRecord, SyncModel } from '../types.js';

export type FolderTarget =
  | { kind: 'root' }
  | { kind: 'model_folder'; syncModelId: number }
  | { kind: 'object_folder'; syncModelId: number; resModel: string; resId: number }
  /** A synced file whose attachment moved to another record in the ERP (a document to another Documents folder). */
  | { kind: 'file'; syncModelId: number; resModel: string; resId: number };

interface Located {
  ref: string;
  /** Null for the root, which lives at the top of the connection's WebDAV root. */
  parentRef: string | null;
  name: string;
  /** Where the planner expects it to end up; informational (logs, the queue view). */
  path: string;
}

export interface CreateFolderOp {
  kind: 'create_folder';
  dedupeKey: string;
  payload: Located & { target: FolderTarget; defaultFolders: DefaultFolder[]; resModel?: string; resId?: number };
}

/** Renames and moves of managed folders: ERP renames, cloud renames put back, reassignments. */
export interface MoveFolderOp {
  kind: 'move_folder';
  dedupeKey: string;
  payload: Located & { target: FolderTarget; from: string; resModel?: string; resId?: number };
}

export interface DeleteItemOp {
  kind: 'delete_item';
  dedupeKey: string;
  payload: { ref: string; path: string; reason: 'record_deleted' | 'attachment_deleted'; resModel: string | null; resId: number | null };
}

export interface UploadOp {
  kind: 'upload';
  dedupeKey: string;
  payload: Located & { attachmentId: number; resModel: string; resId: number; syncModelId: number };
}

export interface ReplaceWithUrlOp {
  kind: 'replace_with_url';
  dedupeKey: string;
  payload: { ref: string; attachmentId: number; resModel: string; resId: number };
}

export type DirectOperation = CreateFolderOp | MoveFolderOp | DeleteItemOp | UploadOp | ReplaceWithUrlOp;
export type DirectOperationKind = DirectOperation['kind'];

/** What the mapping says about one ref: what it is and where it is in the cloud. */
export interface MappedItem {
  ref: string;
  kind: 'root' | 'model_folder' | 'object_folder' | 'file' | 'folder_link';
  path: string;
  syncModelId: number | null;
  resModel: string | null;
  resId: number | null;
  attachmentId: number | null;
}

export interface DirectPlanInput {
  rootFolder: string;
  /** The cloud's own naming limits (its capabilities), applied to every name planned. */
  naming?: NamingRules;
  /** Active, valid sync models, in priority order (first wins). */
  syncModels: SyncModel[];
  /** For each sync model id, the records that match its domain and periods now. */
  matches: Map<number, ErpRecord[]>;
  /**
   * Attachments discovery listed this run, keyed `model:id`: all of them for records
   * new in scope, the changed ones for the others. Only binary ones are uploaded.
   */
  attachments: Map<string, ErpAttachment[]>;
  /** The recorded mapping, keyed by ref, with paths as discovery found them. */
  mapping: Map<string, MappedItem>;
  /** `model:id` of mapped records the ERP no longer has. */
  deletedRecords?: Set<string>;
  /** Ids of mapped attachments the ERP no longer has. */
  deletedAttachments?: Set<number>;
}

export interface PlanWarning {
  syncModelId: number;
  resModel: string | null;
  resId: number | null;
  message: string;
}

export interface DirectPlan {
  ops: DirectOperation[];
  warnings: PlanWarning[];
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
  for (const syncModel of byPriority(syncModels)) {
    for (const record of matches.get(syncModel.id) ?? []) {
      const key = recordKey(record.model, record.id);
      if (!assigned.has(key)) assigned.set(key, { syncModel, record });
    }
  }
  return assigned;
}

export function byPriority(syncModels: SyncModel[]): SyncModel[] {
  return [...syncModels].sort((a, b) => a.sequence - b.sequence || a.id - b.id);
}

/** Gives each name a unique spelling among its siblings: `name`, `name (2)`, `name (3)`… in input order. */
export function dedupeSiblingNames(names: string[], taken: Iterable<string> = []): string[] {
  return assignSiblingNames(names.map((base, i) => ({ key: String(i), base, current: null })), taken)
    .map(([, name]) => name);
}

/**
 * Sibling names that stay put: an entry whose current name is already a spelling of its
 * wanted name (`Acme` or `Acme (3)` for `Acme`) keeps it, so one record leaving or
 * joining never renames its neighbours; the others get the first free spelling, in order.
 * Comparison is case-insensitive because many clients (Windows, macOS) are.
 */
export function assignSiblingNames<K extends string>(entries: { key: K; base: string; current: string | null }[], taken: Iterable<string> = []): [K, string][] {
  const used = new Set([...taken].map((n) => n.toLowerCase()));
  const result = new Map<K, string>();
  for (const e of entries) {
    if (e.current !== null && isSpellingOf(e.current, e.base) && !used.has(e.current.toLowerCase())) {
      result.set(e.key, e.current);
      used.add(e.current.toLowerCase());
    }
  }
  for (const e of entries) {
    if (result.has(e.key)) continue;
    let candidate = e.base;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = withSuffix(e.base, n);
    used.add(candidate.toLowerCase());
    result.set(e.key, candidate);
  }
  return entries.map((e) => [e.key, result.get(e.key)!]);
}

export function withSuffix(name: string, n: number): string {
  // Only the last segment of a path, and only a real extension (`.pdf`, not `. Smith`):
  // `/Contacts/J. Smith/README` becomes `/Contacts/J. Smith/README (2)`.
  const start = name.lastIndexOf('/') + 1;
  const dot = name.lastIndexOf('.');
  const ext = dot > start ? name.slice(dot) : '';
  return /^\.[^\s.]{1,15}$/u.test(ext) ? `${name.slice(0, dot)} (${n})${ext}` : `${name} (${n})`;
}

/** `Acme` and `Acme (2)` are spellings of `Acme`; `Acme (1)` and `Acme Ltd` are not. */
export function isSpellingOf(name: string, base: string): boolean {
  if (name === base) return true;
  const [head, tail] = withSuffix(base, 0).split(' (0)') as [string, string];
  if (!name.startsWith(head + ' (') || !name.endsWith(')' + tail)) return false;
  const middle = name.slice(head.length + 2, name.length - tail.length - 1);
  return /^[1-9]\d*$/.test(middle) && Number(middle) >= 2;
}

export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const parentPath = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/'))) || '/';

export function planDirectSync(input: DirectPlanInput): DirectPlan {
  const folderOps: DirectOperation[] = [];
  const objectOps: DirectOperation[] = [];
  const deletes: DeleteItemOp[] = [];
  const uploads: UploadOp[] = [];
  const fileMoves: MoveFolderOp[] = [];
  const replaces: ReplaceWithUrlOp[] = [];
  const warnings: PlanWarning[] = [];
  const { mapping } = input;
  const deletedRecords = input.deletedRecords ?? new Set<string>();
  const deletedAttachments = input.deletedAttachments ?? new Set<number>();
  const mapped = [...mapping.values()];

  // Where the parent is now (after earlier moves it would be elsewhere only in the plan):
  // a child is compared with its parent's actual place, so renaming a parent does not
  // plan a move for every descendant.
  const actualParentPath = (at: Located) => at.parentRef === null ? '/' : mapping.get(at.parentRef)?.path ?? parentPath(at.path);

  /** Creates what is not mapped, moves what is mapped elsewhere or under another name. */
  const place = (into: DirectOperation[], at: Located, target: FolderTarget, extra: { defaultFolders?: DefaultFolder[]; resModel?: string; resId?: number } = {}) => {
    const current = mapping.get(at.ref);
    if (!current) {
      into.push({ kind: 'create_folder', dedupeKey: `create_folder:${at.ref}`, payload: { ...at, target, defaultFolders: extra.defaultFolders ?? [], ...pick(extra) } });
    } else if (baseName(current.path) !== at.name || parentPath(current.path) !== actualParentPath(at) || movedBetweenModels(current, target)) {
      into.push({ kind: 'move_folder', dedupeKey: `move_folder:${at.ref}`, payload: { ...at, target, from: current.path, ...pick(extra) } });
    }
  };

  // Root.
  const rules = input.naming ?? {};
  const clean = (raw: string) => sanitizeName(raw, MAX_NAME_BYTES, rules);
  const rootName = rootFolderName(input.rootFolder, rules);
  const rootPath = joinCloudPath(rootName);
  place(folderOps, { ref: refs.root(), parentRef: null, name: rootName, path: rootPath }, { kind: 'root' });

  // Model folders. Folders of deleted or inactive sync models stay in the cloud (manual,
  // "Delete model"), so their names are taken.
  const active = byPriority(input.syncModels);
  const activeRefs = new Set(active.map((m) => refs.modelFolder(m.id)));
  const staying = mapped.filter((m) => m.kind === 'model_folder' && !activeRefs.has(m.ref)).map((m) => baseName(m.path));
  const modelNames = new Map(assignSiblingNames(active.map((m) => {
    const current = mapping.get(refs.modelFolder(m.id));
    return { key: refs.modelFolder(m.id), base: clean(m.folderName) || `model-${m.id}`, current: current && parentPath(current.path) === (mapping.get(refs.root())?.path ?? rootPath) ? baseName(current.path) : null };
  }), staying));
  const modelPaths = new Map<number, string>();
  for (const m of active) {
    const ref = refs.modelFolder(m.id);
    const path = joinCloudPath(rootPath, modelNames.get(ref)!);
    modelPaths.set(m.id, path);
    place(folderOps, { ref, parentRef: refs.root(), name: modelNames.get(ref)!, path }, { kind: 'model_folder', syncModelId: m.id });
  }

  // A record the ERP deleted: its object folder goes, files and all (manual, "Remove object").
  // Not while it holds a nested folder still wanted (a Documents folder moved out of it in
  // the ERP before it was deleted): that one moves out first, the next run deletes the rest.
  const assigned = assignRecords(active, input.matches);
  const stillWanted = mapped.filter((m) => m.kind === 'object_folder' && m.resModel && m.resId !== null && assigned.has(recordKey(m.resModel, m.resId)) && !deletedRecords.has(recordKey(m.resModel, m.resId)));
  for (const m of mapped) {
    if (m.kind === 'object_folder' && m.resModel && m.resId !== null && deletedRecords.has(recordKey(m.resModel, m.resId))) {
      if (stillWanted.some((w) => w.path.startsWith(m.path + '/'))) continue;
      deletes.push({ kind: 'delete_item', dedupeKey: `delete_item:${m.ref}`, payload: { ref: m.ref, path: m.path, reason: 'record_deleted', resModel: m.resModel, resId: m.resId } });
    }
  }

  // Object folders, per model folder so sibling names are chosen together.
  const assignedBySyncModel = new Map<number, ErpRecord[]>();
  for (const { syncModel, record } of assigned.values()) {
    assignedBySyncModel.set(syncModel.id, [...(assignedBySyncModel.get(syncModel.id) ?? []), record]);
  }
  for (const syncModel of active) {
    const records = (assignedBySyncModel.get(syncModel.id) ?? []).sort((a, b) => a.id - b.id);
    const modelPath = modelPaths.get(syncModel.id)!;
    const modelRef = refs.modelFolder(syncModel.id);
    const naming = nameRenderer(syncModel);
    let expressionWarned = false;
    // Records that nest (Enterprise Documents folders) go inside their parent's folder;
    // the others, and those whose parent is not in scope, directly in the model folder.
    // Parents come first, so a parent's place is planned before its children's.
    const nested = nestFolders(records);
    const groups = new Map<string, ErpRecord[]>();
    for (const n of nested) {
      const parentRef = n.parent === null ? modelRef : refs.objectFolder(n.record.model, n.parent);
      const group = groups.get(parentRef);
      if (group) group.push(n.record);
      else groups.set(parentRef, [n.record]);
    }
    const plannedPaths = new Map<string, string>([[modelRef, modelPath]]);
    const placed: { record: ErpRecord; ref: string; path: string }[] = [];
    const subfolderNames = new Map<string, string[]>(); // nested folders' names: a file beside them takes another
    // Folders of records that left scope stay where they are, and keep their names.
    const staying = new Map<string, string[]>();
    for (const m of mapped) {
      if (m.kind !== 'object_folder' || m.syncModelId !== syncModel.id || !m.resModel || m.resId === null) continue;
      if (assigned.has(recordKey(m.resModel, m.resId)) || deletedRecords.has(recordKey(m.resModel, m.resId))) continue;
      const here = staying.get(parentPath(m.path));
      if (here) here.push(baseName(m.path));
      else staying.set(parentPath(m.path), [baseName(m.path)]);
    }
    for (const [parentRef, siblings] of groups) {
      const parentPlanned = plannedPaths.get(parentRef)!;
      const stayingHere = staying.get(mapping.get(parentRef)?.path ?? parentPlanned) ?? [];
      const wanted = siblings.map((r) => {
        const rendered = naming.render(r);
        return { record: r, rendered, base: objectFolderName(r.displayName, rendered.name, r.id, rules) };
      });
      const names = new Map(assignSiblingNames(wanted.map((w) => {
        const current = mapping.get(refs.objectFolder(w.record.model, w.record.id));
        return { key: refs.objectFolder(w.record.model, w.record.id), base: w.base, current: current && current.syncModelId === syncModel.id ? baseName(current.path) : null };
      }), stayingHere));
      for (const { record, rendered } of wanted) {
        const ref = refs.objectFolder(record.model, record.id);
        const name = names.get(ref)!;
        const path = joinCloudPath(parentPlanned, name);
        plannedPaths.set(ref, path);
        const before = objectOps.length;
        place(objectOps, { ref, parentRef, name, path },
          { kind: 'object_folder', syncModelId: syncModel.id, resModel: record.model, resId: record.id },
          { defaultFolders: syncModel.defaultFolders, resModel: record.model, resId: record.id });
        if (objectOps.length > before && rendered.warning && (!naming.syntaxError || !expressionWarned)) {
          expressionWarned ||= naming.syntaxError !== null;
          warnings.push({ syncModelId: syncModel.id, resModel: record.model, resId: record.id, message: rendered.warning });
        }
        placed.push({ record, ref, path });
        if (parentRef !== modelRef) subfolderNames.set(parentRef, [...(subfolderNames.get(parentRef) ?? []), name]);
      }
    }

    for (const { record, ref, path } of placed) {
      const listed = input.attachments.get(recordKey(record.model, record.id)) ?? [];
      // A synced file the ERP now shows under this record (moved there in the ERP: a document
      // to another folder): its cloud file follows, under the name the cloud gave it.
      for (const a of listed) {
        const m = a.type === 'url' ? mapping.get(refs.attachment(a.id)) : undefined;
        if (!m || m.kind !== 'file' || (m.resModel === record.model && m.resId === record.id) || deletedAttachments.has(a.id)) continue;
        const name = baseName(m.path);
        fileMoves.push({
          kind: 'move_folder', dedupeKey: `move_folder:${m.ref}`,
          payload: { ref: m.ref, parentRef: ref, name, path: joinCloudPath(path, name), target: { kind: 'file', syncModelId: syncModel.id, resModel: record.model, resId: record.id }, from: m.path, resModel: record.model, resId: record.id },
        });
      }
      const binaries = listed.filter((a) => a.type === 'binary' && !a.isFolder).sort((a, b) => a.id - b.id);
      const fileNames = dedupeSiblingNames(binaries.map((a) => clean(a.name) || `attachment-${a.id}`), subfolderNames.get(ref) ?? []);
      binaries.forEach((attachment, j) => {
        const fileRef = refs.attachment(attachment.id);
        const base = { ref: fileRef, attachmentId: attachment.id, resModel: record.model, resId: record.id };
        if (mapping.has(fileRef)) {
          // Uploaded and verified before, but the binary is still in the ERP: finish the release.
          replaces.push({ kind: 'replace_with_url', dedupeKey: `replace_with_url:${fileRef}`, payload: base });
        } else {
          uploads.push({
            kind: 'upload', dedupeKey: `upload:${fileRef}`,
            payload: { ...base, syncModelId: syncModel.id, parentRef: ref, name: fileNames[j]!, path: joinCloudPath(path, fileNames[j]!) },
          });
        }
      });
    }
  }

  // A URL attachment deleted in the ERP: its cloud file goes too (manual, "Delete a file").
  // Only for records in scope; folders that left scope are no longer checked.
  for (const m of mapped) {
    if (m.kind !== 'file' || m.attachmentId === null || !deletedAttachments.has(m.attachmentId)) continue;
    if (!m.resModel || m.resId === null) continue;
    const key = recordKey(m.resModel, m.resId);
    if (!assigned.has(key) || deletedRecords.has(key)) continue;
    deletes.push({ kind: 'delete_item', dedupeKey: `delete_item:${m.ref}`, payload: { ref: m.ref, path: m.path, reason: 'attachment_deleted', resModel: m.resModel, resId: m.resId } });
  }

  // Parents before children, as pushed; deletions free names before new folders take
  // them; files move and upload once their folders exist; releases last. FIFO keeps that order.
  return { ops: [...folderOps, ...deletes, ...objectOps, ...fileMoves, ...uploads, ...replaces], warnings };
}

function pick(extra: { resModel?: string; resId?: number }) {
  return extra.resModel !== undefined ? { resModel: extra.resModel, resId: extra.resId } : {};
}

function movedBetweenModels(current: MappedItem, target: FolderTarget): boolean {
  return target.kind === 'object_folder' && current.syncModelId !== target.syncModelId;
}

/**
 * Renders object folder names with a sync model's name expression. A syntax error or an
 * empty result falls back to the display name, with a warning naming the sync model.
 */
function nameRenderer(syncModel: SyncModel) {
  let compiled: CompiledNameExpression | null = null;
  let syntaxError: string | null = null;
  if (syncModel.nameExpression) {
    try {
      compiled = compileNameExpression(syncModel.nameExpression);
    } catch (err) {
      if (!(err instanceof NameExpressionError)) throw err;
      syntaxError = `${err.message} (at character ${err.position + 1})`;
    }
  }
  const label = `sync model "${syncModel.folderName}" (${syncModel.id})`;
  return {
    syntaxError,
    render(record: ErpRecord): { name: string | null; warning: string | null } {
      if (syntaxError) return { name: null, warning: `The name expression of ${label} has a syntax error: ${syntaxError}; display names are used` };
      if (!compiled) return { name: null, warning: null };
      const name = renderNameExpression(compiled, recordReader(record));
      if (name === null || !sanitizeName(name)) {
        return { name: null, warning: `The name expression of ${label} gave an empty name for ${record.model},${record.id}; its display name is used` };
      }
      return { name, warning: null };
    },
  };
}

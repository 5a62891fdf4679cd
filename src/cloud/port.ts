import type { Readable } from 'node:stream';

/**
 * The cloud port: the few operations the sync engine needs from a file server, after
 * rclone's backend interface (one small port, many backends). Paths are absolute and
 * relative to the connection's WebDAV root, `/`-separated, not URL-encoded.
 */
export interface CloudItem {
  path: string;
  type: 'file' | 'folder';
  size: number;
  /** Normalised: quotes and the weak `W/` prefix removed. */
  etag: string | null;
  lastModified: string | null;
  /** Nextcloud / ownCloud `oc:fileid`: survives renames and moves. */
  fileId: string | null;
  /** The SHA-1 the server holds for the content (Nextcloud / ownCloud `oc:checksums`), when it has one. */
  sha1?: string | null;
}

export interface CloudCapabilities {
  product: 'nextcloud' | 'owncloud' | 'webdav';
  version: string | null;
  fileIds: boolean;
  conditionalWrites: boolean;
  etagPropagation: boolean;
  depthInfinity: boolean;
  /** The OCS share API is on (files_sharing.api_enabled). */
  shares: boolean;
  /** Public link shares are allowed (files_sharing.public.enabled). */
  publicShares?: boolean;
  /** Chunked upload version (dav.chunking, e.g. "1.0"), or null. */
  chunking?: string | null;
  /** Bulk upload version (dav.bulkupload, e.g. "1.0"), or null. */
  bulkUpload?: string | null;
  /** Names the server refuses (files.blacklisted_files, files.forbidden_filenames). */
  forbiddenNames?: string[];
  /** Characters the server refuses in names (files.forbidden_filename_characters). */
  forbiddenCharacters?: string[];
  /** Deleted files go to a trash bin (files.undelete). */
  trashbin?: boolean;
}

export interface CloudPort {
  stat(path: string): Promise<CloudItem | null>;
  /** A folder and its direct children (PROPFIND Depth 1), or null when it is not there. */
  list(path: string): Promise<{ self: CloudItem; children: CloudItem[] } | null>;
  /** MKCOL; an existing folder is success (activities run at least once). */
  createFolder(path: string): Promise<CloudItem>;
  /**
   * PUT that never overwrites: with `If-None-Match: *` where honoured, after a stat
   * elsewhere. Returns null when the name is taken, so the caller can pick another.
   */
  uploadNew(path: string, body: Readable, size: number, opts?: { sha1?: string | null }): Promise<CloudItem | null>;
  /**
   * The bare PUT of `uploadNew`, for batches that verify afterwards with one listing per
   * folder: false when the name is taken. With `conditional` (the server honours
   * `If-None-Match: *`, found at confirm time) there is no check before the PUT.
   */
  putNew(path: string, body: Readable | Buffer, size: number, opts: { sha1?: string | null; conditional: boolean }): Promise<boolean>;
  /**
   * Nextcloud's chunked upload v2 for a large file: an upload folder named after
   * `uploadKey`, chunks of `chunkSize` bytes, then `MOVE .file` onto the path (never over
   * an existing item: false when the name is taken). A retry with the same key after a
   * crash sends only the chunks the server lacks. A failure deletes the upload folder, so
   * does a `beforeChunk` that throws (the activity was cancelled), unless it throws
   * `HandedOver` (another attempt resumes the upload).
   * Throws `CloudError('unsupported')` where the server has no chunked upload.
   */
  putNewChunked(path: string, body: Readable, size: number, opts: { sha1?: string | null; chunkSize: number; uploadKey: string; beforeChunk?: () => Promise<void> }): Promise<boolean>;
  /**
   * Nextcloud's bulk upload: many small files in one request, with one outcome per path.
   * It overwrites, so callers send only names they found free. Throws for a failure of
   * the whole request (credentials, an unreachable server).
   */
  bulkUpload(files: { path: string; content: Buffer }[]): Promise<Map<string, BulkOutcome>>;
  download(path: string): Promise<Readable>;
  move(from: string, to: string): Promise<void>;
  /** DELETE; a missing item is success. */
  remove(path: string): Promise<void>;
  /** The internal link stored in the ERP's URL attachment for an item. */
  linkFor(item: CloudItem): string;
  /**
   * A public link anyone can open ("Use Public URLs"): a link share from the OCS share
   * API, reusing an existing one. Throws `CloudError('unsupported')` where there is none.
   */
  publicLink(item: CloudItem): Promise<string>;
  detectCapabilities(): Promise<CloudCapabilities>;
}

/**
 * Thrown by a chunked upload's `beforeChunk` to stop without deleting the upload folder:
 * another attempt of the same operation owns it now and resumes it (same upload key).
 * The upload rethrows `reason`.
 */
export class HandedOver extends Error {
  constructor(readonly reason: unknown) {
    super('The upload was handed over to another attempt');
    this.name = 'HandedOver';
  }
}

export type BulkOutcome = { ok: true; fileId: string | null; etag: string | null } | { ok: false; error: CloudError };

export type CloudErrorCode =
  | 'auth_failed' | 'forbidden' | 'not_found' | 'conflict' | 'precondition_failed' | 'locked'
  | 'unavailable' | 'unreachable' | 'not_webdav' | 'insufficient_storage' | 'bad_response' | 'unsupported';

/** Every cloud failure, classified once, so activities can decide retry vs stop. */
export class CloudError extends Error {
  constructor(
    readonly code: CloudErrorCode,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'CloudError';
  }

  /** Bad credentials, rights or configuration: retrying cannot help. */
  get permanent(): boolean {
    return this.code === 'auth_failed' || this.code === 'forbidden' || this.code === 'not_webdav' || this.code === 'unsupported';
  }
}

export interface CloudConnectionSettings {
  url: string;
  username: string;
  password: string;
}

/**
 * How each upload travels, the way Nextcloud's desktop client decides it: a large file by
 * chunked upload, small new files many to a request by bulk upload, the rest (and every
 * file on a plain WebDAV server) by one PUT each.
 */
import { withSuffix } from './planning/direct.js';

export interface TransferSettings {
  /** Files of at least this many bytes go by chunked upload where the server has it. */
  chunkThresholdBytes: number;
  /** The size of each chunk (Nextcloud wants 5 MiB to 5 GiB, the last one excepted). */
  chunkSizeBytes: number;
  /** Use bulk upload where the server offers it. */
  bulk: boolean;
  /** Files up to this many bytes may go by bulk upload. */
  bulkMaxBytes: number;
  /** Files per bulk request (the desktop client sends at most 100). */
  bulkMaxFiles: number;
  /** Bytes per bulk request: Nextcloud holds a whole request's part in memory. */
  bulkMaxRequestBytes: number;
}

export const DEFAULT_TRANSFERS: TransferSettings = {
  chunkThresholdBytes: 10 * 1024 * 1024,
  chunkSizeBytes: 10 * 1024 * 1024,
  bulk: true,
  bulkMaxBytes: 1024 * 1024,
  bulkMaxFiles: 100,
  bulkMaxRequestBytes: 20 * 1024 * 1024,
};

export interface ServerTransfers {
  /** `dav.chunking` of the capabilities ("1.0"), or null. */
  chunking?: string | null;
  /** `dav.bulkupload` of the capabilities ("1.0"), or null. */
  bulkUpload?: string | null;
  /** The server refuses a PUT onto an existing name (`If-None-Match: *`). */
  conditionalWrites?: boolean;
}

export type Transfer = 'chunked' | 'bulk' | 'put';

/**
 * The transfer for one new file. Bulk upload overwrites what is there, so it is used only
 * on a first attempt (a retry re-checks its claimed name with a PUT) and only where
 * conditional PUTs back the fallback.
 */
export function chooseTransfer(size: number, server: ServerTransfers | null, settings: TransferSettings, firstAttempt: boolean): Transfer {
  if (!server) return 'put';
  if (server.chunking && size >= settings.chunkThresholdBytes) return 'chunked';
  if (settings.bulk && server.bulkUpload && server.conditionalWrites && firstAttempt && size <= settings.bulkMaxBytes) return 'bulk';
  return 'put';
}

/** Consecutive groups of at most `maxFiles` files and `maxBytes` bytes (a larger file goes alone). */
export function bulkGroups<T>(items: T[], sizeOf: (item: T) => number, maxFiles: number, maxBytes: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxFiles || bytes + size > maxBytes)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * A free spelling of `wanted` among `taken` (paths listed in its folder, plus those given
 * to the group's earlier files): `a.pdf`, then `a (2).pdf`, ... null after 50 tries.
 */
export function freePath(wanted: string, taken: Set<string>): string | null {
  for (let n = 1; n <= 50; n++) {
    const candidate = n === 1 ? wanted : withSuffix(wanted, n);
    if (!taken.has(candidate)) return candidate;
  }
  return null;
}

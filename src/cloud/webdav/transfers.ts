/**
 * The pieces of Nextcloud's two native transfers that need no network: cutting a stream
 * into chunks (chunked upload v2), and writing and reading a bulk upload request. The
 * adapter sends them; these are unit-tested on their own.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CloudError, type BulkOutcome } from '../port.js';

/**
 * Cuts one stream into consecutive pieces of a given length, read in order: a chunk the
 * server already has is skipped (read and dropped), the others are sent.
 */
export function sliceStream(source: Readable): { piece(bytes: number): Readable; skip(bytes: number): Promise<void>; ended(): Promise<boolean> } {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let carry: Buffer | null = null;
  async function* take(bytes: number): AsyncGenerator<Buffer> {
    let left = bytes;
    while (left > 0) {
      let buf = carry;
      carry = null;
      if (!buf) {
        const r = await it.next();
        if (r.done) return;
        buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      }
      if (buf.length > left) {
        carry = buf.subarray(left);
        buf = buf.subarray(0, left);
      }
      left -= buf.length;
      yield buf;
    }
  }
  return {
    piece: (bytes) => Readable.from(take(bytes), { objectMode: false }),
    async skip(bytes) {
      for await (const _ of take(bytes)) { /* dropped: the server has this chunk */ }
    },
    /** Whether the source has nothing left (a longer source than announced is an error). */
    async ended() {
      if (carry && carry.length > 0) return false;
      for (;;) {
        const r = await it.next();
        if (r.done) return true;
        if ((Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)).length > 0) return false;
      }
    },
  };
}

/**
 * The chunk names of an upload: `00001`, `00002`, ... (chunking v2 wants numbers from 1 to
 * 10000, assembled in name order), with the size each must have.
 */
export function chunkPlan(size: number, chunkSize: number): { name: string; bytes: number }[] {
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error(`Chunk size must be a positive number of bytes, not ${chunkSize}`);
  const count = Math.max(1, Math.ceil(size / chunkSize));
  if (count > 10_000) throw new CloudError('unsupported', `${size} bytes in chunks of ${chunkSize} would take ${count} chunks; Nextcloud takes at most 10000: raise the chunk size`);
  return Array.from({ length: count }, (_, i) => ({ name: String(i + 1).padStart(5, '0'), bytes: Math.min(chunkSize, size - i * chunkSize) }));
}

/** The upload folder of one upload: the same key (operation, path, content) resumes it. */
export function uploadFolderName(key: string): string {
  return `sync-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

export interface BulkPart {
  /** The path relative to the user's files root, as `X-File-Path` wants it (`/Sync/a.txt`). */
  filesPath: string;
  content: Buffer;
}

/**
 * One bulk upload request body (fixture 12): strict MIME framing, each part with its
 * `Content-Length`, lowercase `X-File-MD5` and raw UTF-8 `X-File-Path`, closed by
 * `--B--` and a CRLF (without it Nextcloud answers 400, though it wrote every file).
 */
export function bulkBody(parts: BulkPart[], boundary: string): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (/[\r\n]/.test(p.filesPath)) throw new CloudError('bad_response', `${p.filesPath} cannot travel in a bulk upload (a line break in the name)`);
    out.push(Buffer.from(
      `--${boundary}\r\nContent-Length: ${p.content.length}\r\nContent-Type: application/octet-stream\r\n` +
      `X-File-MD5: ${createHash('md5').update(p.content).digest('hex')}\r\nX-File-Path: ${p.filesPath}\r\n\r\n`, 'utf8'));
    out.push(p.content, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

/**
 * Reads a bulk upload answer. It is JSON keyed by each `X-File-Path` exactly as sent (an
 * empty array when no part got through); a path missing from it was not uploaded (the
 * request stopped at a bad part before it). Per-file errors are classified like the
 * statuses a PUT would have met, so they are retried or reported the same way.
 */
export function readBulkAnswer(status: number, text: string, sent: string[]): Map<string, BulkOutcome> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CloudError('bad_response', `The bulk upload answered HTTP ${status} without its JSON results`, status);
  }
  if (body === null || typeof body !== 'object') throw new CloudError('bad_response', `The bulk upload answered HTTP ${status} with ${JSON.stringify(body).slice(0, 80)} instead of its results`, status);
  const entries = (Array.isArray(body) ? {} : body) as Record<string, { error?: unknown; message?: unknown; etag?: unknown; fileid?: unknown }>;
  const out = new Map<string, BulkOutcome>();
  for (const path of sent) {
    const e = entries[path];
    if (!e || typeof e !== 'object') {
      out.set(path, { ok: false, error: new CloudError('bad_response', `The bulk upload stopped before ${path} (HTTP ${status}): it was not uploaded`, status) });
    } else if (e.error === false) {
      const m = typeof e.fileid === 'string' ? /^(\d+)/.exec(e.fileid) : null;
      out.set(path, { ok: true, fileId: m ? String(Number(m[1])) : null, etag: typeof e.etag === 'string' ? e.etag.replace(/"/g, '') : null });
    } else {
      const message = typeof e.message === 'string' ? e.message : 'no reason given';
      const code = /Could not create path/i.test(message) ? 'not_found'
        : /Invalid path|not allowed|forbidden/i.test(message) ? 'forbidden'
          : /locked/i.test(message) ? 'locked'
            : /Insufficient space|quota/i.test(message) ? 'insufficient_storage' : 'bad_response';
      out.set(path, { ok: false, error: new CloudError(code, `Bulk upload of ${path}: ${message}`) });
    }
  }
  return out;
}

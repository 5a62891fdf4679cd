import { pipeline, Readable, Transform } from 'node:stream';
import { XMLParser } from 'fast-xml-parser';
import { createClient, type WebDAVClient } from 'webdav';
import { randomBytes } from 'node:crypto';
import { CloudError, HandedOver, type BulkOutcome, type CloudCapabilities, type CloudConnectionSettings, type CloudItem, type CloudPort } from '../port.js';
import { bulkBody, chunkPlan, readBulkAnswer, sliceStream, uploadFolderName } from './transfers.js';

const PROPFIND_BODY = '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop>' +
  '<d:getetag/><d:getlastmodified/><d:getcontentlength/><d:resourcetype/><oc:fileid/><oc:checksums/>' +
  '</d:prop></d:propfind>';

const xml = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => name === 'response' || name === 'propstat',
});

/** `<oc:checksums><oc:checksum>SHA1:ab12 MD5:… ADLER32:…</oc:checksum></oc:checksums>` -> `ab12`. */
function sha1Of(checksums: unknown): string | null {
  const text = typeof checksums === 'object' && checksums !== null ? JSON.stringify(checksums) : String(checksums ?? '');
  const m = /SHA1:([0-9a-f]{40})/i.exec(text);
  return m ? m[1]!.toLowerCase() : null;
}

/** `"abc"`, `W/"abc"` -> `abc`: weak and strong forms of one ETag compare equal. */
export function normaliseEtag(raw: unknown): string | null {
  if (typeof raw !== 'string' || !raw.trim()) return null;
  return raw.trim().replace(/^W\//i, '').replace(/^"(.*)"$/, '$1').replace(/&quot;/g, '') || null;
}

/**
 * Parses a PROPFIND multistatus into items. Servers list their props across several
 * propstats (Nextcloud puts the missing ones under a 404 one): only the 200 ones count.
 */
export function parseMultistatus(body: string, hrefToPath: (href: string) => string): CloudItem[] {
  let doc: any;
  try {
    doc = xml.parse(body);
  } catch (err) {
    throw new CloudError('bad_response', `The server's PROPFIND reply is not XML: ${(err as Error).message}`);
  }
  const responses = doc?.multistatus?.response;
  if (!Array.isArray(responses)) throw new CloudError('not_webdav', 'The server answered PROPFIND without a DAV multistatus: is this a WebDAV URL?');
  return responses.map((r: any) => {
    if (typeof r?.href !== 'string') throw new CloudError('bad_response', 'A PROPFIND response entry has no href');
    const props: Record<string, unknown> = {};
    for (const ps of r.propstat ?? []) {
      if (/\s2\d\d\s/.test(` ${String(ps?.status ?? '')} `)) Object.assign(props, ps?.prop ?? {});
    }
    const isFolder = props.resourcetype !== undefined && typeof props.resourcetype === 'object' && props.resourcetype !== null &&
      'collection' in (props.resourcetype as object);
    const size = Number(props.getcontentlength ?? 0);
    return {
      path: hrefToPath(r.href),
      type: isFolder ? 'folder' : 'file',
      size: Number.isFinite(size) ? size : 0,
      etag: normaliseEtag(props.getetag),
      lastModified: typeof props.getlastmodified === 'string' ? new Date(props.getlastmodified).toISOString() : null,
      fileId: props.fileid !== undefined && props.fileid !== '' ? String(props.fileid) : null,
      sha1: sha1Of(props.checksums),
    } satisfies CloudItem;
  });
}

/** The WebDAV adapter: Apache mod_dav, Nextcloud, ownCloud, any RFC 4918 server. */
export class WebDavCloud implements CloudPort {
  private readonly client: WebDAVClient;
  private readonly base: URL;

  constructor(private readonly settings: CloudConnectionSettings, private readonly timeoutMs = 60_000) {
    this.base = new URL(settings.url.endsWith('/') ? settings.url : settings.url + '/');
    this.client = createClient(this.base.toString(), { username: settings.username, password: settings.password });
  }

  private url(path: string): string {
    const encoded = path.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    return new URL(encoded, this.base).toString();
  }

  private hrefToPath = (href: string): string => {
    const pathname = new URL(href, this.base).pathname;
    const rel = pathname.startsWith(this.base.pathname) ? pathname.slice(this.base.pathname.length) : pathname;
    return '/' + rel.split('/').filter(Boolean).map((s) => decodeURIComponent(s)).join('/');
  };

  private async request(path: string, init: { method: string; headers?: Record<string, string>; data?: unknown; streaming?: boolean; url?: string }): Promise<Response> {
    try {
      return await this.client.customRequest(path, {
        url: init.url ?? this.url(path),
        method: init.method,
        headers: init.headers,
        data: init.data as never,
        // A transfer of any size may take long; only metadata requests get a deadline.
        signal: init.streaming ? undefined : AbortSignal.timeout(this.timeoutMs),
      } as never) as unknown as Response;
    } catch (err) {
      throw await withServerMessage(err, `${init.method} ${path}`);
    }
  }

  async stat(path: string): Promise<CloudItem | null> {
    const res = await this.request(path, { method: 'PROPFIND', headers: { Depth: '0', 'Content-Type': 'application/xml; charset=utf-8' }, data: PROPFIND_BODY })
      .catch((err: CloudError) => { if (err.code === 'not_found') return null; throw err; });
    if (!res) return null;
    if (res.status !== 207) throw new CloudError('not_webdav', `PROPFIND ${path} answered ${res.status} instead of 207 Multi-Status`, res.status);
    const items = parseMultistatus(await res.text(), this.hrefToPath);
    const item = items[0];
    if (!item) throw new CloudError('bad_response', `PROPFIND ${path} listed nothing`);
    return { ...item, path: normalisePath(path) };
  }

  async list(path: string): Promise<{ self: CloudItem; children: CloudItem[] } | null> {
    const res = await this.request(path, { method: 'PROPFIND', headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' }, data: PROPFIND_BODY })
      .catch((err: CloudError) => { if (err.code === 'not_found') return null; throw err; });
    if (!res) return null;
    if (res.status !== 207) throw new CloudError('not_webdav', `PROPFIND ${path} answered ${res.status} instead of 207 Multi-Status`, res.status);
    const wanted = normalisePath(path);
    const items = parseMultistatus(await res.text(), this.hrefToPath);
    const self = items.find((i) => i.path === wanted);
    if (!self) throw new CloudError('bad_response', `PROPFIND ${path} did not list the folder itself`);
    if (self.type !== 'folder') return { self, children: [] };
    return { self, children: items.filter((i) => i !== self && parentOf(i.path) === wanted) };
  }

  async createFolder(path: string): Promise<CloudItem> {
    const made = await this.request(path, { method: 'MKCOL' }).catch((err: CloudError) => {
      // 405: something already exists there (RFC 4918 9.3.1) — success if it is a folder.
      if (err.status !== 405) throw err;
      return null;
    });
    if (made?.status === 201) {
      // Made just now: the reply is enough (Nextcloud / ownCloud name the new file id in it).
      // Its ETag is learnt at the next listing of its parent, which changed anyway.
      return { path: normalisePath(path), type: 'folder', size: 0, etag: null, lastModified: null, fileId: fileIdFromHeader(made.headers.get('oc-fileid')) };
    }
    const item = await this.stat(path);
    if (!item) throw new CloudError('bad_response', `MKCOL ${path} succeeded but the folder is not there`);
    if (item.type !== 'folder') throw new CloudError('conflict', `${path} exists in the cloud and is a file, not a folder`, 409);
    return item;
  }

  async uploadNew(path: string, body: Readable, size: number, opts: { sha1?: string | null } = {}): Promise<CloudItem | null> {
    if (!(await this.putNew(path, body, size, { sha1: opts.sha1, conditional: false }))) return null;
    const item = await this.stat(path);
    if (!item) throw new CloudError('bad_response', `PUT ${path} succeeded but the file is not there`);
    return item;
  }

  async putNew(path: string, body: Readable | Buffer, size: number, opts: { sha1?: string | null; conditional: boolean }): Promise<boolean> {
    if (Buffer.isBuffer(body) && body.length !== size) throw new CloudError('bad_response', `The content of ${path} has ${body.length} bytes, not its ${size}: upload aborted`);
    // Servers that may ignore If-None-Match get a check first, so a person's file stays safe there too.
    if (!opts.conditional && await this.stat(path)) return false;
    try {
      await this.request(path, {
        method: 'PUT',
        headers: {
          'Content-Type': 'application/octet-stream', 'Content-Length': String(size), 'If-None-Match': '*',
          // Nextcloud / ownCloud store it (and report it back in oc:checksums); others ignore it.
          ...(opts.sha1 ? { 'OC-Checksum': `SHA1:${opts.sha1}` } : {}),
        },
        data: Buffer.isBuffer(body) ? body : guarded(body, size, path),
        streaming: true,
      });
    } catch (err) {
      if (err instanceof CloudError && err.code === 'precondition_failed') return false;
      throw err;
    }
    return true;
  }

  /**
   * The connection URL as Nextcloud's `/remote.php/dav/files/<user>/<folder>`: the DAV
   * root, the user and the folder, or null (the legacy `/remote.php/webdav/`, plain WebDAV),
   * where the native transfers are not available.
   */
  private davFiles(): { dav: URL; user: string; folder: string } | null {
    const m = /^(.*\/remote\.php\/dav)\/files\/([^/]+)(\/.*)?$/.exec(this.base.pathname);
    if (!m) return null;
    return { dav: new URL(`${m[1]}/`, this.base), user: decodeURIComponent(m[2]!), folder: normalisePath(decodeURIComponent(m[3] ?? '/')) };
  }

  /** A path of this connection as the user's own files name it (`/remote.php/dav/files/<user>/...` or `/remote.php/webdav/...`). */
  private userPath(path: string): string {
    const dav = this.davFiles();
    if (dav) return normalisePath(`${dav.folder}/${path}`);
    const legacy = /\/remote\.php\/webdav(\/.*)?$/.exec(this.base.pathname);
    return legacy ? normalisePath(`${decodeURIComponent(legacy[1] ?? '/')}/${path}`) : path;
  }

  async putNewChunked(path: string, body: Readable, size: number, opts: { sha1?: string | null; chunkSize: number; uploadKey: string; beforeChunk?: () => Promise<void> }): Promise<boolean> {
    const dav = this.davFiles();
    if (!dav) throw new CloudError('unsupported', 'Chunked upload needs a Nextcloud /remote.php/dav/files/<user>/ URL');
    // Nextcloud takes at most 10000 chunks: a very large file gets larger ones.
    const chunkSize = Math.max(opts.chunkSize, Math.ceil(size / 10_000));
    const plan = chunkPlan(size, chunkSize);
    // A large transfer is not started to learn the name is taken.
    if (await this.stat(path)) return false;
    const folder = new URL(`uploads/${encodeURIComponent(dav.user)}/${uploadFolderName(`${opts.uploadKey}:${size}:${chunkSize}`)}/`, dav.dav).toString();
    const destination = this.url(path);
    const common = { Destination: destination, 'OC-Total-Length': String(size) };
    try {
      // The chunks an earlier attempt (cut off by a crash) left whole on the server.
      const have = new Map<string, number>();
      const listed = await this.request(path, { url: folder, method: 'PROPFIND', headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' }, data: PROPFIND_BODY })
        .catch((err: CloudError) => { if (err.code === 'not_found') return null; throw err; });
      if (listed) {
        for (const item of parseMultistatus(await listed.text(), (href) => new URL(href, folder).pathname)) {
          if (item.type === 'file') have.set(item.path.split('/').pop()!, item.size);
        }
      } else {
        await this.request(path, { url: folder, method: 'MKCOL', headers: { Destination: destination } });
      }
      const slices = sliceStream(body);
      for (const chunk of plan) {
        if (have.get(chunk.name) === chunk.bytes) {
          await slices.skip(chunk.bytes);
          continue;
        }
        await opts.beforeChunk?.();
        await this.request(path, {
          url: folder + chunk.name, method: 'PUT', streaming: true,
          headers: { ...common, 'Content-Type': 'application/octet-stream', 'Content-Length': String(chunk.bytes) },
          data: guarded(slices.piece(chunk.bytes), chunk.bytes, `${path} (chunk ${chunk.name})`),
        });
      }
      if (!(await slices.ended())) throw new CloudError('bad_response', `The content of ${path} is longer than its ${size} bytes: upload aborted`);
      await opts.beforeChunk?.();
      // Overwrite: F: Sabre refuses the MOVE (412) when someone made the name meanwhile.
      // Assembling a large file takes the server a while: no metadata deadline.
      await this.request(path, {
        url: folder + '.file', method: 'MOVE', streaming: true,
        headers: { ...common, Overwrite: 'F', ...(opts.sha1 ? { 'OC-Checksum': `SHA1:${opts.sha1}` } : {}) },
      });
    } catch (err) {
      // The next owner of the operation resumes the upload: leave its folder.
      if (err instanceof HandedOver) throw err.reason;
      // A failed or cancelled upload leaves no upload folder behind (a crash does: the retry resumes it).
      await this.request(path, { url: folder, method: 'DELETE' }).catch(() => {});
      if (err instanceof CloudError && err.code === 'precondition_failed') return false;
      throw err;
    } finally {
      body.destroy();
    }
    return true;
  }

  async bulkUpload(files: { path: string; content: Buffer }[]): Promise<Map<string, BulkOutcome>> {
    const dav = this.davFiles();
    if (!dav) throw new CloudError('unsupported', 'Bulk upload needs a Nextcloud /remote.php/dav/files/<user>/ URL');
    if (files.length === 0) return new Map();
    const parts = files.map((f) => ({ filesPath: this.userPath(f.path), content: f.content }));
    const boundary = `boundary_${randomBytes(12).toString('hex')}`;
    const url = new URL('bulk', dav.dav).toString();
    let res: Response;
    try {
      const body = bulkBody(parts, boundary);
      // The server writes every part before it answers: the deadline grows with the request (100 KB/s at worst).
      res = await fetch(url, {
        method: 'POST', body, signal: AbortSignal.timeout(this.timeoutMs + Math.ceil(body.length / 100)),
        headers: { 'Content-Type': `multipart/related; boundary=${boundary}`, Authorization: this.basicAuth() },
      });
    } catch (err) {
      throw toCloudError(err, `bulk upload of ${files.length} files`);
    }
    const isXml = /xml/i.test(res.headers.get('content-type') ?? '');
    // A 400 in JSON still lists the parts written before the one it stopped at; in XML it
    // refused the whole request (its framing).
    if (res.status !== 200 && !(res.status === 400 && !isXml)) throw await withServerMessage({ status: res.status, response: res }, `bulk upload of ${files.length} files`);
    return this.byPath(files, parts, readBulkAnswer(res.status, await res.text(), parts.map((p) => p.filesPath)));
  }

  private basicAuth(): string {
    return 'Basic ' + Buffer.from(`${this.settings.username}:${this.settings.password}`).toString('base64');
  }

  private byPath(files: { path: string }[], parts: { filesPath: string }[], outcomes: Map<string, BulkOutcome>): Map<string, BulkOutcome> {
    return new Map(files.map((f, i) => [normalisePath(f.path), outcomes.get(parts[i]!.filesPath)!]));
  }

  async download(path: string): Promise<Readable> {
    const res = await this.request(path, { method: 'GET', streaming: true });
    const body = res.body as unknown;
    if (!body) throw new CloudError('bad_response', `GET ${path} returned no body`);
    // The webdav package fetches with node-fetch (a Node stream); keep a web stream working too.
    return body instanceof Readable ? body : Readable.fromWeb(body as never);
  }

  async move(from: string, to: string): Promise<void> {
    await this.request(from, { method: 'MOVE', headers: { Destination: this.url(to), Overwrite: 'F' } });
  }

  async remove(path: string): Promise<void> {
    await this.request(path, { method: 'DELETE' }).catch((err: CloudError) => {
      if (err.code !== 'not_found') throw err;
    });
  }

  linkFor(item: CloudItem): string {
    // Nextcloud / ownCloud: the internal link opens the Files app (needs a login) and keeps
    // working after renames and moves. Plain WebDAV: the item's own URL.
    if (item.fileId) {
      const davIdx = this.base.pathname.indexOf('/remote.php/');
      if (davIdx >= 0) return new URL(`${this.base.pathname.slice(0, davIdx)}/index.php/f/${item.fileId}`, this.base).toString();
    }
    return this.url(item.path);
  }

  async publicLink(item: CloudItem): Promise<string> {
    const davIdx = this.base.pathname.indexOf('/remote.php/');
    if (davIdx < 0) throw new CloudError('unsupported', 'Public links need the OCS share API of Nextcloud / ownCloud; this server is plain WebDAV');
    const api = new URL(`${this.base.pathname.slice(0, davIdx)}/ocs/v2.php/apps/files_sharing/api/v1/shares`, this.base);
    const headers = {
      'OCS-APIRequest': 'true', Accept: 'application/json',
      Authorization: this.basicAuth(),
    };
    // The share API names items from the user's root; the connection may be a folder below it.
    const shared = this.userPath(item.path);
    // Nextcloud makes a new link share on every POST: reuse the one there is.
    const query = new URL(api);
    query.search = new URLSearchParams({ path: shared, reshares: 'false', format: 'json' }).toString();
    const existing = await this.ocs(query, { headers }, `list shares of ${item.path}`);
    const found = Array.isArray(existing) ? existing.find((s: { share_type?: number; url?: string }) => Number(s.share_type) === 3 && typeof s.url === 'string') : undefined;
    if (found) return found.url as string;
    const create = new URL(api);
    create.search = 'format=json';
    const made = await this.ocs(create, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ shareType: '3', path: shared }).toString(),
    }, `share ${item.path}`) as { url?: unknown } | null;
    if (!made || typeof made.url !== 'string') throw new CloudError('bad_response', `The share API made a link share for ${item.path} but gave no URL`);
    return made.url;
  }

  /** One OCS call: the envelope's own status decides, not just HTTP's. */
  private async ocs(url: URL, init: RequestInit, what: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw toCloudError(err, what);
    }
    const text = await res.text();
    let body: { ocs?: { meta?: { statuscode?: number; message?: string }; data?: unknown } };
    try {
      body = JSON.parse(text);
    } catch {
      if (!res.ok) throw toCloudError({ status: res.status, response: res }, what);
      throw new CloudError('bad_response', `${what}: the share API did not answer JSON`);
    }
    const code = Number(body.ocs?.meta?.statuscode ?? res.status);
    if (code >= 200 && code < 300 || code === 100) return body.ocs?.data ?? null;
    const err = toCloudError({ status: code === 997 ? 401 : code, response: res }, what);
    throw new CloudError(err.code, `${err.message}${body.ocs?.meta?.message ? `: ${body.ocs.meta.message}` : ''}`, err.status, err.retryAfterMs);
  }

  async detectCapabilities(): Promise<CloudCapabilities> {
    const root = await this.stat('/');
    if (!root) throw new CloudError('not_found', 'The WebDAV root of the connection does not exist');
    let product: CloudCapabilities['product'] = 'webdav';
    let version: string | null = null;
    const davIdx = this.base.pathname.indexOf('/remote.php/');
    if (davIdx >= 0) {
      try {
        const statusUrl = new URL(`${this.base.pathname.slice(0, davIdx)}/status.php`, this.base);
        const res = await fetch(statusUrl, { signal: AbortSignal.timeout(10_000) });
        if (res.ok) {
          const status = await res.json() as { productname?: string; versionstring?: string };
          // ownCloud 10 says ownCloud; its successor (oCIS) says Infinite Scale.
          product = /owncloud|infinite scale/i.test(status.productname ?? '') ? 'owncloud' : 'nextcloud';
          version = status.versionstring ?? null;
        }
      } catch {
        // Not a Nextcloud / ownCloud: plain WebDAV it is.
      }
    }
    const isNc = product !== 'webdav';
    const found: CloudCapabilities = {
      product,
      version,
      fileIds: root.fileId !== null,
      conditionalWrites: isNc,
      etagPropagation: isNc,
      depthInfinity: isNc,
      shares: isNc,
    };
    if (isNc) Object.assign(found, await this.ocsCapabilities());
    return found;
  }

  /**
   * What the server says it offers (`/ocs/v2.php/cloud/capabilities`, as the desktop
   * client reads it): chunking, bulk upload, sharing, forbidden names and characters.
   */
  private async ocsCapabilities(): Promise<Partial<CloudCapabilities>> {
    const davIdx = this.base.pathname.indexOf('/remote.php/');
    const url = new URL(`${this.base.pathname.slice(0, davIdx)}/ocs/v2.php/cloud/capabilities`, this.base);
    url.search = 'format=json';
    const data = await this.ocs(url, {
      headers: {
        'OCS-APIRequest': 'true', Accept: 'application/json',
        Authorization: this.basicAuth(),
      },
    }, 'read the server capabilities') as { capabilities?: Record<string, any>; version?: { string?: string } } | null;
    const c = data?.capabilities ?? {};
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return {
      ...(data?.version?.string ? { version: data.version.string } : {}),
      shares: c.files_sharing?.api_enabled === true,
      publicShares: c.files_sharing?.public?.enabled === true,
      // Both need the /remote.php/dav/files/<user>/ form of the URL (the legacy
      // /remote.php/webdav/ does not name the user): without it, plain PUTs.
      chunking: typeof c.dav?.chunking === 'string' && this.davFiles() ? c.dav.chunking : null,
      bulkUpload: typeof c.dav?.bulkupload === 'string' && this.davFiles() ? c.dav.bulkupload : null,
      forbiddenNames: [...new Set([...strings(c.files?.blacklisted_files), ...strings(c.files?.forbidden_filenames)])],
      forbiddenCharacters: strings(c.files?.forbidden_filename_characters),
      trashbin: c.files?.undelete === true,
    };
  }
}

/**
 * A body that is shorter than its Content-Length would leave the server waiting forever,
 * a longer one would be cut: either way the request is aborted with a clear error.
 */
function guarded(body: Readable, size: number, path: string): Readable {
  const guard = exactLength(size, path);
  // pipeline, not pipe: a failing source (a filestore read error) fails the request too.
  pipeline(body, guard, () => {});
  return guard;
}

function exactLength(size: number, path: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > size) done(new CloudError('bad_response', `The content of ${path} is longer than its ${size} bytes: upload aborted`));
      else done(null, chunk);
    },
    flush(done) {
      done(seen === size ? null : new CloudError('bad_response', `The content of ${path} ended after ${seen} of ${size} bytes: upload aborted`));
    },
  });
}

/** `OC-FileId: 00002665ocfw2l2amdxx` (the `oc:id` form: padded file id + instance id) -> `2665`. */
export function fileIdFromHeader(value: string | null): string | null {
  const m = value ? /^(\d+)/.exec(value) : null;
  return m ? String(Number(m[1])) : null;
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

export function normalisePath(path: string): string {
  return '/' + path.split('/').filter(Boolean).join('/');
}

/** Maps transport and HTTP failures to one `CloudError` vocabulary. */
/**
 * A failed request as a CloudError, with what the server said in its DAV error body
 * (Sabre's `s:exception` and `s:message`): Nextcloud answers a lock held by another request
 * with a 500 and `OCP\\Lock\\LockedException` (that is a lock: back off and retry), and a
 * full quota with a 507 saying how much space was needed and how much is left.
 */
async function withServerMessage(err: unknown, what: string): Promise<CloudError> {
  const e = err as { status?: number; response?: { text?: () => Promise<string> } };
  const base = toCloudError(err, what);
  if (typeof e.status !== 'number' || e.status < 400 || typeof e.response?.text !== 'function') return base;
  const body = await e.response.text().catch(() => '');
  const exception = /<s:exception>([^<]*)<\/s:exception>/.exec(body)?.[1] ?? '';
  const said = /<s:message>([^<]*)<\/s:message>/.exec(body)?.[1]?.trim();
  if (/LockedException|Exception\\Locked$/.test(exception)) return new CloudError('locked', `${what}: the item is locked${said ? ` (${said})` : ''} (HTTP ${e.status})`, e.status, base.retryAfterMs);
  return said ? new CloudError(base.code, `${base.message}: ${said}`, base.status, base.retryAfterMs) : base;
}

export function toCloudError(err: unknown, what: string): CloudError {
  if (err instanceof CloudError) return err;
  const e = err as { status?: number; response?: { headers?: { get(n: string): string | null } }; message?: string; cause?: { code?: string } };
  const status = e.status;
  if (typeof status === 'number') {
    const retryAfter = parseRetryAfter(e.response?.headers?.get('retry-after') ?? null);
    const map: Record<number, [CloudError['code'], string]> = {
      401: ['auth_failed', 'the cloud rejected the username or password'],
      403: ['forbidden', 'the cloud user may not do this'],
      404: ['not_found', 'not found'],
      405: ['conflict', 'method not allowed here'],
      409: ['conflict', 'the parent folder is missing or the item conflicts'],
      412: ['precondition_failed', 'the item changed or already exists'],
      423: ['locked', 'the item is locked'],
      429: ['unavailable', 'the cloud asks to slow down'],
      502: ['unavailable', 'bad gateway'],
      503: ['unavailable', 'the cloud is unavailable (maintenance?)'],
      504: ['unavailable', 'gateway timeout'],
      507: ['insufficient_storage', 'the cloud user is out of quota'],
    };
    const [code, text] = map[status] ?? [status >= 500 ? 'unavailable' : 'bad_response', `unexpected HTTP ${status}`];
    return new CloudError(code, `${what}: ${text} (HTTP ${status})`, status, retryAfter);
  }
  const name = (err as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new CloudError('unreachable', `${what}: the cloud did not answer in time`);
  const code = e.cause?.code ?? (err as NodeJS.ErrnoException)?.code;
  return new CloudError('unreachable', `${what}: cannot reach the cloud (${code ?? e.message ?? 'network error'})`);
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * A Nextcloud-compatible layer in front of a real WebDAV server (Apache mod_dav). The files
 * stay on Apache: the layer serves them under Nextcloud's `/remote.php/dav/files/<user>/`
 * path and adds, after Nextcloud 29's recorded replies (../shared/fixtures/nextcloud, held
 * to them by test/integration/nextcloudLayer.test.ts):
 *
 * - identity: an `oc:fileid` / `oc:id` in every PROPFIND response and an `OC-FileId` header
 *   on MKCOL, PUT and MOVE; ids are kept across renames, moves and overwrites, never reused;
 * - ETag propagation: a change anywhere gives every ancestor folder up to the user root a
 *   new ETag, in the same request (fixture 06);
 * - `/status.php` and the OCS capabilities (fixture 01), chunking and bulk upload
 *   switchable, so a test can take either away;
 * - chunked upload v2 under `/remote.php/dav/uploads/<user>/<id>` (fixture 09): chunks are
 *   kept on the layer's disk until `MOVE .file` streams them to Apache as one PUT;
 * - bulk upload, `POST /remote.php/dav/bulk` (fixture 12), with its strict MIME framing,
 *   per-file results inside a 200 and the 400 that keeps the parts before a bad one;
 * - OCS link shares and their public download, and `/index.php/f/<fileid>` (fixture 08);
 * - Nextcloud's refusals (fixture 10): forbidden names, invalid characters, `.part`, name
 *   length, the PUT temporary-name limit, 401 with a brute-force delay that grows, quota
 *   (507), locks (423, and 500 `LockedException` on MOVE), maintenance mode (503, fixture 11).
 *
 * Changes must go through the layer (as they go through Nextcloud) for ids and ETags to
 * follow them. What it does not emulate is listed by name in the fixture test.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadExchanges } from './nextcloudReplay.js';

export interface NextcloudLayerState {
  maintenance: boolean;
  /** Bytes the user may store in all; null: no quota. */
  quotaBytes: number | null;
  /** Paths (relative to the user root, like `/Sync/a.txt`) held by another request's lock. */
  locked: Set<string>;
  /** Folders the user may only read (a share without write rights): writes in them get 403. */
  readOnly: Set<string>;
  /** Nextcloud's brute-force throttle: each failed login delays the next 401 by this much more. */
  bruteForceStepMs: number;
  /** After this many failed logins the throttle answers 429 (Nextcloud's "maximum delay reached"). */
  bruteForceMax: number;
  failedLogins: number;
  chunking: boolean;
  bulkUpload: boolean;
  publicShares: boolean;
  /** The next bulk request writes its files, then answers 502 (a proxy giving up on a slow server). */
  failNextBulkAfterWrite?: boolean;
  /** Fields of `/status.php` to answer instead of the recorded ones (another product: `productname: 'ownCloud'`). */
  status?: Record<string, unknown>;
  /** A test's hook, run before each files request (method, path under the user root): a person acting at just that moment. */
  beforeRequest?: (method: string, path: string) => Promise<void> | void;
}

export interface NextcloudLayer {
  /** The WebDAV URL to configure, `http://127.0.0.1:<port>/remote.php/dav/files/<user>/`. */
  url: string;
  origin: string;
  state: NextcloudLayerState;
  /** `METHOD path` (decoded) of every request, in order (tests count bulk POSTs and chunk PUTs). */
  requests: string[];
  /** Upload folders (chunked upload v2) currently kept, by id. */
  uploads(): Promise<string[]>;
  close(): Promise<void>;
}

const INSTANCE = 'oclayer0001';
const DAV_HEADER = '1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, nextcloud-checksum-update, nc-calendar-search, nc-enable-birthday-calendar';
const STATUS = () => JSON.parse(loadExchanges('01-status-capabilities.json').find((e) => e.request.path === '/status.php')!.response.body as string);
const CAPABILITIES = () => JSON.parse(loadExchanges('01-status-capabilities.json').find((e) => e.request.path.startsWith('/ocs/v2.php/cloud/capabilities') && e.response.status === 200 && String(e.request.path).includes('format=json') && e.request.headers.Authorization)!.response.body as string);

function sabreError(exception: string, message: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">\n  <s:exception>${exception}</s:exception>\n  <s:message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</s:message>\n</d:error>\n`;
}

/** PHP's json_encode: `/` escaped, non-ASCII as \uXXXX. */
function phpJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/').replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The Sabre exception Nextcloud names for a status (Apache's own error pages are HTML). */
const SABRE_FOR: Record<number, [string, string]> = {
  400: ['Sabre\\DAV\\Exception\\BadRequest', 'Bad request'],
  403: ['Sabre\\DAV\\Exception\\Forbidden', 'Forbidden'],
  404: ['Sabre\\DAV\\Exception\\NotFound', 'File not found'],
  405: ['Sabre\\DAV\\Exception\\MethodNotAllowed', 'The resource you tried to create already exists'],
  409: ['Sabre\\DAV\\Exception\\Conflict', 'Conflict'],
  412: ['Sabre\\DAV\\Exception\\PreconditionFailed', 'An If-Match header was specified, but none of the specified ETags matched'],
  415: ['Sabre\\DAV\\Exception\\BadRequest', 'Expected {DAV:}mkcol as the root element'],
};

const ocId = (id: string) => `${id.padStart(8, '0')}${INSTANCE}`;
const norm = (p: string) => ('/' + p.split('/').filter(Boolean).join('/'));
const parentOf = (p: string) => norm(p).slice(0, norm(p).lastIndexOf('/')) || '/';
const baseName = (p: string) => norm(p).split('/').pop() ?? '';

export async function startNextcloudLayer(opts: {
  upstream: string;
  user: string;
  /** Where chunk uploads wait for their `MOVE .file` (a fresh temporary folder by default). */
  uploadsDir?: string;
  state?: Partial<NextcloudLayerState>;
}): Promise<NextcloudLayer> {
  const up = new URL(opts.upstream.endsWith('/') ? opts.upstream : opts.upstream + '/');
  const user = opts.user;
  const filesPrefix = `/remote.php/dav/files/${user}`;
  const uploadsPrefix = `/remote.php/dav/uploads/${user}`;
  const uploadsDir = opts.uploadsDir ?? await fsp.mkdtemp(path.join(os.tmpdir(), 'nc-uploads-'));
  const state: NextcloudLayerState = {
    maintenance: false, quotaBytes: null, locked: new Set(), readOnly: new Set(), bruteForceStepMs: 0, bruteForceMax: Infinity, failedLogins: 0,
    chunking: true, bulkUpload: true, publicShares: true, ...opts.state,
  };
  const requests: string[] = [];
  let origin = '';

  // Nextcloud's file cache in small: an id per path (made when an item is created, kept
  // when it is overwritten, carried along by MOVE, dropped by DELETE), and a propagated
  // ETag stamp per folder.
  const ids = new Map<string, string>();
  const stamps = new Map<string, string>();
  let nextId = 1000;
  const fileIdOf = (p: string, fresh = false): string => {
    const key = norm(p);
    if (fresh || !ids.has(key)) ids.set(key, String(nextId++));
    return ids.get(key)!;
  };
  const carry = (map: Map<string, string>, from: string, to: string | null) => {
    const f = norm(from);
    for (const [k, v] of [...map]) {
      if (k !== f && !k.startsWith(f + '/')) continue;
      map.delete(k);
      if (to !== null) map.set(norm(to) + k.slice(f.length), v);
    }
  };
  /** A change at `p`: every ancestor up to the root gets the same new ETag (fixture 06). */
  const propagate = (p: string) => {
    const stamp = randomBytes(7).toString('hex').slice(0, 13);
    for (let a = parentOf(p); ; a = parentOf(a)) {
      stamps.set(a, stamp);
      if (a === '/') break;
    }
  };
  const folderEtag = (p: string, upstreamEtag: string) => {
    const stamp = stamps.get(norm(p));
    return stamp ? createHash('md5').update(stamp + upstreamEtag).digest('hex').slice(0, 13) : upstreamEtag;
  };

  const upstreamUrl = (p: string) => {
    const segments = p.split('/').filter(Boolean).map(encodeURIComponent);
    return segments.length ? new URL(segments.join('/') + (p.endsWith('/') ? '/' : ''), up) : new URL(up);
  };

  /** One request to Apache, the caller's credentials passed on. */
  function upstream(method: string, p: string, headers: http.OutgoingHttpHeaders, body?: Buffer | NodeJS.ReadableStream): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const u = upstreamUrl(p);
      const req = http.request({ host: u.hostname, port: u.port, method, path: u.pathname, headers: { ...headers, host: up.host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else (body as NodeJS.ReadableStream).pipe(req);
    });
  }

  async function currentEtag(p: string, authorization: string): Promise<string | null> {
    const r = await upstream('PROPFIND', p, { authorization, depth: '0' });
    if (r.status !== 207) return null;
    const text = r.body.toString();
    const raw = /getetag>([^<]*)</.exec(text)?.[1]?.replace(/&quot;/g, '"') ?? null;
    if (raw === null) return null;
    return /<D:collection\s*\/>/.test(text) ? `"${folderEtag(p, raw.replace(/^W\//, '').replace(/"/g, ''))}"` : raw;
  }
  async function exists(p: string, authorization: string): Promise<boolean> {
    return (await upstream('PROPFIND', p, { authorization, depth: '0' })).status === 207;
  }

  const goodLogins = new Set<string>();
  /** Basic auth checked against Apache's own (a Depth 0 PROPFIND of the root). */
  async function loginOk(authorization: string | undefined): Promise<boolean> {
    if (!authorization) return false;
    if (goodLogins.has(authorization)) return true;
    const r = await upstream('PROPFIND', '/', { authorization, depth: '0' });
    if (r.status === 207) goodLogins.add(authorization);
    return r.status === 207;
  }

  async function refuseLogin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const tried = !!req.headers.authorization;
    if (tried) {
      state.failedLogins++;
      if (state.failedLogins > state.bruteForceMax) {
        res.writeHead(429, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('OCP\\Security\\Bruteforce\\MaxDelayReached', 'Reached maximum delay'));
        return;
      }
      await new Promise((r) => setTimeout(r, state.bruteForceStepMs * state.failedLogins));
    }
    const ajax = req.headers['x-requested-with'] === 'XMLHttpRequest';
    res.writeHead(401, {
      'www-authenticate': ajax ? 'DummyBasic realm="Nextcloud"' : 'Basic realm="Nextcloud", charset="UTF-8"',
      'content-type': 'application/xml; charset=utf-8',
    }).end(sabreError('Sabre\\DAV\\Exception\\NotAuthenticated', ajax ? 'Cannot authenticate over ajax calls'
      : tried ? 'No public access to this resource., Username or password was incorrect'
        : "No public access to this resource., No 'Authorization: Basic' header found. Either the client didn't send one, or the server is misconfigured"));
  }

  const maintenanceReply = (res: http.ServerResponse): void => void res.writeHead(503, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('OCA\\DAV\\Exception\\ServerMaintenanceMode', 'System is in maintenance mode.'));

  /** Nextcloud's name rules (fixture 10), checked before anything is written. */
  function nameRefusal(method: string, name: string): [number, string, string] | null {
    const forbidden = (CAPABILITIES_CACHE.ocs.data.capabilities.files.blacklisted_files as string[]) ?? ['.htaccess'];
    if (forbidden.includes(name)) return [403, 'Sabre\\DAV\\Exception\\Forbidden', ''];
    if (/[\\\n]/.test(name)) return [400, 'OCA\\DAV\\Connector\\Sabre\\Exception\\InvalidPath', 'File name contains at least one invalid character'];
    if (Buffer.byteLength(name) > 250) return [400, 'OCA\\DAV\\Connector\\Sabre\\Exception\\InvalidPath', 'File name is too long'];
    if (name.endsWith('.part')) {
      if (method === 'MKCOL') return [405, 'Sabre\\DAV\\Exception\\MethodNotAllowed', 'The resource you tried to create already exists'];
      if (method === 'PUT') return [423, 'OCA\\DAV\\Connector\\Sabre\\Exception\\FileLocked', `"${name}" is locked`];
    }
    // A plain PUT goes through `<name>.ocTransferId<random>.part` first: past 255 bytes on disk.
    if (method === 'PUT' && Buffer.byteLength(name) > 228) return [500, 'Sabre\\DAV\\Exception', 'Error while copying file to target location (copied: -1 bytes, expected filesize: 2 bytes)'];
    return null;
  }
  const CAPABILITIES_CACHE = CAPABILITIES();

  async function usedBytes(authorization: string): Promise<number> {
    const r = await upstream('PROPFIND', '/', { authorization, depth: 'infinity' });
    return [...r.body.toString().matchAll(/getcontentlength>(\d+)</g)].reduce((n, m) => n + Number(m[1]), 0);
  }
  async function quotaRefusal(authorization: string, incoming: number, where: string): Promise<string | null> {
    if (state.quotaBytes === null) return null;
    const free = Math.max(0, state.quotaBytes - await usedBytes(authorization));
    return incoming > free ? `Insufficient space in ${where}, ${incoming} required, ${free} available` : null;
  }

  const lockedReply = (res: http.ServerResponse, p: string, method: string): void => {
    const [status, exception] = method === 'MOVE' ? [500, 'OCP\\Lock\\LockedException'] : [423, 'OCA\\DAV\\Connector\\Sabre\\Exception\\FileLocked'];
    res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError(exception, `"${p.slice(1)}" is locked`));
  };

  /** Rewrites Apache's multistatus: Nextcloud's hrefs, file ids, propagated folder ETags. */
  function rewriteMultistatus(body: string, prefix = filesPrefix): string {
    return body.replace(/<D:response\b([^>]*)>([\s\S]*?)<\/D:response>/g, (_whole, attrs: string, inner: string) => {
      const href = /<D:href>([^<]*)<\/D:href>/.exec(inner)?.[1] ?? '';
      const upstreamHref = new URL(href, up).pathname;
      const rel = '/' + upstreamHref.slice(up.pathname.length);
      const p = decodeURIComponent(rel);
      const id = fileIdOf(p);
      let rewritten = inner.replace(`<D:href>${href}</D:href>`, `<D:href>${prefix}${rel}</D:href>`);
      if (/<D:collection\s*\/>/.test(inner)) {
        rewritten = rewritten.replace(/<(\w+):getetag>([^<]*)<\/\1:getetag>/, (_m, ns: string, etag: string) => `<${ns}:getetag>"${folderEtag(p, etag.replace(/^W\//, '').replace(/"|&quot;/g, ''))}"</${ns}:getetag>`);
      }
      rewritten = rewritten.replace('<D:prop>', `<D:prop><oc:fileid xmlns:oc="http://owncloud.org/ns">${id}</oc:fileid><oc:id xmlns:oc="http://owncloud.org/ns">${ocId(id)}</oc:id>`);
      return `<D:response${attrs}>${rewritten}</D:response>`;
    });
  }

  async function files(req: http.IncomingMessage, res: http.ServerResponse, rel: string, prefix = filesPrefix): Promise<void> {
    const method = req.method!;
    const p = norm(decodeURIComponent(rel));
    const auth = req.headers.authorization ?? '';
    await state.beforeRequest?.(method, p);
    if (state.maintenance) {
      req.resume();
      return maintenanceReply(res);
    }
    let destination: string | null = null;
    if (typeof req.headers.destination === 'string') {
      const d = new URL(req.headers.destination, origin);
      if (!d.pathname.startsWith(prefix + '/')) {
        res.writeHead(502, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\BadGateway', 'The destination is not on this server'));
        return;
      }
      destination = norm(decodeURIComponent(d.pathname.slice(prefix.length)));
    }
    if (method === 'GET' && rel.endsWith('/')) {
      // Nextcloud answers a folder's GET with a page (Apache, without indexes, with 404).
      req.resume();
      res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' }).end('This is the WebDAV interface. It can only be accessed by WebDAV clients such as the Nextcloud desktop sync client.');
      return;
    }
    if (method === 'PUT' || method === 'MKCOL' || method === 'MOVE' || method === 'COPY') {
      const target = method === 'MOVE' || method === 'COPY' ? destination : p;
      if (target && target !== '/') {
        const refusal = nameRefusal(method === 'MOVE' || method === 'COPY' ? 'MOVE' : method, baseName(target));
        if (refusal && (await loginOk(auth))) {
          res.writeHead(refusal[0], { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError(refusal[1], refusal[2]));
          return;
        }
      }
    }
    const inReadOnly = (x: string | null) => x !== null && [...state.readOnly].some((r) => x === norm(r) || x.startsWith(norm(r) + '/'));
    if (['PUT', 'MKCOL', 'MOVE', 'COPY', 'DELETE'].includes(method) && (inReadOnly(p) || inReadOnly(destination)) && (await loginOk(auth))) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\Forbidden', 'Permission denied'));
      return;
    }
    if (state.locked.has(p) && ['PUT', 'DELETE', 'GET', 'MOVE'].includes(method) && (await loginOk(auth))) {
      lockedReply(res, p, method);
      return;
    }
    if (method === 'PUT' && state.quotaBytes !== null && (await loginOk(auth))) {
      const refusal = await quotaRefusal(auth, Number(req.headers['content-length'] ?? 0), p);
      if (refusal) {
        req.resume();
        res.writeHead(507, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\InsufficientStorage', refusal));
        return;
      }
    }
    if (method === 'LOCK') {
      res.writeHead(501, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\NotImplemented', 'There was no plugin in the system that was willing to handle this LOCK method.'));
      return;
    }
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: up.host };
    delete headers['x-oc-mtime'];
    if (destination !== null) headers.destination = upstreamUrl(destination).toString();
    if (method === 'PROPFIND' && headers.depth === undefined) headers.depth = '1'; // Nextcloud: no Depth is Depth 1
    const u = upstreamUrl(rel.endsWith('/') ? p + '/' : p);
    const proxied = http.request({ host: u.hostname, port: u.port, method, path: u.pathname, headers }, (upRes) => {
      void (async () => {
        let status = upRes.statusCode!;
        if (status === 401) {
          upRes.resume();
          return refuseLogin(req, res);
        }
        const outHeaders: http.OutgoingHttpHeaders = { ...upRes.headers, dav: DAV_HEADER };
        delete outHeaders['content-length'];
        const ok = status >= 200 && status < 300;
        if (ok && (method === 'MKCOL' || method === 'PUT')) {
          outHeaders['oc-fileid'] = ocId(fileIdOf(p, status === 201));
          propagate(p);
        }
        if (ok && method === 'MOVE' && destination !== null) {
          carry(ids, p, destination);
          carry(stamps, p, destination);
          outHeaders['oc-fileid'] = ocId(fileIdOf(destination));
          propagate(p);
          propagate(destination);
        }
        if (ok && method === 'COPY' && destination !== null) {
          outHeaders['oc-fileid'] = ocId(fileIdOf(destination, true));
          propagate(destination);
        }
        if (ok && method === 'DELETE') {
          carry(ids, p, null);
          carry(stamps, p, null);
          propagate(p);
        }
        // Nextcloud names the file's ETag (twice) on writes, reads, and refused conditions.
        const etagAt = ok && (method === 'MOVE' || method === 'COPY') ? destination : (ok && method === 'PUT') || status === 412 ? p : null;
        if (etagAt !== null) {
          const etag = await currentEtag(etagAt, req.headers.authorization ?? '');
          if (etag) outHeaders.etag = etag;
        }
        if (outHeaders.etag && (ok || status === 304)) outHeaders['oc-etag'] = outHeaders.etag;
        if (ok && req.headers['x-oc-mtime'] && method === 'PUT') outHeaders['x-oc-mtime'] = 'accepted';
        if (status >= 400) {
          upRes.resume();
          // Nextcloud's statuses where Apache's differ: a PUT into a missing folder is 404,
          // a MOVE into one 409; and every error is a Sabre XML body.
          if (status === 409 && method === 'PUT' && !(await exists(parentOf(p), req.headers.authorization ?? ''))) status = 404;
          if (status === 500 && method === 'MOVE' && destination !== null && !(await exists(parentOf(destination), req.headers.authorization ?? ''))) status = 409;
          if (status === 415 && method === 'MKCOL') status = 400;
          const [exception, message] = SABRE_FOR[status] ?? ['Sabre\\DAV\\Exception', `HTTP ${status}`];
          delete outHeaders['content-type'];
          res.writeHead(status, { ...outHeaders, 'content-type': 'application/xml; charset=utf-8' }).end(method === 'HEAD' ? undefined : sabreError(exception, message));
          return;
        }
        if (method !== 'PROPFIND' || status !== 207) {
          res.writeHead(status, outHeaders);
          upRes.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => res.writeHead(207, outHeaders).end(rewriteMultistatus(Buffer.concat(chunks).toString('utf8'), prefix)));
      })().catch((err: Error) => { if (!res.headersSent) res.writeHead(502); res.end(String(err)); });
    });
    proxied.on('error', (err) => res.writeHead(502).end(String(err)));
    req.pipe(proxied);
  }

  // --- Chunked upload v2 (fixture 09) ---------------------------------------------------

  const uploadDir = (id: string) => path.join(uploadsDir, id.replace(/[^\w.-]/g, '_'));
  async function chunks(id: string): Promise<{ name: string; size: number }[] | null> {
    const dir = uploadDir(id);
    const names = await fsp.readdir(dir).catch(() => null);
    if (!names) return null;
    const out = [];
    for (const name of names.filter((n) => !n.startsWith('.')).sort()) out.push({ name, size: (await fsp.stat(path.join(dir, name))).size });
    return out;
  }
  const notFound = (res: http.ServerResponse, what: string): void => void res.writeHead(404, { 'content-type': 'application/xml; charset=utf-8', dav: DAV_HEADER }).end(sabreError('Sabre\\DAV\\Exception\\NotFound', `File with name ${what} could not be located`));

  function multistatus(entries: { href: string; folder: boolean; size?: number; etag?: string }[]): string {
    return '<?xml version="1.0"?>\n<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">' +
      entries.map((e) => `<d:response><d:href>${e.href}</d:href><d:propstat><d:prop>${e.folder ? '<d:resourcetype><d:collection/></d:resourcetype>' : `<d:resourcetype/><d:getcontentlength>${e.size}</d:getcontentlength><d:getetag>&quot;${e.etag}&quot;</d:getetag>`}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`).join('') +
      '</d:multistatus>';
  }

  async function uploads(req: http.IncomingMessage, res: http.ServerResponse, rel: string): Promise<void> {
    const [id, chunk, ...rest] = rel.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method!;
    const auth = req.headers.authorization!;
    if (method === 'PROPFIND') {
      req.resume();
      const depth = req.headers.depth ?? '1';
      if (!id) {
        const dirs = await fsp.readdir(uploadsDir).catch(() => []);
        res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8', dav: DAV_HEADER }).end(multistatus([
          { href: `${uploadsPrefix}/`, folder: true },
          ...(depth === '0' ? [] : dirs.map((d) => ({ href: `${uploadsPrefix}/${encodeURIComponent(d)}/`, folder: true }))),
        ]));
        return;
      }
      const list = await chunks(id);
      if (!list) return notFound(res, `//${id}`);
      const entries = chunk
        ? list.filter((c) => c.name === chunk).map((c) => ({ href: `${uploadsPrefix}/${id}/${c.name}`, folder: false, size: c.size, etag: createHash('md5').update(c.name + c.size).digest('hex') }))
        : [{ href: `${uploadsPrefix}/${id}/`, folder: true }, ...(depth === '0' ? [] : [
          // Nextcloud lists the assembled file-to-be next to the chunks.
          { href: `${uploadsPrefix}/${id}/.file`, folder: false, size: list.reduce((n, c) => n + c.size, 0), etag: createHash('md5').update(id).digest('hex') },
          ...list.map((c) => ({ href: `${uploadsPrefix}/${id}/${c.name}`, folder: false, size: c.size, etag: createHash('md5').update(c.name + c.size).digest('hex') })),
        ])];
      if (chunk && entries.length === 0) return notFound(res, chunk);
      res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8', dav: DAV_HEADER }).end(multistatus(entries));
      return;
    }
    if (!id || rest.length > 0) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\Forbidden', 'Permission denied'));
      return;
    }
    const dir = uploadDir(id);
    if (method === 'MKCOL' && !chunk) {
      req.resume();
      const made = await fsp.mkdir(dir).then(() => true, () => false);
      if (!made) {
        res.writeHead(405, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\MethodNotAllowed', 'The resource you tried to create already exists'));
        return;
      }
      res.writeHead(201, { 'content-type': 'text/html; charset=UTF-8', 'content-length': '0' }).end();
      return;
    }
    if (method === 'DELETE' && !chunk) {
      req.resume();
      const existed = await fsp.stat(dir).then(() => true, () => false);
      await fsp.rm(dir, { recursive: true, force: true });
      if (!existed) return notFound(res, `//${id}`);
      res.writeHead(204).end();
      return;
    }
    if (method === 'PUT' && chunk && chunk !== '.file') {
      if (!(await fsp.stat(dir).then(() => true, () => false))) {
        req.resume();
        return notFound(res, `//${id}`);
      }
      const total = Number(req.headers['oc-total-length'] ?? NaN);
      if (Number.isFinite(total) && state.quotaBytes !== null) {
        const destination = typeof req.headers.destination === 'string' ? decodeURIComponent(new URL(req.headers.destination, origin).pathname.slice(filesPrefix.length)) : '/';
        const refusal = await quotaRefusal(auth, total, parentOf(destination));
        if (refusal) {
          req.resume();
          res.writeHead(507, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\InsufficientStorage', refusal));
          return;
        }
      }
      // Like Nextcloud, a chunk is written to a temporary name and only kept whole: an
      // upload cut mid-chunk leaves no partial chunk behind.
      const tmp = path.join(dir, `.${chunk}.${randomBytes(4).toString('hex')}`);
      const expected = Number(req.headers['content-length'] ?? NaN);
      const out = fs.createWriteStream(tmp);
      let received = 0;
      req.on('data', (c: Buffer) => { received += c.length; });
      req.pipe(out);
      const finished = await new Promise<boolean>((resolve) => {
        req.on('aborted', () => resolve(false));
        req.on('error', () => resolve(false));
        out.on('finish', () => resolve(req.complete && (!Number.isFinite(expected) || received === expected)));
        out.on('error', () => resolve(false));
      });
      if (!finished) {
        out.destroy();
        await fsp.rm(tmp, { force: true });
        if (!res.writableEnded && !req.destroyed) res.writeHead(400).end(sabreError('Sabre\\DAV\\Exception\\BadRequest', 'Expected filesize does not match the received length'));
        return;
      }
      await fsp.rename(tmp, path.join(dir, chunk));
      res.writeHead(201, { 'content-type': 'text/html; charset=UTF-8', 'content-length': '0' }).end();
      return;
    }
    if (method === 'MOVE' && chunk === '.file') {
      req.resume();
      const list = await chunks(id);
      if (!list) return notFound(res, `//${id}`);
      if (typeof req.headers.destination !== 'string') {
        res.writeHead(400, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\BadRequest', 'The destination header was not supplied'));
        return;
      }
      const d = new URL(req.headers.destination, origin);
      const destination = norm(decodeURIComponent(d.pathname.slice(filesPrefix.length)));
      const refusal = nameRefusal('MOVE', baseName(destination));
      if (refusal) {
        res.writeHead(refusal[0], { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError(refusal[1], refusal[2]));
        return;
      }
      const size = list.reduce((n, c) => n + c.size, 0);
      const total = req.headers['oc-total-length'] !== undefined ? Number(req.headers['oc-total-length']) : size;
      if (total !== size) {
        res.writeHead(400, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\BadRequest', `Chunks on server do not sum up to ${total} but to ${size} bytes`));
        return;
      }
      if (state.locked.has(destination)) return lockedReply(res, destination, 'PUT');
      const existing = await upstream('PROPFIND', destination, { authorization: auth, depth: '0' });
      // Sabre checks Overwrite before the chunking plugin sees the MOVE.
      if (existing.status === 207 && String(req.headers.overwrite ?? 'T').toUpperCase() === 'F') {
        res.writeHead(412, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\PreconditionFailed', 'The destination node already exists, and the overwrite header is set to false'));
        return;
      }
      const { PassThrough } = await import('node:stream');
      const body = new PassThrough();
      void (async () => {
        for (const c of list) {
          await new Promise<void>((resolve, reject) => {
            const rs = fs.createReadStream(path.join(uploadDir(id), c.name));
            rs.on('end', resolve);
            rs.on('error', reject);
            rs.pipe(body, { end: false });
          });
        }
        body.end();
      })().catch((err: Error) => body.destroy(err));
      const put = await upstream('PUT', destination, { authorization: auth, 'content-length': String(size), 'content-type': 'application/octet-stream' }, body);
      if (put.status >= 300) {
        const status = put.status === 409 ? 409 : put.status;
        res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError(status === 409 ? 'Sabre\\DAV\\Exception\\Conflict' : 'Sabre\\DAV\\Exception', `Could not assemble the upload at ${destination} (HTTP ${put.status})`));
        return;
      }
      await fsp.rm(uploadDir(id), { recursive: true, force: true });
      const fresh = put.status === 201;
      const fileId = fileIdOf(destination, fresh);
      propagate(destination);
      const stat = await upstream('PROPFIND', destination, { authorization: auth, depth: '0' });
      const etag = /getetag>([^<]*)</.exec(stat.body.toString())?.[1]?.replace(/&quot;/g, '"') ?? '';
      res.writeHead(fresh ? 201 : 204, {
        ...(req.headers['x-oc-mtime'] ? { 'x-oc-mtime': 'accepted' } : {}),
        'oc-etag': etag, etag, 'oc-fileid': ocId(fileId),
        ...(fresh ? { 'content-length': '0', 'content-type': 'text/html; charset=UTF-8' } : {}),
      }).end();
      return;
    }
    req.resume();
    res.writeHead(405, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\MethodNotAllowed', `${method} is not allowed here`));
  }

  // --- Bulk upload (fixture 12) ---------------------------------------------------------

  async function bulk(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const auth = req.headers.authorization!;
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
    });
    const type = String(req.headers['content-type'] ?? '');
    const badRequest = (message: string) => res.writeHead(400, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\BadRequest', message));
    if (!/^multipart\/related\b/i.test(type)) return void badRequest('Content-Type must be multipart/related');
    // Nextcloud reads only the first parameter after the media type.
    const first = /^multipart\/related\s*;\s*([^;]*)/i.exec(type)?.[1] ?? '';
    const m = /^boundary=("?)([^"]+)\1$/i.exec(first.trim());
    if (!m) return void badRequest('Boundary is invalid');
    const boundary = Buffer.from(`--${m[2]}`);
    const results: Record<string, unknown> = {};
    const reply = (status: number) => {
      if (state.failNextBulkAfterWrite) {
        state.failNextBulkAfterWrite = false;
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
        return;
      }
      res.writeHead(status, { 'content-type': 'text/html; charset=UTF-8', 'cache-control': 'no-store, no-cache, must-revalidate' })
        .end(Object.keys(results).length ? phpJson(results) : '[]');
    };
    let at = 0;
    const CRLF = Buffer.from('\r\n');
    for (;;) {
      if (!raw.subarray(at, at + boundary.length).equals(boundary)) return void reply(400);
      at += boundary.length;
      if (raw.subarray(at, at + 2).toString() === '--') return void reply(raw.subarray(at + 2, at + 4).equals(CRLF) ? 200 : 400);
      if (!raw.subarray(at, at + 2).equals(CRLF)) return void reply(400);
      at += 2;
      const headers: Record<string, string> = {};
      for (;;) {
        const end = raw.indexOf(CRLF, at);
        if (end < 0) return void reply(400);
        const line = raw.subarray(at, end).toString('utf8');
        at = end + 2;
        if (line === '') break;
        const colon = line.indexOf(':');
        if (colon < 0) return void reply(400);
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : NaN;
      const md5 = headers['x-file-md5'];
      if (!Number.isInteger(length) || length < 0 || !md5 || !/^[0-9a-f]{32}$/.test(md5)) return void reply(400);
      const content = raw.subarray(at, at + length);
      if (content.length !== length) return void reply(400);
      at += length;
      if (!raw.subarray(at, at + 2).equals(CRLF)) return void reply(400);
      at += 2;
      if (createHash('md5').update(content).digest('hex') !== md5) return void reply(400);
      const filePath = headers['x-file-path'];
      if (filePath === undefined) {
        res.writeHead(500, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('TypeError', 'OC\\Files\\Utils\\PathHelper::normalizePath(): Argument #1 ($path) must be of type string, null given'));
        return;
      }
      const p = norm(filePath);
      const mtime = headers['x-file-mtime'] ?? headers['x-oc-mtime'];
      if (mtime !== undefined && !/^\d+$/.test(mtime)) { results[filePath] = { error: true, message: 'X-OC-MTime header must be an integer (unix timestamp).' }; continue; }
      const refusal = nameRefusal('BULK', baseName(p));
      if (refusal) { results[filePath] = { error: true, message: `Invalid path: files${p}` }; continue; }
      if (state.locked.has(p)) { results[filePath] = { error: true, message: `"${p.slice(1)}" is locked` }; continue; }
      const quota = await quotaRefusal(auth, length, p);
      if (quota) { results[filePath] = { error: true, message: quota }; continue; }
      const put = await upstream('PUT', p, { authorization: auth, 'content-length': String(length), 'content-type': 'application/octet-stream' }, content);
      if (put.status >= 300) { results[filePath] = { error: true, message: `Could not create path "/${user}/files${p}"` }; continue; }
      const fileId = fileIdOf(p, put.status === 201);
      propagate(p);
      const stat = await upstream('PROPFIND', p, { authorization: auth, depth: '0' });
      const etag = (/getetag>([^<]*)</.exec(stat.body.toString())?.[1] ?? '').replace(/&quot;|"/g, '');
      results[filePath] = { error: false, etag, fileid: ocId(fileId), permissions: 'RGDNVW' };
    }
  }

  // --- OCS: capabilities, shares ---------------------------------------------------------

  interface Share { id: string; token: string; path: string; fileId: string; folder: boolean; auth: string }
  const shares: Share[] = [];
  let nextShare = 1;
  const ocsReply = (res: http.ServerResponse, status: number, data: unknown, message = 'OK', statuscode = status): void => void res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
      .end(phpJson({ ocs: { meta: { status: status < 300 ? 'ok' : 'failure', statuscode, message }, data } }));
  const shareData = (s: Share) => ({
    id: s.id, share_type: 3, uid_owner: user, permissions: 17, token: s.token, path: s.path, item_type: s.folder ? 'folder' : 'file',
    item_source: Number(s.fileId), file_source: Number(s.fileId), file_target: `/${baseName(s.path)}`, url: `${origin}/s/${s.token}`,
    share_with: null, share_with_displayname: '(Shared link)', password: null, expiration: null,
  });

  async function ocs(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let s = '';
      req.on('data', (c: Buffer) => { s += c.toString(); });
      req.on('end', () => resolve(s));
    });
    if (state.maintenance) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'x-nextcloud-maintenance-mode': '1' })
        .end('{"ocs":{"meta":{"status":"failure","statuscode":503,"message":"Service unavailable"},"data":[]}}');
      return;
    }
    if (req.headers['ocs-apirequest'] !== 'true') {
      res.writeHead(412, { 'content-type': 'application/json; charset=utf-8' }).end('{"message":"CSRF check failed"}');
      return;
    }
    const auth = req.headers.authorization ?? '';
    const route = url.pathname.replace(/^\/ocs\/v[12]\.php/, '');
    const v1 = url.pathname.startsWith('/ocs/v1.php');
    if (route === '/cloud/capabilities') {
      // Anonymous callers get the capabilities too (Nextcloud trims a few apps' entries).
      const doc = CAPABILITIES();
      const caps = doc.ocs.data.capabilities;
      if (!state.chunking) delete caps.dav.chunking;
      if (!state.bulkUpload) delete caps.dav.bulkupload;
      caps.files_sharing.public.enabled = state.publicShares;
      const text = phpJson(doc);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag: `"${createHash('md5').update(text).digest('hex')}"` }).end(text);
      return;
    }
    if (!(await loginOk(auth))) {
      if (auth) {
        state.failedLogins++;
        await new Promise((r) => setTimeout(r, state.bruteForceStepMs * state.failedLogins));
      }
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Authorisation Required"', 'content-type': 'application/json; charset=utf-8' })
        .end(phpJson({ ocs: { meta: { status: 'failure', statuscode: 997, message: 'Current user is not logged in' }, data: [] } }));
      return;
    }
    if (route === '/cloud/user') {
      return ocsReply(res, 200, { id: user, displayname: user, 'display-name': user, quota: { quota: state.quotaBytes ?? -3 } }, 'OK', v1 ? 100 : 200);
    }
    const sharesRoute = '/apps/files_sharing/api/v1/shares';
    if (route === sharesRoute && req.method === 'GET') {
      const want = norm(url.searchParams.get('path') ?? '/');
      const list = url.searchParams.get('subfiles') === 'true' ? shares.filter((s) => parentOf(s.path) === want) : shares.filter((s) => s.path === want);
      return ocsReply(res, 200, list.map(shareData));
    }
    if (route === sharesRoute && req.method === 'POST') {
      const form: Record<string, string> = String(req.headers['content-type'] ?? '').includes('json') ? JSON.parse(body || '{}') : Object.fromEntries(new URLSearchParams(body));
      if (String(form.shareType) !== '3') return ocsReply(res, 400, [], 'Only link shares are emulated');
      if (!state.publicShares) return ocsReply(res, 403, [], 'Public link sharing is disabled by the administrator');
      const p = norm(String(form.path ?? ''));
      const stat = await upstream('PROPFIND', p, { authorization: auth, depth: '0' });
      if (stat.status !== 207) return ocsReply(res, 404, [], 'Wrong path, file/folder does not exist');
      const share: Share = { id: String(nextShare++), token: randomBytes(12).toString('base64url').slice(0, 15), path: p, fileId: fileIdOf(p), folder: /<D:collection\s*\/>/.test(stat.body.toString()), auth };
      shares.push(share);
      return ocsReply(res, 200, shareData(share));
    }
    const one = new RegExp(`^${sharesRoute}/(\\d+)$`).exec(route);
    if (one) {
      const i = shares.findIndex((s) => s.id === one[1]);
      if (i < 0) return ocsReply(res, 404, [], 'Wrong share ID, share does not exist');
      if (req.method === 'DELETE') {
        shares.splice(i, 1);
        return ocsReply(res, 200, []);
      }
      return ocsReply(res, 200, [shareData(shares[i]!)]);
    }
    ocsReply(res, 404, [], 'Not emulated');
  }

  async function publicDownload(res: http.ServerResponse, token: string): Promise<void> {
    const share = shares.find((s) => s.token === token);
    if (!share) {
      res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8' }).end('<html>Share not found</html>');
      return;
    }
    if (share.folder) {
      res.writeHead(501, { 'content-type': 'text/plain' }).end('Folder downloads (zip) are not emulated');
      return;
    }
    const got = await upstream('GET', share.path, { authorization: share.auth });
    res.writeHead(got.status, { 'content-type': got.headers['content-type'] ?? 'application/octet-stream', 'content-disposition': `attachment; filename="${baseName(share.path)}"` }).end(got.body);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    let logged = url.pathname;
    try { logged = decodeURIComponent(url.pathname); } catch { /* kept as sent */ }
    requests.push(`${req.method} ${logged}`);
    void (async () => {
      const route = url.pathname;
      if (route === '/status.php') {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...STATUS(), ...state.status, maintenance: state.maintenance }));
        return;
      }
      if (route.startsWith('/ocs/')) return ocs(req, res, url);
      if (state.maintenance && /^(?:\/index\.php)?\/s\//.test(route)) {
        req.resume();
        res.writeHead(503, { 'content-type': 'text/html; charset=UTF-8', 'x-nextcloud-maintenance-mode': '1', 'retry-after': '120' }).end('<html>Maintenance mode</html>');
        return;
      }
      const dl = /^(?:\/index\.php)?\/s\/([\w-]+)\/download$/.exec(route);
      if (dl) {
        req.resume();
        return publicDownload(res, dl[1]!);
      }
      const page = /^(?:\/index\.php)?\/s\/([\w-]+)$/.exec(route);
      if (page) {
        req.resume();
        const known = shares.some((x) => x.token === page[1]);
        res.writeHead(known ? 200 : 404, { 'content-type': 'text/html; charset=UTF-8' }).end(`<html>${known ? 'Public share' : 'Share not found'}</html>`);
        return;
      }
      const internal = /^(?:\/index\.php)?\/f\/(\d+)$/.exec(route);
      if (internal) {
        req.resume();
        if (!(await loginOk(req.headers.authorization))) {
          res.writeHead(401, { 'content-type': 'application/json; charset=utf-8' }).end('{"message":"Current user is not logged in"}');
          return;
        }
        const found = [...ids].find(([, v]) => v === internal[1]);
        res.writeHead(303, { location: found ? `/apps/files/files/${internal[1]}?dir=${parentOf(found[0])}` : '/apps/files/?fileNotFound=1' }).end();
        return;
      }
      if (!route.startsWith('/remote.php/')) {
        req.resume();
        res.writeHead(route.startsWith('/index.php/') && req.method === 'PROPFIND' ? 405 : 404, { 'content-type': 'text/html; charset=UTF-8' }).end();
        return;
      }
      if (state.maintenance) {
        req.resume();
        return maintenanceReply(res);
      }
      if (route === filesPrefix || route.startsWith(filesPrefix + '/')) return files(req, res, route.slice(filesPrefix.length) || '/');
      if (route === '/remote.php/webdav' || route.startsWith('/remote.php/webdav/')) return files(req, res, route.slice('/remote.php/webdav'.length) || '/', '/remote.php/webdav');
      // Everything else under /remote.php needs a login first.
      if (!(await loginOk(req.headers.authorization))) {
        req.resume();
        return refuseLogin(req, res);
      }
      if (route === uploadsPrefix || route.startsWith(uploadsPrefix + '/')) return uploads(req, res, route.slice(uploadsPrefix.length) || '/');
      if (route === '/remote.php/dav/bulk' && req.method === 'POST') return bulk(req, res);
      req.resume();
      res.writeHead(404, { 'content-type': 'application/xml; charset=utf-8' }).end(sabreError('Sabre\\DAV\\Exception\\NotFound', `${route} is not emulated`));
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}${filesPrefix}/`, origin, state, requests,
    uploads: async () => (await fsp.readdir(uploadsDir).catch(() => [])).sort(),
    close: async () => {
      await new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
      // The chunks' folder, when the layer made it (a test's own one is the test's to keep).
      if (!opts.uploadsDir) await fsp.rm(uploadsDir, { recursive: true, force: true });
    },
  };
}

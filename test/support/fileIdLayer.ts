/**
 * A small Nextcloud-compatible layer in front of a real WebDAV server (Apache mod_dav): it
 * serves the WebDAV tree under Nextcloud's `/remote.php/dav/files/<user>/` path and adds
 * what the file-id strategy needs, following Nextcloud's documented replies (and the
 * recorded ones in ../shared/fixtures/nextcloud): an `oc:fileid` in every PROPFIND
 * response, and an `OC-FileId` header (the padded `oc:id` form) on MKCOL and PUT.
 *
 * Ids behave like Nextcloud's: one per item, kept across renames, moves and overwrites,
 * never reused. Changes must go through the layer (as they go through Nextcloud) for it
 * to follow them. Everything else (content, ETags, conditional requests, errors) is
 * Apache's own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileIdLayer {
  /** The WebDAV URL to configure, `http://127.0.0.1:<port>/remote.php/dav/files/<user>/`. */
  url: string;
  close(): Promise<void>;
}

export async function startFileIdLayer(opts: { upstream: string; user: string }): Promise<FileIdLayer> {
  const up = new URL(opts.upstream);
  const prefix = `/remote.php/dav/files/${opts.user}/`;
  const toUpstreamPath = (p: string) => up.pathname + p.slice(prefix.length);
  // Nextcloud's file cache in small: an id per path, made when an item is created, kept
  // when it is overwritten, carried along by MOVE, dropped by DELETE.
  const ids = new Map<string, string>();
  let nextId = 1000;
  const norm = (upstreamPath: string) => decodeURIComponent(upstreamPath).replace(/\/+$/, '');
  const fileIdOf = (upstreamPath: string, fresh = false): string => {
    const key = norm(upstreamPath);
    if (fresh || !ids.has(key)) ids.set(key, String(nextId++));
    return ids.get(key)!;
  };
  const carry = (from: string, to: string | null) => {
    const f = norm(from);
    for (const [k, v] of [...ids]) {
      if (k !== f && !k.startsWith(f + '/')) continue;
      ids.delete(k);
      if (to !== null) ids.set(norm(to) + k.slice(f.length), v);
    }
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (!url.pathname.startsWith(prefix.slice(0, -1))) {
      res.writeHead(404).end();
      return;
    }
    const upstreamPath = toUpstreamPath(url.pathname.length < prefix.length ? prefix : url.pathname);
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: up.host };
    if (typeof headers.destination === 'string') {
      const d = new URL(headers.destination);
      headers.destination = `${up.origin}${toUpstreamPath(d.pathname)}`;
    }
    const proxied = http.request({ host: up.hostname, port: up.port, method: req.method, path: upstreamPath + url.search, headers }, (upRes) => {
      const outHeaders = { ...upRes.headers };
      delete outHeaders['content-length'];
      const ok = upRes.statusCode! >= 200 && upRes.statusCode! < 300;
      if ((req.method === 'MKCOL' || req.method === 'PUT') && ok) {
        const id = fileIdOf(upstreamPath, upRes.statusCode === 201);
        outHeaders['oc-fileid'] = `${id.padStart(8, '0')}ocfileidlayer`;
      }
      if (req.method === 'MOVE' && ok && typeof headers.destination === 'string') carry(upstreamPath, new URL(headers.destination).pathname);
      if (req.method === 'DELETE' && ok) carry(upstreamPath, null);
      if (req.method !== 'PROPFIND' || upRes.statusCode !== 207) {
        res.writeHead(upRes.statusCode!, outHeaders);
        upRes.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').replace(/<D:response\b([^>]*)>([\s\S]*?)<\/D:response>/g, (_whole, attrs: string, inner: string) => {
          const href = /<D:href>([^<]*)<\/D:href>/.exec(inner)?.[1] ?? '';
          const upstreamHref = new URL(href, up).pathname;
          const id = fileIdOf(upstreamHref);
          let rewritten = inner.replace(`<D:href>${href}</D:href>`, `<D:href>${prefix.slice(0, -1)}${upstreamHref.slice(up.pathname.length - 1)}</D:href>`);
          rewritten = rewritten.replace('<D:prop>', `<D:prop><oc:fileid xmlns:oc="http://owncloud.org/ns">${id}</oc:fileid>`);
          return `<D:response${attrs}>${rewritten}</D:response>`;
        });
        res.writeHead(207, outHeaders).end(body);
      });
    });
    proxied.on('error', (err) => res.writeHead(502).end(String(err)));
    req.pipe(proxied);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${prefix}`, close: () => new Promise((r) => server.close(() => r())) };
}

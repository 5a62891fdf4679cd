/**
 * A pass-through HTTP proxy in front of a real WebDAV server that can answer like a cloud
 * under load: `429 Too Many Requests` (or `503` in maintenance) with a `Retry-After`, for
 * the request methods chosen, until told to stop. Apache cannot be made to throttle on
 * demand, and a throttling Nextcloud cannot run here; everything else is Apache's own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ThrottlingProxy {
  url: string;
  /** Start answering `status` to `methods` (Retry-After in seconds, or none). */
  throttle(opts: { status: 429 | 503; retryAfterSeconds?: number; methods: string[] }): void;
  stop(): void;
  /** Requests seen while throttling, by method (answered with the throttle status). */
  refused: Record<string, number>;
  close(): Promise<void>;
}

export async function startThrottlingProxy(upstream: string): Promise<ThrottlingProxy> {
  const up = new URL(upstream);
  let rule: { status: number; retryAfterSeconds?: number; methods: string[] } | null = null;
  const refused: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    if (rule && rule.methods.includes(req.method!)) {
      refused[req.method!] = (refused[req.method!] ?? 0) + 1;
      req.resume();
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain' };
      if (rule.retryAfterSeconds !== undefined) headers['retry-after'] = String(rule.retryAfterSeconds);
      res.writeHead(rule.status, headers).end(rule.status === 429 ? 'Slow down' : 'Maintenance');
      return;
    }
    const target = new URL(req.url!, up);
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: up.host };
    if (typeof headers.destination === 'string') headers.destination = new URL(new URL(headers.destination).pathname, up).toString();
    const proxied = http.request({ host: up.hostname, port: up.port, method: req.method, path: target.pathname + target.search, headers }, (upRes) => {
      res.writeHead(upRes.statusCode!, upRes.headers);
      upRes.pipe(res);
    });
    proxied.on('error', () => res.destroy());
    req.pipe(proxied);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${up.pathname}`,
    throttle: (opts) => { rule = opts; },
    stop: () => { rule = null; },
    refused,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

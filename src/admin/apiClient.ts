/**
 * The admin pages call the service's own JSON API with the admin token: pages and API
 * cannot disagree, and an API error's message is what the page shows.
 *
 * The call goes to this process's own listening socket (loopback), not through
 * `app.inject`: fastify's inject (light-my-request 6.8) loads the ESM-only `cookie@2`
 * with `require`, which Node 20 does but jest's module loader (the test suite) cannot.
 * Over the socket the request takes exactly the path a script's request takes, and the
 * logs export streams through without being buffered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

export interface ApiAnswer<T = any> {
  status: number;
  ok: boolean;
  json: T;
  /** The API's `error.message` (or a plain line when it gave none); null on success. */
  error: string | null;
  /** `error.details.fields`, when the API named bad fields. */
  fields: Record<string, string>;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export class ApiClient {
  constructor(private readonly app: FastifyInstance, private readonly token: string) {}

  /** Where this server listens, as a local client reaches it (a wildcard address means loopback). */
  private target(): { socketPath: string } | { host: string; port: number } {
    const address = this.app.server.address();
    if (address === null) throw new Error('The API server is not listening');
    if (typeof address === 'string') return { socketPath: address };
    const { address: host, port, family } = address as AddressInfo;
    const wildcard = host === '0.0.0.0' || host === '::';
    return { host: wildcard ? (family === 'IPv6' ? '::1' : '127.0.0.1') : host, port };
  }

  private send(method: Method, url: string, payload?: unknown): Promise<http.IncomingMessage> {
    const body = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
    return new Promise((resolve, reject) => {
      const req = http.request({
        ...this.target(), method, path: url, agent: false,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
        },
      }, resolve);
      req.on('error', reject);
      req.end(body);
    });
  }

  async call<T = any>(method: Method, url: string, payload?: unknown): Promise<ApiAnswer<T>> {
    const res = await this.send(method, url, payload);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return answer<T>(res.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'));
  }

  /** A streamed answer (the logs export): the body is piped through, not buffered. */
  async stream(method: Method, url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Readable }> {
    const res = await this.send(method, url);
    return { status: res.statusCode ?? 500, headers: res.headers, body: res };
  }
}

export function answer<T>(status: number, body: string): ApiAnswer<T> {
  let json: any = null;
  try {
    json = body ? JSON.parse(body) : null;
  } catch {
    json = null;
  }
  const ok = status < 400;
  const error = ok ? null : typeof json?.error?.message === 'string' ? json.error.message as string : `The API answered ${status}`;
  const fields = !ok && json?.error?.details?.fields && typeof json.error.details.fields === 'object' ? json.error.details.fields as Record<string, string> : {};
  return { status, ok, json, error, fields };
}

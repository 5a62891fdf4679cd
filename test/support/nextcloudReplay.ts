/**
 * Replays the recorded Nextcloud 29 exchanges (test/fixtures/nextcloud) as an HTTP
 * server: a request is answered with the response recorded for the same method, path,
 * query and form body, in recording order when the same request was recorded twice. The
 * answers are the real server's, so an adapter tested against it meets real replies.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

interface Exchange {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; body: string | null };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

/**
 * The repo's copy of ../shared/fixtures/nextcloud (test/fixtures/nextcloud), so a clone
 * anywhere runs the suite; test/integration/fixtures.test.ts keeps the copy equal to the
 * shared original wherever that is next to the repo.
 */
export const FIXTURES = fileURLToPath(new URL('../fixtures/nextcloud/', import.meta.url));

export function loadExchanges(file: string): Exchange[] {
  return (JSON.parse(fs.readFileSync(FIXTURES + file, 'utf8')) as { exchanges: Exchange[] }).exchanges;
}

/** Method, path and decoded query/form parameters, order-independent. */
function key(method: string, pathWithQuery: string, body: unknown): string {
  const url = new URL(pathWithQuery, 'http://x');
  const params = [...url.searchParams].sort(([a], [b]) => a.localeCompare(b));
  let form: [string, string][] = [];
  // Only a urlencoded form counts (OCS); file bodies were recorded as a digest and never match on content.
  if (typeof body === 'string' && /^[\w%.+*-]+=[^&]*(&[\w%.+*-]+=[^&]*)*$/.test(body)) form = [...new URLSearchParams(body)].sort(([a], [b]) => a.localeCompare(b));
  // Folder paths were recorded with and without their trailing slash: both match.
  return JSON.stringify([method, decodeURIComponent(url.pathname).replace(/\/+$/, ''), params, form]);
}

export async function startNextcloudReplay(files: string[]): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const queue = new Map<string, Exchange[]>();
  for (const e of files.flatMap(loadExchanges)) {
    const k = key(e.request.method, e.request.path, e.request.body);
    queue.set(k, [...(queue.get(k) ?? []), e]);
  }
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? Buffer.concat(chunks).toString() : null;
      const k = key(req.method!, req.url!, body);
      const list = queue.get(k);
      const e = list && list.length > 1 ? list.shift()! : list?.[0];
      seen.push(`${req.method} ${req.url}`);
      if (!e) {
        res.writeHead(599, { 'content-type': 'text/plain' }).end(`not recorded: ${k}`);
        return;
      }
      const headers = Object.fromEntries(Object.entries(e.response.headers).filter(([h]) => !/^(content-length|transfer-encoding|connection)$/i.test(h)));
      res.writeHead(e.response.status, headers).end(typeof e.response.body === 'string' ? e.response.body : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

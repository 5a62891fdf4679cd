/**
 * Recorded Odoo 17 answers (test/fixtures/odoo) served by a local HTTP server: a test
 * lists the routes it needs (by path, or by JSON-RPC service.method) and the recorded
 * exchange each one answers with, the JSON-RPC id matched to the request's.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const FIXTURES = new URL('../fixtures/odoo/', import.meta.url);

export interface Exchange {
  name: string;
  request: { method: string; path: string; json?: { params?: { service?: string; method?: string; args?: unknown[] } } };
  response: { status: number; headers: Record<string, string>; json?: any; body_text?: string; body_text_first_300_chars?: string };
}

export const scenario = (file: string) => JSON.parse(fs.readFileSync(new URL(file, FIXTURES), 'utf8')) as { exchanges: Exchange[] };
export const exchange = (file: string, name: string): Exchange => {
  const found = scenario(file).exchanges.find((e) => e.name === name);
  if (!found) throw new Error(`${file} has no exchange named ${JSON.stringify(name)}`);
  return found;
};

/** A local server answering with recorded responses, chosen by path and JSON-RPC service.method. */
export async function replayServer(routes: Array<(req: { method: string; path: string; body: any }) => { status: number; headers: Record<string, string>; body: string } | null>) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : null;
      seen.push(`${req.method} ${req.url} ${body?.params ? `${body.params.service}.${body.params.method}` : ''}`.trim());
      for (const route of routes) {
        const answer = route({ method: req.method!, path: req.url!, body });
        if (answer) {
          res.writeHead(answer.status, answer.headers).end(answer.body);
          return;
        }
      }
      res.writeHead(500).end('no recorded answer');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export const recorded = (e: Exchange, id?: number) => ({
  status: e.response.status,
  headers: { 'content-type': e.response.headers['Content-Type'] ?? e.response.headers['content-type'] ?? 'text/html' },
  body: e.response.json !== undefined ? JSON.stringify(id === undefined ? e.response.json : { ...e.response.json, id }) : (e.response.body_text ?? e.response.body_text_first_300_chars ?? ''),
});
export const rpc = (service: string, method: string, e: Exchange) => (req: { method: string; path: string; body: any }) =>
  req.path === '/jsonrpc' && req.body?.params?.service === service && req.body?.params?.method === method ? recorded(e, req.body.id) : null;
export const path = (p: string, e: Exchange) => (req: { path: string }) => (req.path === p ? recorded(e) : null);


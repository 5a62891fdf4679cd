/**
 * Helpers of the end-to-end sync tests: run a direct sync through the API and Temporal,
 * look at the cloud as a person would, and tamper with it as a person would.
 */
import fs from 'node:fs/promises';
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import type { SyncSummary } from '../../src/workflows/shared.js';
import { basicAuth, type Harness } from './harness.js';

export async function setUpCloud(h: Harness, over: Record<string, unknown> = {}): Promise<void> {
  const put = await h.api.call('PUT', '/api/connection', { url: h.dav.url, username: h.dav.username, password: h.dav.password, ...over });
  if (put.status !== 200) throw new Error(`PUT /api/connection: ${put.text}`);
  const confirmed = await h.api.call('POST', '/api/connection/confirm');
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.text}`);
}

export async function directSync(h: Harness, body?: Record<string, unknown>): Promise<SyncSummary> {
  const trigger = await h.api.call('POST', '/api/sync/direct', body);
  if (trigger.status !== 202) throw new Error(`POST /api/sync/direct: ${trigger.status} ${trigger.text}`);
  return h.services.temporal.workflow.getHandle(trigger.json.workflowId, trigger.json.runId).result();
}

/** Every path under the connection's WebDAV root: folders end in `/`. */
export async function cloudTree(h: Harness, from = '/'): Promise<string[]> {
  const cloud = new WebDavCloud(h.dav);
  const out: string[] = [];
  const walk = async (path: string) => {
    const listing = await cloud.list(path);
    for (const child of listing?.children ?? []) {
      out.push(child.type === 'folder' ? child.path + '/' : child.path);
      if (child.type === 'folder') await walk(child.path);
    }
  };
  await walk(from);
  return out.sort();
}

export function davUrl(h: Harness, path: string): string {
  return h.dav.url + path.split('/').filter(Boolean).map(encodeURIComponent).join('/');
}

/** A person acting in the cloud: MOVE, DELETE, MKCOL, PUT with the WebDAV user's login. */
export async function dav(h: Harness, method: string, path: string, opts: { to?: string; body?: string } = {}): Promise<number> {
  const headers: Record<string, string> = { authorization: basicAuth(h.dav.username, h.dav.password) };
  if (opts.to) headers.destination = davUrl(h, opts.to);
  const res = await fetch(davUrl(h, path), { method, headers, body: opts.body });
  await res.arrayBuffer();
  return res.status;
}

/** The requests Apache saw for this harness's folder since `mark` (a line count). */
export async function davRequestsSince(h: Harness, mark: number): Promise<string[]> {
  const lines = (await fs.readFile(process.env.TEST_DAV_ACCESS_LOG!, 'utf8')).split('\n').filter(Boolean);
  return lines.slice(mark).filter((l) => l.includes(`/dav/${h.id}/`) || l.endsWith(`/dav/${h.id} `));
}

export async function davLogMark(): Promise<number> {
  const text = await fs.readFile(process.env.TEST_DAV_ACCESS_LOG!, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

export async function addRecord(h: Harness, model: string, name: string, fields: Record<string, unknown> = {}): Promise<number> {
  const r = await h.api.call('POST', '/api/records', { model, name, fields });
  if (r.status !== 201) throw new Error(`POST /api/records: ${r.text}`);
  return r.json.id as number;
}

export async function attach(h: Harness, model: string, id: number, name: string, content: string | Buffer): Promise<number> {
  const r = await h.api.call('POST', `/api/records/${model}/${id}/attachments?name=${encodeURIComponent(name)}`, content as string, { 'content-type': 'application/octet-stream' });
  if (r.status !== 201) throw new Error(`attach: ${r.text}`);
  return r.json.id as number;
}

export async function addSyncModel(h: Harness, body: Record<string, unknown>): Promise<number> {
  const r = await h.api.call('POST', '/api/sync-models', body);
  if (r.status !== 201) throw new Error(`POST /api/sync-models: ${r.text}`);
  return r.json.id as number;
}

export async function backwardSync(h: Harness): Promise<SyncSummary> {
  const trigger = await h.api.call('POST', '/api/sync/backward');
  if (trigger.status !== 202) throw new Error(`POST /api/sync/backward: ${trigger.status} ${trigger.text}`);
  return h.services.temporal.workflow.getHandle(trigger.json.workflowId, trigger.json.runId).result();
}

/**
 * test/support/nextcloudLayer.ts emulates part of Nextcloud on Apache: the recorded
 * Nextcloud exchanges (fixtures 03 MKCOL and 05 MOVE) are replayed against it, and it
 * must answer as Nextcloud did: the same statuses, an OC-FileId on what it creates, and
 * file ids that survive a move (the fact the file-id strategy rests on).
 */
import { parseMultistatus } from '../../src/cloud/webdav/adapter.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { loadExchanges } from '../support/nextcloudReplay.js';

let h: Harness;
let layer: NextcloudLayer;
beforeAll(async () => {
  h = await createHarness();
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'alice' });
});
afterAll(async () => {
  await layer?.close();
  await h?.close();
});

const origin = () => new URL(layer.url).origin;
const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string | null) =>
  fetch(origin() + path, { method, headers: { authorization: basicAuth(h.dav.username, h.dav.password), ...headers }, body: body ?? undefined });
const fileIdAt = async (path: string) => {
  const res = await send('PROPFIND', path, { depth: '0' }, '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><oc:fileid/></d:prop></d:propfind>');
  if (res.status !== 207) return null;
  return parseMultistatus(await res.text(), (href) => href)[0]?.fileId ?? null;
};

test("fixture 03 (MKCOL): the layer answers with Nextcloud's statuses and OC-FileId headers", async () => {
  // The recorded setup: /Sync and /Sync/Docs/a.txt exist.
  await send('MKCOL', '/remote.php/dav/files/alice/Sync/');
  await send('MKCOL', '/remote.php/dav/files/alice/Sync/Docs/');
  await send('PUT', '/remote.php/dav/files/alice/Sync/Docs/a.txt', {}, 'a');
  // MKCOL with a body is Apache's own answer (415, Nextcloud says 400): not emulated.
  const exchanges = loadExchanges('03-mkcol.json').filter((e) => e.request.method === 'MKCOL' && !e.request.body);
  expect(exchanges.length).toBe(5);
  for (const e of exchanges) {
    const res = await send('MKCOL', e.request.path);
    expect({ path: e.request.path, status: res.status }).toEqual({ path: e.request.path, status: e.response.status });
    expect(res.headers.has('oc-fileid')).toBe('OC-FileId' in e.response.headers);
    if (res.status === 201) expect(res.headers.get('oc-fileid')).toMatch(/^\d{8,}[a-z0-9]+$/);
  }
});

test('fixture 05 (MOVE): ids survive renames and moves of files and of folders with their contents', async () => {
  for (const p of ['Mv/', 'Mv/FolderA/', 'Mv/Target/']) await send('MKCOL', `/remote.php/dav/files/alice/Sync/${p}`);
  for (const p of ['Mv/orig.txt', 'Mv/FolderA/inside.txt', 'Mv/existing.txt']) await send('PUT', `/remote.php/dav/files/alice/Sync/${p}`, {}, 'x');
  const moves = loadExchanges('05-move-copy.json').filter((e) => e.request.method === 'MOVE').slice(0, 3);
  const rel = (d: string) => new URL(d, 'http://nextcloud.test').pathname;
  for (const e of moves) {
    const from = e.request.path;
    const to = rel(e.request.headers.Destination!);
    const before = await fileIdAt(from);
    const inside = from.endsWith('/') ? await fileIdAt(from + 'inside.txt') : null;
    const res = await send('MOVE', from, { destination: origin() + to });
    expect({ move: `${from} -> ${to}`, status: res.status }).toEqual({ move: `${from} -> ${to}`, status: e.response.status });
    if (res.status === 201) {
      expect(await fileIdAt(to)).toBe(before);
      if (inside) expect(await fileIdAt(to + 'inside.txt')).toBe(inside);
    }
  }
});

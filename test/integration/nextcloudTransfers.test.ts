/**
 * The adapter's native Nextcloud transfers against test/support/nextcloudLayer.ts over a
 * real Apache: chunked upload v2 (new file, taken name, resume after a crash, clean-up
 * after a failure, a name made meanwhile) and bulk upload (per-file results).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { HandedOver } from '../../src/cloud/port.js';
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import { uploadFolderName } from '../../src/cloud/webdav/transfers.js';
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';

let h: Harness;
let layer: NextcloudLayer;
let cloud: WebDavCloud;
const MB = 1024 * 1024;
beforeAll(async () => {
  h = await createHarness();
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync' });
  cloud = new WebDavCloud({ url: layer.url, username: h.dav.username, password: h.dav.password });
  await cloud.createFolder('/Big');
  await cloud.createFolder('/Small');
});
afterAll(async () => {
  await layer?.close();
  await h?.close();
});

const content = (bytes: number, seed: string) => {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 32) createHash('sha256').update(`${seed}${i}`).digest().copy(out, i);
  return out;
};
/** The source as an ERP stream: in 64 KiB pieces, like a file read. */
const stream = (buf: Buffer) => Readable.from((function* () { for (let i = 0; i < buf.length; i += 65536) yield buf.subarray(i, i + 65536); })());
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
async function cloudContent(path: string): Promise<Buffer> {
  return Buffer.concat(await (await cloud.download(path)).toArray());
}
const auth = () => ({ authorization: basicAuth(h.dav.username, h.dav.password) });
const uploadUrl = (key: string) => `${layer.origin}/remote.php/dav/uploads/sync/${uploadFolderName(key)}`;
const since = (mark: number) => layer.requests.slice(mark);

test('a large file goes as numbered chunks, then one MOVE of .file; the upload folder is gone after', async () => {
  const data = content(12 * MB, 'a');
  const mark = layer.requests.length;
  expect(await cloud.putNewChunked('/Big/a.bin', stream(data), data.length, { chunkSize: 5 * MB, uploadKey: 'k-a' })).toBe(true);
  const sent = since(mark);
  expect(sent.filter((r) => r.startsWith('PUT /remote.php/dav/uploads/sync/')).map((r) => r.split('/').pop())).toEqual(['00001', '00002', '00003']);
  expect(sent.some((r) => r.startsWith('MOVE /remote.php/dav/uploads/sync/') && r.endsWith('/.file'))).toBe(true);
  expect(sha(await cloudContent('/Big/a.bin'))).toBe(sha(data));
  expect((await cloud.stat('/Big/a.bin'))!.fileId).toMatch(/^\d+$/);
  expect(await layer.uploads()).toEqual([]);
});

test('a taken name answers false before any chunk is sent, and the file there stays', async () => {
  const mark = layer.requests.length;
  expect(await cloud.putNewChunked('/Big/a.bin', stream(content(6 * MB, 'other')), 6 * MB, { chunkSize: 5 * MB, uploadKey: 'k-taken' })).toBe(false);
  expect(since(mark).filter((r) => r.includes('/uploads/'))).toEqual([]);
  expect(sha(await cloudContent('/Big/a.bin'))).toBe(sha(content(12 * MB, 'a')));
});

test('after a crash, the same upload key resumes: only the chunks the server lacks are sent', async () => {
  const data = content(11 * MB, 'resume');
  const key = 'k-resume';
  // What a worker killed after its second chunk leaves behind: the folder and two whole chunks.
  const folder = uploadUrl(`${key}:${data.length}:${4 * MB}`);
  const destination = `${layer.url}Big/resume.bin`;
  expect((await fetch(folder, { method: 'MKCOL', headers: { ...auth(), destination } })).status).toBe(201);
  for (const [name, from] of [['00001', 0], ['00002', 4 * MB]] as const) {
    const res = await fetch(`${folder}/${name}`, { method: 'PUT', headers: { ...auth(), destination, 'oc-total-length': String(data.length) }, body: data.subarray(from, from + 4 * MB) });
    expect(res.status).toBe(201);
  }
  const mark = layer.requests.length;
  expect(await cloud.putNewChunked('/Big/resume.bin', stream(data), data.length, { chunkSize: 4 * MB, uploadKey: key })).toBe(true);
  expect(since(mark).filter((r) => r.startsWith('PUT ')).map((r) => r.split('/').pop())).toEqual(['00003']);
  expect(sha(await cloudContent('/Big/resume.bin'))).toBe(sha(data));
  expect(await layer.uploads()).toEqual([]);
});

test('a chunk cut off mid-transfer is not kept by the server (a resume sends it again)', async () => {
  const folder = uploadUrl('k-cut');
  expect((await fetch(folder, { method: 'MKCOL', headers: auth() })).status).toBe(201);
  const ac = new AbortController();
  const body = new ReadableStream({
    start(c) { c.enqueue(new Uint8Array(1024)); setTimeout(() => ac.abort(), 200); },
  });
  await fetch(`${folder}/00001`, { method: 'PUT', headers: { ...auth(), 'content-length': String(4 * MB) }, body, signal: ac.signal, duplex: 'half' } as RequestInit).catch(() => null);
  await new Promise((r) => setTimeout(r, 200));
  const listing = await fetch(folder + '/', { method: 'PROPFIND', headers: { ...auth(), depth: '1' } });
  expect(await listing.text()).not.toContain('00001');
  await fetch(folder, { method: 'DELETE', headers: auth() });
});

test('a failed upload (the ERP stream breaks) deletes its upload folder and leaves nothing at the destination', async () => {
  const broken = Readable.from((async function* () {
    yield content(6 * MB, 'b');
    throw new Error('filestore read error');
  })());
  await expect(cloud.putNewChunked('/Big/broken.bin', broken, 12 * MB, { chunkSize: 5 * MB, uploadKey: 'k-broken' })).rejects.toThrow();
  expect(await layer.uploads()).toEqual([]);
  expect(await cloud.stat('/Big/broken.bin')).toBeNull();
});

test('an upload cancelled between chunks (beforeChunk throws) stops and deletes its upload folder; handed over, it leaves it to the next owner', async () => {
  const data = content(12 * MB, 'fenced');
  let chunks = 0;
  const mark = layer.requests.length;
  const fenced = cloud.putNewChunked('/Big/fenced.bin', stream(data), data.length, {
    chunkSize: 5 * MB, uploadKey: 'k-fenced',
    beforeChunk: async () => { if (++chunks === 3) throw new Error('lease lost'); },
  });
  await expect(fenced).rejects.toThrow('lease lost');
  expect(since(mark).filter((r) => r.startsWith('PUT '))).toHaveLength(2);
  expect(since(mark).some((r) => r.endsWith('/.file'))).toBe(false);
  expect(await layer.uploads()).toEqual([]);
  expect(await cloud.stat('/Big/fenced.bin')).toBeNull();

  // The run lost its lease: another attempt owns the operation and resumes the same folder.
  chunks = 0;
  const handedOver = cloud.putNewChunked('/Big/fenced.bin', stream(data), data.length, {
    chunkSize: 5 * MB, uploadKey: 'k-fenced',
    beforeChunk: async () => { if (++chunks === 3) throw new HandedOver(new Error('lease lost')); },
  });
  await expect(handedOver).rejects.toThrow('lease lost');
  expect(await layer.uploads()).toHaveLength(1);
  const mark2 = layer.requests.length;
  expect(await cloud.putNewChunked('/Big/fenced.bin', stream(data), data.length, { chunkSize: 5 * MB, uploadKey: 'k-fenced' })).toBe(true);
  expect(since(mark2).filter((r) => r.startsWith('PUT ')).map((r) => r.split('/').pop())).toEqual(['00003']);
  expect(sha(await cloudContent('/Big/fenced.bin'))).toBe(sha(data));
  expect(await layer.uploads()).toEqual([]);
});

test('a source longer than its announced size is refused before the MOVE: no truncated copy', async () => {
  const data = content(6 * MB, 'long');
  await expect(cloud.putNewChunked('/Big/long.bin', stream(data), 5 * MB + 1, { chunkSize: 5 * MB, uploadKey: 'k-long' })).rejects.toThrow(/longer than its 5242881 bytes/);
  expect(await cloud.stat('/Big/long.bin')).toBeNull();
  expect(await layer.uploads()).toEqual([]);
});

test('a name someone made while the chunks travelled: the MOVE is refused (Overwrite: F), nothing is overwritten', async () => {
  const data = content(6 * MB, 'race');
  const source = Readable.from((async function* () {
    yield data.subarray(0, 5 * MB);
    // A person saves a file with that name before the last chunk is in.
    const res = await fetch(`${layer.url}Big/race.bin`, { method: 'PUT', headers: auth(), body: 'the person\'s file' });
    expect(res.status).toBe(201);
    yield data.subarray(5 * MB);
  })());
  expect(await cloud.putNewChunked('/Big/race.bin', source, data.length, { chunkSize: 5 * MB, uploadKey: 'k-race' })).toBe(false);
  expect((await cloudContent('/Big/race.bin')).toString()).toBe('the person\'s file');
  expect(await layer.uploads()).toEqual([]);
});

test('bulk upload: many files in one request, one outcome each; refused files are named, not lost silently', async () => {
  const mark = layer.requests.length;
  const files = [
    ...Array.from({ length: 5 }, (_, i) => ({ path: `/Small/f${i}.txt`, content: Buffer.from(`file ${i}`) })),
    { path: '/Small/Missing/x.txt', content: Buffer.from('no parent') },
    { path: '/Small/.htaccess', content: Buffer.from('forbidden') },
    { path: '/Small/é ü.txt', content: Buffer.alloc(0) },
  ];
  const out = await cloud.bulkUpload(files);
  expect(since(mark)).toEqual(['POST /remote.php/dav/bulk']);
  for (let i = 0; i < 5; i++) expect(out.get(`/Small/f${i}.txt`)).toMatchObject({ ok: true, fileId: expect.stringMatching(/^\d+$/) });
  expect(out.get('/Small/Missing/x.txt')).toMatchObject({ ok: false, error: { code: 'not_found' } });
  expect(out.get('/Small/.htaccess')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect(out.get('/Small/é ü.txt')).toMatchObject({ ok: true });
  const listed = (await cloud.list('/Small'))!.children.map((c) => c.path).sort();
  expect(listed).toEqual(['/Small/f0.txt', '/Small/f1.txt', '/Small/f2.txt', '/Small/f3.txt', '/Small/f4.txt', '/Small/é ü.txt']);
  expect((await cloudContent('/Small/f3.txt')).toString()).toBe('file 3');
  // The ids the answer gave are the ones PROPFIND shows.
  expect((await cloud.stat('/Small/f3.txt'))!.fileId).toBe((out.get('/Small/f3.txt') as { fileId: string }).fileId);
});

test('bulk upload with wrong credentials fails the whole request as auth_failed', async () => {
  const wrong = new WebDavCloud({ url: layer.url, username: h.dav.username, password: 'wrong' });
  await expect(wrong.bulkUpload([{ path: '/Small/z.txt', content: Buffer.from('z') }])).rejects.toMatchObject({ code: 'auth_failed' });
});

test('plain WebDAV has neither: a clear unsupported error', async () => {
  const plain = new WebDavCloud(h.dav);
  await expect(plain.putNewChunked('/x.bin', stream(Buffer.alloc(1)), 1, { chunkSize: 5 * MB, uploadKey: 'k' })).rejects.toMatchObject({ code: 'unsupported' });
  await expect(plain.bulkUpload([{ path: '/x', content: Buffer.alloc(1) }])).rejects.toMatchObject({ code: 'unsupported' });
});

test('a connection to a folder below the user root: public links, bulk parts and chunked uploads name the user\'s own paths', async () => {
  await cloud.createFolder('/Company');
  const below = new WebDavCloud({ url: `${layer.url}Company/`, username: h.dav.username, password: h.dav.password });
  const out = await below.bulkUpload([{ path: '/note.txt', content: Buffer.from('below the root') }]);
  expect(out.get('/note.txt')).toMatchObject({ ok: true });
  expect((await cloudContent('/Company/note.txt')).toString()).toBe('below the root');
  const item = (await below.stat('/note.txt'))!;
  const link = await below.publicLink(item);
  expect(await (await fetch(`${link}/download`)).text()).toBe('below the root');
  expect(await below.publicLink(item)).toBe(link); // the share is found again under the same path
  const data = content(6 * MB, 'below');
  expect(await below.putNewChunked('/big.bin', stream(data), data.length, { chunkSize: 5 * MB, uploadKey: 'k-below' })).toBe(true);
  expect(sha(await cloudContent('/Company/big.bin'))).toBe(sha(data));
});

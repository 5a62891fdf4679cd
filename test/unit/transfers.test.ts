/** How uploads travel (src/domain/transfers.ts) and the wire pieces of Nextcloud's native transfers (src/cloud/webdav/transfers.ts). */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { bulkBody, chunkPlan, readBulkAnswer, sliceStream, uploadFolderName } from '../../src/cloud/webdav/transfers.js';
import { bulkGroups, chooseTransfer, DEFAULT_TRANSFERS, freePath } from '../../src/domain/transfers.js';
import { loadExchanges } from '../support/nextcloudReplay.js';

const NC = { chunking: '1.0', bulkUpload: '1.0', conditionalWrites: true };
const MB = 1024 * 1024;

describe('chooseTransfer', () => {
  test('large files by chunked upload, small new files by bulk, the rest by PUT', () => {
    expect(chooseTransfer(10 * MB, NC, DEFAULT_TRANSFERS, true)).toBe('chunked');
    expect(chooseTransfer(10 * MB - 1, NC, DEFAULT_TRANSFERS, true)).toBe('put');
    expect(chooseTransfer(4096, NC, DEFAULT_TRANSFERS, true)).toBe('bulk');
    expect(chooseTransfer(MB + 1, NC, DEFAULT_TRANSFERS, true)).toBe('put');
  });
  test('a retry (its name already claimed) never goes by bulk: bulk upload overwrites', () => {
    expect(chooseTransfer(4096, NC, DEFAULT_TRANSFERS, false)).toBe('put');
    expect(chooseTransfer(20 * MB, NC, DEFAULT_TRANSFERS, false)).toBe('chunked');
  });
  test('only what the server offers, and what the settings allow', () => {
    expect(chooseTransfer(50 * MB, { ...NC, chunking: null }, DEFAULT_TRANSFERS, true)).toBe('put');
    expect(chooseTransfer(4096, { ...NC, bulkUpload: null }, DEFAULT_TRANSFERS, true)).toBe('put');
    expect(chooseTransfer(4096, { ...NC, conditionalWrites: false }, DEFAULT_TRANSFERS, true)).toBe('put');
    expect(chooseTransfer(4096, NC, { ...DEFAULT_TRANSFERS, bulk: false }, true)).toBe('put');
    expect(chooseTransfer(50 * MB, null, DEFAULT_TRANSFERS, true)).toBe('put');
  });
});

test('bulkGroups: at most N files and B bytes per request; a big file goes alone', () => {
  const sizes = [1, 1, 1, 1, 1];
  expect(bulkGroups(sizes, (s) => s, 2, 100)).toEqual([[1, 1], [1, 1], [1]]);
  expect(bulkGroups([5, 5, 11, 1], (s) => s, 100, 10)).toEqual([[5, 5], [11], [1]]);
  expect(bulkGroups([], (s: number) => s, 100, 10)).toEqual([]);
});

test('freePath: the first spelling neither listed nor given away', () => {
  expect(freePath('/F/a.pdf', new Set())).toBe('/F/a.pdf');
  expect(freePath('/F/a.pdf', new Set(['/F/a.pdf', '/F/a (2).pdf']))).toBe('/F/a (3).pdf');
  const all = new Set(['/F/x', ...Array.from({ length: 49 }, (_, i) => `/F/x (${i + 2})`)]);
  expect(freePath('/F/x', all)).toBeNull();
});

test('chunkPlan: numbered chunks, the last one shorter, Nextcloud\'s 10000 at most', () => {
  expect(chunkPlan(12 * MB, 5 * MB)).toEqual([{ name: '00001', bytes: 5 * MB }, { name: '00002', bytes: 5 * MB }, { name: '00003', bytes: 2 * MB }]);
  expect(chunkPlan(0, 5 * MB)).toEqual([{ name: '00001', bytes: 0 }]);
  expect(() => chunkPlan(10_001, 1)).toThrow(/at most 10000/);
  expect(() => chunkPlan(10, 0)).toThrow(/positive/);
});

test('uploadFolderName: one key, one folder; another key, another folder', () => {
  expect(uploadFolderName('op:1:/a')).toBe(uploadFolderName('op:1:/a'));
  expect(uploadFolderName('op:1:/a')).not.toBe(uploadFolderName('op:1:/b'));
  expect(uploadFolderName('op:1:/a')).toMatch(/^sync-[0-9a-f]{32}$/);
});

test('sliceStream: pieces in order across the source\'s own chunk borders; skipped pieces are read and dropped', async () => {
  const source = Readable.from([Buffer.from('abc'), Buffer.from('defgh'), Buffer.from('ij')]);
  const s = sliceStream(source);
  const read = async (r: Readable) => Buffer.concat(await r.toArray()).toString();
  expect(await read(s.piece(4))).toBe('abcd');
  await s.skip(2);
  expect(await read(s.piece(3))).toBe('ghi');
  expect(await read(s.piece(5))).toBe('j'); // the source ended: the piece is short (the PUT's length guard refuses it)
  expect(await s.ended()).toBe(true);
  const longer = sliceStream(Readable.from([Buffer.from('abcdef')]));
  expect(await read(longer.piece(4))).toBe('abcd');
  expect(await longer.ended()).toBe(false); // more than announced: the upload refuses it
});

test('bulkBody frames parts as Nextcloud wants: Content-Length, lowercase MD5, raw UTF-8 path, closing CRLF', () => {
  const body = bulkBody([{ filesPath: '/Sync/é.txt', content: Buffer.from('x') }, { filesPath: '/Sync/empty', content: Buffer.alloc(0) }], 'B').toString();
  expect(body).toBe(
    '--B\r\nContent-Length: 1\r\nContent-Type: application/octet-stream\r\n' +
    `X-File-MD5: ${createHash('md5').update('x').digest('hex')}\r\nX-File-Path: /Sync/é.txt\r\n\r\nx\r\n` +
    '--B\r\nContent-Length: 0\r\nContent-Type: application/octet-stream\r\n' +
    `X-File-MD5: ${createHash('md5').update('').digest('hex')}\r\nX-File-Path: /Sync/empty\r\n\r\n\r\n` +
    '--B--\r\n');
  expect(() => bulkBody([{ filesPath: '/a\nb', content: Buffer.alloc(0) }], 'B')).toThrow(/line break/);
});

describe('readBulkAnswer, on the recorded answers (fixture 12)', () => {
  const exchanges = loadExchanges('12-bulk-upload.json');
  const answer = (name: RegExp) => exchanges.find((e) => name.test(e.name))!;

  test('written files give their file id (oc:id form read as the integer) and ETag', () => {
    const e = exchanges.find((x) => x.request.method === 'POST' && x.response.status === 200 && typeof x.response.body === 'string' && x.response.body.startsWith('{') && !x.response.body.includes('"error":true'))!;
    const body = JSON.parse(e.response.body as string) as Record<string, { fileid: string; etag: string }>;
    const [path, entry] = Object.entries(body)[0]!;
    const out = readBulkAnswer(200, e.response.body as string, [path]);
    expect(out.get(path)).toEqual({ ok: true, fileId: String(Number(entry.fileid.slice(0, 8))), etag: entry.etag });
  });

  test('per-file errors inside a 200 are classified like the PUT statuses they stand for', () => {
    const e = exchanges.find((x) => x.response.status === 200 && typeof x.response.body === 'string' && x.response.body.includes('Could not create path'))!;
    const body = JSON.parse(e.response.body as string) as Record<string, { error: boolean; message?: string }>;
    const out = readBulkAnswer(200, e.response.body as string, Object.keys(body));
    for (const [path, entry] of Object.entries(body)) {
      const o = out.get(path)!;
      expect(o.ok).toBe(!entry.error);
      if (!o.ok && /Could not create path/.test(entry.message!)) expect(o.error.code).toBe('not_found');
      if (!o.ok && /Invalid path/.test(entry.message!)) expect(o.error.code).toBe('forbidden');
    }
  });

  test('a 400 keeps the parts before the bad one; the others were not uploaded; [] is an empty answer', () => {
    const e = answer(/second part without X-File-MD5/);
    const out = readBulkAnswer(400, e.response.body as string, ['/Sync/Bulk/Edge/before-error.txt', '/Sync/Bulk/Edge/no-md5.txt']);
    expect(out.get('/Sync/Bulk/Edge/before-error.txt')!.ok).toBe(true);
    expect(out.get('/Sync/Bulk/Edge/no-md5.txt')).toMatchObject({ ok: false, error: { code: 'bad_response', message: expect.stringMatching(/stopped before/) } });
    expect(readBulkAnswer(200, '[]', ['/a']).get('/a')!.ok).toBe(false);
    expect(() => readBulkAnswer(200, '<html>', ['/a'])).toThrow(/without its JSON/);
    expect(() => readBulkAnswer(200, '"x"', ['/a'])).toThrow(/instead of its results/);
  });
});

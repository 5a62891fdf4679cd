/** The WebDAV adapter against Apache mod_dav, and its PROPFIND parser against Nextcloud's recorded replies. */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { CloudError } from '../../src/cloud/port.js';
import { normaliseEtag, parseMultistatus, WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import { createHarness, type Harness } from '../support/harness.js';
import { FIXTURES } from '../support/nextcloudReplay.js';

let h: Harness;
let cloud: WebDavCloud;
beforeAll(async () => {
  h = await createHarness();
  cloud = new WebDavCloud(h.dav);
});
afterAll(async () => h?.close());

const body = (s: string) => Readable.from([Buffer.from(s)]);

test('createFolder is idempotent, and refuses a file in the way', async () => {
  const first = await cloud.createFolder('/Odoo');
  const again = await cloud.createFolder('/Odoo');
  expect(first).toMatchObject({ path: '/Odoo', type: 'folder' });
  expect(again.type).toBe('folder');
  await cloud.uploadNew('/Odoo/file.txt', body('x'), 1);
  await expect(cloud.createFolder('/Odoo/file.txt')).rejects.toMatchObject({ code: 'conflict' });
});

test('uploadNew never overwrites: a taken name answers null and the content stays', async () => {
  await cloud.createFolder('/Keep');
  const item = await cloud.uploadNew('/Keep/a.txt', body('person wrote this'), 17);
  expect(item).toMatchObject({ path: '/Keep/a.txt', type: 'file', size: 17 });
  expect(item!.etag).toEqual(expect.any(String));
  expect(await cloud.uploadNew('/Keep/a.txt', body('sync'), 4)).toBeNull();
  const chunks: Buffer[] = [];
  for await (const c of await cloud.download('/Keep/a.txt')) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe('person wrote this');
});

test('Apache honours If-None-Match: * (the guard when a stat raced a person)', async () => {
  await cloud.uploadNew('/Keep/b.txt', body('first'), 5);
  const res = await fetch(`${h.dav.url}Keep/b.txt`, {
    method: 'PUT', body: 'second', headers: { 'if-none-match': '*', authorization: 'Basic ' + Buffer.from(`${h.dav.username}:${h.dav.password}`).toString('base64') },
  });
  expect(res.status).toBe(412);
});

test('a PUT into a missing folder fails as a conflict, not silently', async () => {
  await expect(cloud.uploadNew('/Missing/Sub/a.txt', body('x'), 1)).rejects.toMatchObject({ code: 'conflict', status: 409 });
});

test('remove of a missing item and stat of a missing path are not errors', async () => {
  await expect(cloud.remove('/nothing-here')).resolves.toBeUndefined();
  expect(await cloud.stat('/nothing-here')).toBeNull();
});

test('move renames; names with spaces, accents and # survive the round trip', async () => {
  await cloud.createFolder('/Names');
  await cloud.uploadNew('/Names/Devis n°1 #final.pdf', body('pdf'), 3);
  await cloud.move('/Names/Devis n°1 #final.pdf', '/Names/Été 2026.pdf');
  expect(await cloud.stat('/Names/Devis n°1 #final.pdf')).toBeNull();
  expect(await cloud.stat('/Names/Été 2026.pdf')).toMatchObject({ type: 'file', size: 3 });
});

test('wrong credentials are a permanent auth failure', async () => {
  const bad = new WebDavCloud({ ...h.dav, password: 'nope' });
  const err = await bad.stat('/').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CloudError);
  expect(err).toMatchObject({ code: 'auth_failed', status: 401, permanent: true });
});

test('the plain WebDAV link of a file is its URL', async () => {
  const item = (await cloud.stat('/Names/Été 2026.pdf'))!;
  expect(cloud.linkFor(item)).toBe(`${h.dav.url}Names/%C3%89t%C3%A9%202026.pdf`);
});

describe("Nextcloud 29's recorded PROPFIND replies", () => {
  const fixture = JSON.parse(fs.readFileSync(FIXTURES + '02-propfind.json', 'utf8'));
  const base = '/remote.php/dav/files/alice';
  const toPath = (href: string) => '/' + decodeURIComponent(href.slice(base.length)).split('/').filter(Boolean).join('/');

  test('every 207 reply parses; fileid and etag come from the 200 propstat', () => {
    const replies = fixture.exchanges.filter((x: any) => x.response.status === 207 && x.request.path.startsWith(base));
    expect(replies.length).toBeGreaterThan(2);
    for (const x of replies) {
      const items = parseMultistatus(x.response.body, toPath);
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        expect(item.path.startsWith('/')).toBe(true);
        if (/<oc:fileid>/.test(x.response.body)) expect(item.fileId).toMatch(/^\d+$/);
      }
    }
    const root = parseMultistatus(replies[0].response.body, toPath)[0]!;
    expect(root).toMatchObject({ path: '/', type: 'folder', fileId: '61', etag: '6b11887cbb130' });
  });

  test('the Nextcloud internal link is /index.php/f/<fileid>', () => {
    const nc = new WebDavCloud({ url: 'http://nextcloud.test/remote.php/dav/files/alice/', username: 'alice', password: 'x' });
    expect(nc.linkFor({ path: '/a.pdf', type: 'file', size: 1, etag: null, lastModified: null, fileId: '123' })).toBe('http://nextcloud.test/index.php/f/123');
  });
});

test('odd replies get clear errors', () => {
  expect(() => parseMultistatus('<html>hello</html>', (x) => x)).toThrow(/without a DAV multistatus/);
  expect(() => parseMultistatus('<d:multistatus xmlns:d="DAV:"><d:response><d:propstat/></d:response></d:multistatus>', (x) => x)).toThrow(/no href/);
});

test('weak and strong ETags compare equal', () => {
  expect(normaliseEtag('W/"abc"')).toBe('abc');
  expect(normaliseEtag('"abc"')).toBe('abc');
  expect(normaliseEtag('')).toBeNull();
});

test("server quirks: lighttpd's and Apache's getlastmodified with attributes, weak ETags, props split across propstats", () => {
  const body = `<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:ns0="urn:uuid:c2f41010-65b3-11d1-a29f-00aa00c14882/">
<D:response><D:href>/dav/Odoo/a%20b.txt</D:href>
<D:propstat><D:prop><D:getlastmodified ns0:dt="dateTime.rfc1123">Wed, 02 Dec 2026 10:00:00 GMT</D:getlastmodified>
<D:getetag>W/"abc-123"</D:getetag><D:getcontentlength>12</D:getcontentlength><D:resourcetype/></D:prop>
<D:status>HTTP/1.1 200 OK</D:status></D:propstat>
<D:propstat><D:prop><ns1:fileid xmlns:ns1="http://owncloud.org/ns"/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
</D:response></D:multistatus>`;
  const [item] = parseMultistatus(body, (href) => decodeURIComponent(href.replace('/dav', '')));
  expect(item).toEqual({
    path: '/Odoo/a b.txt', type: 'file', size: 12, etag: 'abc-123', lastModified: '2026-12-02T10:00:00.000Z', fileId: null, sha1: null,
  });
});

test('putNew with a buffer (small files are sent whole): its length is held to the announced size, nothing is written otherwise', async () => {
  await cloud.createFolder('/Buffers');
  expect(await cloud.putNew('/Buffers/ok.txt', Buffer.from('hello'), 5, { conditional: true })).toBe(true);
  expect(await cloud.putNew('/Buffers/ok.txt', Buffer.from('again'), 5, { conditional: true })).toBe(false); // never overwrites
  await expect(cloud.putNew('/Buffers/short.txt', Buffer.from('abc'), 5, { conditional: true })).rejects.toThrow(/has 3 bytes, not its 5: upload aborted/);
  expect(await cloud.stat('/Buffers/short.txt')).toBeNull();
});

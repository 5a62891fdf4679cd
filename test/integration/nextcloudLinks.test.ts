/**
 * Links on Nextcloud, against its recorded replies (fixtures 03 and 08): internal
 * `/index.php/f/<fileid>` links, public link shares made once and reused, the new
 * folder's file id read from MKCOL's reply.
 */
import { fileIdFromHeader, WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import { loadExchanges, startNextcloudReplay } from '../support/nextcloudReplay.js';

let replay: Awaited<ReturnType<typeof startNextcloudReplay>>;
let cloud: WebDavCloud;
beforeAll(async () => {
  replay = await startNextcloudReplay(['08-ocs-shares.json', '03-mkcol.json']);
  cloud = new WebDavCloud({ url: `${replay.url}/remote.php/dav/files/alice/`, username: 'alice', password: 'app-password' });
});
afterAll(async () => replay?.close());

const file = { path: '/Sync/Share/file.txt', type: 'file' as const, size: 15, etag: null, lastModified: null, fileId: '2705' };

test('the replay answers as recorded (the emulator checks itself against the fixture)', async () => {
  const [first] = loadExchanges('08-ocs-shares.json');
  const res = await fetch(replay.url + first!.request.path, { headers: first!.request.headers });
  expect(res.status).toBe(first!.response.status);
  expect(await res.text()).toBe(first!.response.body);
});

test('a public link is made with the OCS share API when there is none, and the existing one is reused after', async () => {
  // The replay's first listing of shares was recorded before any share existed.
  const made = await cloud.publicLink(file);
  expect(made).toBe('http://nextcloud.test/s/pykfBkdg7LB3XnQ');
  const before = replay.seen.length;
  const reused = await cloud.publicLink(file);
  expect(reused).toBe('http://nextcloud.test/s/pykfBkdg7LB3XnQ');
  // Reuse: one listing, no second POST (Nextcloud would make a new share for every POST).
  expect(replay.seen.slice(before)).toEqual([expect.stringMatching(/^GET \/ocs\/v2.php\/apps\/files_sharing\/api\/v1\/shares\?/)]);
});

test('internal links are /index.php/f/<fileid>, which survive renames and moves', () => {
  expect(cloud.linkFor(file)).toBe(`${replay.url}/index.php/f/2705`);
});

test("a new folder's file id comes from MKCOL's OC-FileId reply (the oc:id form)", async () => {
  expect(fileIdFromHeader('00002665ocfw2l2amdxx')).toBe('2665');
  expect(fileIdFromHeader(null)).toBeNull();
  const made = await cloud.createFolder('/Sync/NewFolder');
  expect(made).toMatchObject({ path: '/Sync/NewFolder', type: 'folder', fileId: '2665' });
});

test('plain WebDAV has no share API: asking for a public link says so', async () => {
  const plain = new WebDavCloud({ url: 'http://127.0.0.1:9/dav/', username: 'u', password: 'p' });
  await expect(plain.publicLink(file)).rejects.toMatchObject({ code: 'unsupported' });
});

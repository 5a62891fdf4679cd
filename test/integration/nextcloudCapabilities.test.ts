/**
 * Capabilities read at confirm time from Nextcloud's recorded replies (fixtures 01 and 02):
 * status.php for product and version, the OCS capabilities (with `OCS-APIRequest: true`)
 * for chunking, bulk upload, sharing, forbidden names and characters, the trash bin.
 */
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';
import { createHarness } from '../support/harness.js';
import { startNextcloudLayer } from '../support/nextcloudLayer.js';
import { startNextcloudReplay } from '../support/nextcloudReplay.js';

test('Nextcloud 29: what the server offers, as it says it', async () => {
  const replay = await startNextcloudReplay(['02-propfind.json', '01-status-capabilities.json']);
  try {
    const cloud = new WebDavCloud({ url: `${replay.url}/remote.php/dav/files/alice/`, username: 'alice', password: 'app-password' });
    const caps = await cloud.detectCapabilities();
    expect(caps).toEqual({
      product: 'nextcloud', version: expect.stringMatching(/^29\.0\.1/), fileIds: true,
      conditionalWrites: true, etagPropagation: true, depthInfinity: true,
      shares: true, publicShares: true, chunking: '1.0', bulkUpload: '1.0',
      forbiddenNames: ['.htaccess'], forbiddenCharacters: ['\\', '/'], trashbin: true,
    });
    expect(replay.seen).toEqual(expect.arrayContaining(['GET /status.php', 'GET /ocs/v2.php/cloud/capabilities?format=json']));
  } finally {
    await replay.close();
  }
});

// ownCloud 10 announces the same `dav.chunking` "1.0" and its uploads folder takes the same
// requests (its source: chunks assembled in natural order, OC-Total-Length checked,
// Overwrite: F honoured), but has no bulk upload; oCIS announces no chunking (it uses TUS),
// so its large files go by one streamed PUT. Emulated by the layer with their status.php.
test.each([
  ['ownCloud 10', { productname: 'ownCloud', versionstring: '10.15.0' }, { bulkUpload: false }, { product: 'owncloud', chunking: '1.0', bulkUpload: null }],
  ['ownCloud Infinite Scale', { productname: 'Infinite Scale', versionstring: '5.0.9' }, { bulkUpload: false, chunking: false }, { product: 'owncloud', chunking: null, bulkUpload: null }],
])('%s: the product from status.php, the transfers from the capabilities', async (_name, status, offers, expected) => {
  const h = await createHarness();
  const layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync', state: { status, ...offers } });
  try {
    const caps = await new WebDavCloud({ url: layer.url, username: h.dav.username, password: h.dav.password }).detectCapabilities();
    expect(caps).toMatchObject({ ...expected, fileIds: true });
  } finally {
    await layer.close();
    await h.close();
  }
});

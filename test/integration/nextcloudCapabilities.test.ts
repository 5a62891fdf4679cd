/**
 * Capabilities read at confirm time from Nextcloud's recorded replies (fixtures 01 and 02):
 * status.php for product and version, the OCS capabilities (with `OCS-APIRequest: true`)
 * for chunking, bulk upload, sharing, forbidden names and characters, the trash bin.
 */
import { WebDavCloud } from '../../src/cloud/webdav/adapter.js';
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

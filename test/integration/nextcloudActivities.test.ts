/**
 * Bulk upload cannot be made conditional (Nextcloud writes each part over whatever is
 * there), so the only safe names are those a listing just showed free. The contents are
 * read before that listing: a file someone makes in the folder while they are read is
 * seen, and keeps its name and content; ours goes beside it as "(2)".
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import type { ErpPort } from '../../src/erp/port.js';
import { basicAuth, createHarness, type Harness } from '../support/harness.js';
import { startNextcloudLayer, type NextcloudLayer } from '../support/nextcloudLayer.js';
import { addRecord, addSyncModel, attach, cloudTree } from '../support/sync.js';

let h: Harness;
let layer: NextcloudLayer;
beforeAll(async () => {
  h = await createHarness();
  layer = await startNextcloudLayer({ upstream: h.dav.url, user: 'sync' });
  expect((await h.api.call('PUT', '/api/connection', { url: layer.url, username: h.dav.username, password: h.dav.password })).status).toBe(200);
  const confirmed = await h.api.call('POST', '/api/connection/confirm');
  expect(confirmed.json).toMatchObject({ capabilities: { bulkUpload: '1.0', conditionalWrites: true } });
  await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
});
afterAll(async () => {
  await h?.close();
  await layer?.close();
});

const env = new MockActivityEnvironment();
const run = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> => env.run(fn, ...args) as Promise<R>;
const deps = () => ({ db: h.services.database.db, erp: h.services.erp, log: h.services.log, openCloud: h.services.openCloud });

test('a file made in the folder while the contents are read is not overwritten by the bulk request', async () => {
  const record = await addRecord(h, 'res.partner', 'Azure Interior');
  for (const name of ['a.txt', 'b.txt', 'c.txt']) await attach(h, 'res.partner', record, name, `ours ${name}`);
  const acts = createActivities(deps());
  await run(acts.planDirectSync, { fullScan: true });
  let batch = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  while (batch.kind === 'create_folder') {
    await run(acts.createFolders, { ids: batch.ids });
    batch = (await run(acts.takeNextBatch, { direction: 'direct' }))!;
  }
  expect(batch.kind).toBe('upload');

  // Someone saves b.txt into the record's folder while the service reads its binaries.
  const erp: ErpPort = Object.create(h.services.erp);
  let made = false;
  erp.openContent = async (...args) => {
    if (!made) {
      made = true;
      const res = await fetch(`${layer.url}Odoo/Contacts/Azure%20Interior/b.txt`, { method: 'PUT', body: 'theirs', headers: { authorization: basicAuth(h.dav.username, h.dav.password) } });
      expect(res.status).toBe(201);
    }
    return h.services.erp.openContent(...args);
  };
  const mark = layer.requests.length;
  expect(await run(createActivities({ ...deps(), erp }).uploadAttachments, { ids: batch.ids })).toEqual({ done: 3, failed: 0 });
  expect(layer.requests.slice(mark).filter((r) => r === 'POST /remote.php/dav/bulk')).toHaveLength(1);

  const folder = '/Odoo/Contacts/Azure Interior';
  expect((await cloudTree(h, folder)).map((p) => p.slice(folder.length + 1))).toEqual(['a.txt', 'b (2).txt', 'b.txt', 'c.txt']);
  const text = async (name: string) => (await fetch(`${h.dav.url}Odoo/Contacts/Azure%20Interior/${encodeURIComponent(name)}`, { headers: { authorization: basicAuth(h.dav.username, h.dav.password) } })).text();
  expect(await text('b.txt')).toBe('theirs');
  expect(await text('b (2).txt')).toBe('ours b.txt');
  const rows = await h.services.database.sql`select name, type from erp_attachments where res_id = ${record} order by name`;
  expect(rows).toEqual([{ name: 'a.txt', type: 'url' }, { name: 'b.txt', type: 'url' }, { name: 'c.txt', type: 'url' }]);
});

/** Bad input on every endpoint of the slice: a clear 4xx in API.md's shape, and nothing stored. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

const count = async (table: string) => (await h.services.database.sql.unsafe(`select count(*)::int as n from ${table}`))[0]!.n as number;

function expectError(res: { status: number; json: any; text: string }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/); // never a stack trace
}

describe('auth', () => {
  test('health needs no token', async () => {
    const res = await fetch(`${h.api.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, db: 'up', temporal: 'up', cloud: 'unconfigured' });
  });
  test('a missing or wrong token is 401', async () => {
    const none = await fetch(`${h.api.url}/api/sync-models`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expectError(await h.api.call('GET', '/api/sync-models', undefined, { authorization: 'Bearer wrong-token' }), 401, 'unauthorized');
    expectError(await h.api.call('GET', '/api/sync-models', undefined, { authorization: `Basic ${h.api.token}` }), 401, 'unauthorized');
  });
  test('guessing: after 10 wrong tokens from one address it waits (429, Retry-After), the right token too; then a right one clears it', async () => {
    const wrong = { authorization: 'Bearer a-guessed-token' };
    expect((await h.api.call('GET', '/api/sync-models')).status).toBe(200); // a right token: counting from nothing
    for (let i = 0; i < 11; i++) expect((await h.api.call('GET', '/api/sync-models', undefined, wrong)).status).toBe(401);
    const held = await h.api.call('GET', '/api/sync-models');
    expectError(held, 429, 'too_many_attempts');
    expect(held.headers.get('retry-after')).toBe('1');
    expect(held.json.error.details).toEqual({ retryAfterSeconds: 1 });
    expect((await fetch(`${h.api.url}/api/health`)).status).toBe(200); // no token, no wait
    await new Promise((r) => setTimeout(r, 1100));
    expect((await h.api.call('GET', '/api/sync-models')).status).toBe(200);
    expect((await h.api.call('GET', '/api/sync-models', undefined, wrong)).status).toBe(401); // counting starts again
    expect((await h.api.call('GET', '/api/sync-models')).status).toBe(200);
  });
});

describe('malformed bodies are 400', () => {
  test.each(['/api/records', '/api/sync-models'])('%s with broken JSON', async (p) => {
    expectError(await h.api.call('POST', p, '{"model": ', { 'content-type': 'application/json' }), 400, 'malformed_body');
  });
  test('a JSON array where an object is expected', async () => {
    expectError(await h.api.call('POST', '/api/records', [1, 2]), 400, 'malformed_body');
  });
  test('no body at all', async () => {
    expectError(await h.api.call('PUT', '/api/connection'), 400, 'malformed_body');
  });
  test('not JSON', async () => {
    expectError(await h.api.call('POST', '/api/records', 'model=res.partner', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
  });
});

describe('invalid values are 422 naming each field', () => {
  test('records', async () => {
    const res = await h.api.call('POST', '/api/records', { model: 'Res Partner!', name: '', fields: [] });
    expectError(res, 422, 'invalid_fields');
    expect(Object.keys(res.json.error.details.fields).sort()).toEqual(['fields', 'model', 'name']);
    expect(await count('erp_records')).toBe(0);
  });
  test('unknown fields are refused rather than silently dropped', async () => {
    const res = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'x', colour: 'red' });
    expectError(res, 422, 'invalid_fields');
    expect(await count('erp_records')).toBe(0);
  });
  test('sync models: bad domain names the term', async () => {
    const res = await h.api.call('POST', '/api/sync-models', { model: 'res.partner', folderName: 'Contacts', domain: [['country_code', 'contains', 'US']] });
    expectError(res, 422, 'invalid_fields');
    expect(res.json.error.details.fields['domain.0']).toMatch(/unknown operator "contains"/);
    expect(await count('sync_models')).toBe(0);
  });
  test.each(['Odoo Docs', 'odoo docs', ' Odoo Docs '])('sync models: the folder name %j is reserved for Enterprise Documents', async (folderName) => {
    const res = await h.api.call('POST', '/api/sync-models', { model: 'res.partner', folderName });
    expectError(res, 422, 'invalid_fields');
    expect(res.json.error.details.fields.folderName).toMatch(/"Odoo Docs" is reserved for Odoo's Enterprise Documents/);
    expect(await count('sync_models')).toBe(0);
  });
  test.each(['documents.document', 'documents.folder'])('sync models: %s is refused, Enterprise Documents are mirrored on their own', async (model) => {
    const res = await h.api.call('POST', '/api/sync-models', { model, folderName: 'Docs' });
    expectError(res, 422, 'invalid_fields');
    expect(res.json.error.details.fields.model).toMatch(/Enterprise Documents are synced on their own, under "Odoo Docs"/);
    expect(await count('sync_models')).toBe(0);
  });
  test('sync models: child_of is Odoo\'s to evaluate; on the builtin store the model is saved marked invalid, saying why', async () => {
    const res = await h.api.call('POST', '/api/sync-models', { model: 'res.partner', folderName: 'Hierarchy', domain: [['parent_id', 'child_of', 1]] });
    expect(res.status).toBe(201);
    expect(res.json.invalidReason).toMatch(/child_of, which walks a record hierarchy: only Odoo evaluates it/);
    await h.services.database.sql`delete from sync_models`;
  });
  test('sync models: a name expression that does not parse is refused at save time, naming the place', async () => {
    const res = await h.api.call('POST', '/api/sync-models', { model: 'res.partner', folderName: 'Contacts', nameExpression: 'Files of ${object.name' });
    expectError(res, 422, 'invalid_fields');
    expect(res.json.error.details.fields.nameExpression).toMatch(/never closed by "}" \(at character 10\)/);
    expect(await count('sync_models')).toBe(0);
  });
  test('sync models: wrong types and missing folder name', async () => {
    const res = await h.api.call('POST', '/api/sync-models', { model: 'res.partner', active: 'yes', periods: [{ field: 'date', direction: 'past', amount: 0, unit: 'days' }] });
    expectError(res, 422, 'invalid_fields');
    expect(Object.keys(res.json.error.details.fields)).toEqual(expect.arrayContaining(['folderName', 'active', 'periods.0.direction', 'periods.0.amount']));
    expect(await count('sync_models')).toBe(0);
  });
  test('connection: bad URL, missing password, a root with slashes', async () => {
    const res = await h.api.call('PUT', '/api/connection', { url: 'ftp://cloud', username: 'u', rootFolder: 'a/b' });
    expectError(res, 422, 'invalid_fields');
    expect(Object.keys(res.json.error.details.fields).sort()).toEqual(['password', 'rootFolder', 'url']);
    const broken = await h.api.call('PUT', '/api/connection', { url: 'https://cloud.test/remote.php/dav/files/al%E0ice/', username: 'u', password: 'p' });
    expectError(broken, 422, 'invalid_fields');
    expect(broken.json.error.details.fields.url).toMatch(/broken %-escape/);
    expect(await count('cloud_connection')).toBe(0);
  });
  test('logs: bad filters', async () => {
    expectError(await h.api.call('GET', '/api/logs?level=purple&limit=0'), 422, 'invalid_fields');
  });
});

describe('edits are validated too, and a refused edit changes nothing', () => {
  test('PATCH sync model: bad fields named, the stored model untouched', async () => {
    const made = await h.api.call('POST', '/api/sync-models', { model: 'res.partner', folderName: 'Partners' });
    const res = await h.api.call('PATCH', `/api/sync-models/${made.json.id}`, { folderName: '...', nameExpression: '${object.name', periods: [{ field: 'date', direction: 'ago', amount: 0, unit: 'days' }] });
    expectError(res, 422, 'invalid_fields');
    expect(Object.keys(res.json.error.details.fields).sort()).toEqual(expect.arrayContaining(['folderName', 'nameExpression']));
    expect((await h.api.call('GET', `/api/sync-models/${made.json.id}`)).json).toMatchObject({ folderName: 'Partners', nameExpression: null });
    expectError(await h.api.call('PATCH', `/api/sync-models/${made.json.id}`, {}), 422, 'invalid_fields');
    expectError(await h.api.call('PATCH', '/api/sync-models/999', { folderName: 'x' }), 404, 'not_found');
  });
  test('PUT /api/sync-models/order must list every sync model once', async () => {
    const list = (await h.api.call('GET', '/api/sync-models')).json as { id: number }[];
    expectError(await h.api.call('PUT', '/api/sync-models/order', { ids: [999] }), 422, 'invalid_fields');
    expectError(await h.api.call('PUT', '/api/sync-models/order', { ids: [list[0]!.id, list[0]!.id] }), 422, 'invalid_fields');
    expect((await h.api.call('GET', '/api/sync-models')).json.map((m: { id: number }) => m.id)).toEqual(list.map((m) => m.id));
  });
  test('PATCH settings, records, attachments; sync triggers', async () => {
    const bad = await h.api.call('PATCH', '/api/settings', { timeBudgetSeconds: 0, maxDeleteShare: 2, colour: 'red' });
    expectError(bad, 422, 'invalid_fields');
    expect((await h.api.call('GET', '/api/settings')).json).toMatchObject({ timeBudgetSeconds: 900, maxDeleteShare: 0.2 });
    const rec = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'Ready Mat' });
    expectError(await h.api.call('PATCH', `/api/records/res.partner/${rec.json.id}`, { name: '' }), 422, 'invalid_fields');
    expectError(await h.api.call('PATCH', '/api/attachments/12345', { name: 'x.pdf' }), 404, 'not_found');
    expectError(await h.api.call('PATCH', '/api/attachments/12345', { name: ' .. ' }), 422, 'invalid_fields');
    expectError(await h.api.call('DELETE', '/api/records/res.partner/999999'), 404, 'not_found');
    expectError(await h.api.call('POST', '/api/queue/acknowledge-deletions'), 409, 'nothing_held');
  });
});

describe('unknown ids are 404, nonsense ids 422', () => {
  test('records and attachments', async () => {
    expectError(await h.api.call('GET', '/api/records/res.partner/999'), 404, 'not_found');
    expectError(await h.api.call('GET', '/api/records/res.partner/abc'), 422, 'invalid_fields');
    expectError(await h.api.call('GET', '/api/attachments/999'), 404, 'not_found');
    expectError(await h.api.call('GET', '/api/attachments/999/content'), 404, 'not_found');
    expectError(await h.api.call('GET', '/api/sync-models/999'), 404, 'not_found');
    expectError(await h.api.call('GET', '/api/no-such-route'), 404, 'not_found');
  });
  test('an upload to a missing record stores nothing', async () => {
    const res = await h.api.call('POST', '/api/records/res.partner/999/attachments?name=a.txt', 'hello', { 'content-type': 'application/octet-stream' });
    expectError(res, 404, 'not_found');
    expect(await count('erp_attachments')).toBe(0);
  });
});

describe('uploads', () => {
  test('an upload without a name is refused and stores nothing', async () => {
    const rec = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'Deco Addict' });
    const res = await h.api.call('POST', `/api/records/res.partner/${rec.json.id}/attachments`, 'hello', { 'content-type': 'application/octet-stream' });
    expectError(res, 422, 'invalid_fields');
    expect(await count('erp_attachments')).toBe(0);
  });
  test('raw uploads stream past the JSON body limit (1 MiB): a 3 MiB file arrives whole', async () => {
    const rec = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'Big Files Inc' });
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const res = await h.api.call('POST', `/api/records/res.partner/${rec.json.id}/attachments?name=scan.tiff`, big, { 'content-type': 'application/octet-stream' });
    expect(res.status).toBe(201);
    expect(res.json.size).toBe(big.length);
    const back = await fetch(`${h.api.url}/api/attachments/${res.json.id}/content`, { headers: { authorization: `Bearer ${h.api.token}` } });
    expect(Buffer.from(await back.arrayBuffer()).equals(big)).toBe(true);
  });

  test('multipart uploads work and keep the part type', async () => {
    const rec = await h.api.call('POST', '/api/records', { model: 'res.partner', name: 'Gemini Furniture' });
    const form = new FormData();
    form.append('file', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'prices.csv');
    const res = await fetch(`${h.api.url}/api/records/res.partner/${rec.json.id}/attachments`, { method: 'POST', body: form, headers: { authorization: `Bearer ${h.api.token}` } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'prices.csv', type: 'binary', size: 8, mimetype: 'text/csv' });
    const content = await h.api.call('GET', `/api/attachments/${(await h.api.call('GET', `/api/records/res.partner/${rec.json.id}/attachments`)).json[0].id}/content`);
    expect(content.text).toBe('a,b\n1,2\n');
  });
});

describe('state conflicts are 409', () => {
  test('confirm without a saved connection', async () => {
    expectError(await h.api.call('POST', '/api/connection/confirm'), 409, 'connection_missing');
  });
  test('a direct sync before the connection is confirmed', async () => {
    expectError(await h.api.call('POST', '/api/sync/direct'), 409, 'cloud_not_confirmed');
  });
});

describe('Login and Confirm reports each failure with its own code', () => {
  const save = (over: object) => h.api.call('PUT', '/api/connection', { url: h.dav.url, username: h.dav.username, password: h.dav.password, ...over });
  test('wrong password: cloud_auth_failed, and the password is never echoed', async () => {
    await save({ password: 'not-the-password' });
    const res = await h.api.call('POST', '/api/connection/confirm');
    expectError(res, 422, 'cloud_auth_failed');
    expect(res.text).not.toContain('not-the-password');
    expect((await h.api.call('GET', '/api/connection')).json).toMatchObject({ state: 'error' });
  });
  test('nothing listening: cloud_unreachable', async () => {
    await save({ url: 'http://127.0.0.1:9/dav/' });
    expectError(await h.api.call('POST', '/api/connection/confirm'), 422, 'cloud_unreachable');
  });
  test('an HTTP server that is not WebDAV: cloud_not_webdav', async () => {
    const web = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>a web page</html>'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    try {
      await save({ url: `http://127.0.0.1:${(web.address() as AddressInfo).port}/` });
      expectError(await h.api.call('POST', '/api/connection/confirm'), 422, 'cloud_not_webdav');
    } finally {
      web.close();
    }
  });
  test('public links asked of a plain WebDAV server: public_urls_unsupported, before any sync could fail on it', async () => {
    await save({ publicUrls: true });
    expectError(await h.api.call('POST', '/api/connection/confirm'), 422, 'public_urls_unsupported');
    expect((await h.api.call('GET', '/api/connection')).json).toMatchObject({ state: 'error' });
  });
  test('the right credentials confirm, and GET never shows the password', async () => {
    await save({});
    const res = await h.api.call('POST', '/api/connection/confirm');
    expect(res.status).toBe(200);
    // Apache honours If-None-Match: * (found by the probe), so uploads need no check before the PUT.
    expect(res.json).toMatchObject({ state: 'confirmed', rootFolder: 'Odoo', capabilities: { product: 'webdav', conditionalWrites: true } });
    const got = await h.api.call('GET', '/api/connection');
    expect(got.text).not.toContain(h.dav.password);
    expect(got.json).not.toHaveProperty('password');
    // The probe left nothing behind; the root exists.
    const listing = await fetch(`${h.dav.url}Odoo/`, { method: 'PROPFIND', headers: { depth: '1', authorization: 'Basic ' + Buffer.from(`${h.dav.username}:${h.dav.password}`).toString('base64') } });
    expect(listing.status).toBe(207);
    expect(await listing.text()).not.toContain('sync-probe');
  });
  test('the root folder is made under the name the direct sync will give it: cleaned as every name is', async () => {
    expectError(await save({ rootFolder: ' .. ' }), 422, 'invalid_fields');
    await save({ rootFolder: 'ERP: Files' });
    expect((await h.api.call('POST', '/api/connection/confirm')).status).toBe(200);
    const exists = async (name: string) => (await fetch(`${h.dav.url}${encodeURIComponent(name)}/`, { method: 'PROPFIND', headers: { depth: '0', authorization: 'Basic ' + Buffer.from(`${h.dav.username}:${h.dav.password}`).toString('base64') } })).status;
    expect(await exists('ERP- Files')).toBe(207);
    expect(await exists('ERP: Files')).toBe(404);
  });
});

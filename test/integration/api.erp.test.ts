/**
 * `GET | PUT /api/erp`, `POST /api/erp/confirm`: the builtin store by default; an Odoo saved
 * with its API key sealed and never returned, and confirmed against recorded Odoo 17
 * answers (test/fixtures/odoo), each failure with its own code.
 */
import { createHarness, type Harness } from '../support/harness.js';
import { exchange, path, recorded, replayServer, rpc } from '../support/odooReplay.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

const odoo = (url: string, over: Record<string, unknown> = {}) => ({ kind: 'odoo', url, database: 'odootest', username: 'admin', apiKey: 'secret-api-key-123', ...over });
const ok = (result: unknown) => (req: { path: string; body: any }) => (req.path === '/jsonrpc' && req.body?.params?.method === 'execute_kw'
  ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: req.body.id, result }) } : null);
/** The recorded Odoo 17 is Community: asked about documents.document, it answers as for any model it lacks. */
const noDocuments = (req: { path: string; body: any }) => (req.body?.params?.args?.[3] === 'documents.document' ? recorded(exchange('07_errors.json', 'non-existent model'), req.body.id) : null);
const odoo17 = [
  path('/web/version', exchange('09_http_version_endpoints.json', 'GET /web/version')),
  rpc('common', 'version', exchange('01_common.json', 'common.version')),
];

test('the builtin store by default; bad bodies are refused by field and change nothing', async () => {
  expect((await h.api.call('GET', '/api/erp')).json).toEqual({ kind: 'builtin', state: 'confirmed', inUse: 'builtin' });
  for (const [body, field] of [
    [{ kind: 'sap' }, 'kind'], [{ kind: 'odoo', url: 'ftp://x', database: 'd', username: 'u', apiKey: 'k' }, 'url'],
    [{ kind: 'odoo', url: 'https://erp.test', database: 'bad db', username: 'u', apiKey: 'k' }, 'database'],
    [{ kind: 'odoo', url: 'https://erp.test', database: 'd', username: '', apiKey: 'k' }, 'username'],
    [{ kind: 'odoo', url: 'https://erp.test', database: 'd', username: 'u' }, 'apiKey'],
    [{ kind: 'builtin', url: 'https://erp.test' }, 'url'],
  ] as const) {
    const r = await h.api.call('PUT', '/api/erp', body);
    expect({ field, status: r.status, code: r.json.error.code }).toEqual({ field, status: 422, code: 'invalid_fields' });
    expect(Object.keys(r.json.error.details.fields).join(' ')).toMatch(field === 'kind' ? /kind|body/ : new RegExp(field));
  }
  expect((await h.api.call('GET', '/api/erp')).json.kind).toBe('builtin');
});

test('an Odoo is saved as draft with its key sealed, never shown; confirm finds version and protocol', async () => {
  const srv = await replayServer([...odoo17, rpc('common', 'authenticate', exchange('01_common.json', 'common.authenticate with API key')), noDocuments, ok(0)]);
  try {
    const put = await h.api.call('PUT', '/api/erp', odoo(srv.url + '/'));
    expect(put.json).toMatchObject({ kind: 'odoo', url: srv.url, database: 'odootest', username: 'admin', state: 'draft', inUse: null });
    expect(JSON.stringify(put.json)).not.toContain('secret-api-key-123');
    const [row] = await h.services.database.sql`select api_key_sealed from erp_connection`;
    expect(row!.api_key_sealed).not.toContain('secret-api-key-123');
    const confirmed = await h.api.call('POST', '/api/erp/confirm');
    expect(confirmed.status).toBe(200);
    // No Documents app on it: nothing is mirrored under "Odoo Docs".
    expect(confirmed.json).toMatchObject({ state: 'confirmed', inUse: 'odoo', version: '17.0', protocol: 'jsonrpc', confirmedAt: expect.any(String), lastError: null, documents: null });
    expect(JSON.stringify((await h.api.call('GET', '/api/erp')).json)).not.toContain('secret-api-key-123');
    // The login, the rights on attachments, whether it has Documents.
    expect(srv.seen).toEqual(['GET /web/version', 'POST /jsonrpc common.version', 'POST /jsonrpc common.authenticate', 'POST /jsonrpc object.execute_kw', 'POST /jsonrpc object.execute_kw']);
  } finally {
    await srv.close();
  }
});

test.each([
  ['a wrong API key', [...odoo17, rpc('common', 'authenticate', exchange('01_common.json', 'common.authenticate with wrong API key'))], 'erp_auth_failed', /refused the login of "admin" on database "odootest"/],
  ['a user without access to attachments', [...odoo17, rpc('common', 'authenticate', exchange('01_common.json', 'common.authenticate with API key')), rpc('object', 'execute_kw', exchange('07_errors.json', 'portal user: search_read ir.attachment'))], 'erp_forbidden', /may not read attachments: Odoo: You are not allowed to access 'Attachment'/],
  ['an unknown database', [...odoo17, rpc('common', 'authenticate', exchange('07_errors.json', 'unknown database in common.authenticate'))], 'erp_bad_database', /no database "odootest"/],
  ['a web server that is no Odoo', [() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>hello</html>' })], 'erp_not_odoo', /does not answer like an Odoo/],
])('confirm with %s: a 422 with its own code, and the state says error with the reason', async (_what, routes, code, message) => {
  const srv = await replayServer(routes);
  try {
    await h.api.call('PUT', '/api/erp', odoo(srv.url));
    const r = await h.api.call('POST', '/api/erp/confirm');
    expect({ status: r.status, code: r.json.error.code }).toEqual({ status: 422, code });
    expect(r.json.error.message).toMatch(message);
    expect((await h.api.call('GET', '/api/erp')).json).toMatchObject({ state: 'error', lastError: r.json.error.message });
  } finally {
    await srv.close();
  }
});

test('an Odoo nobody answers for: erp_unreachable; back to builtin forgets the Odoo', async () => {
  await h.api.call('PUT', '/api/erp', odoo('http://127.0.0.1:9'));
  const r = await h.api.call('POST', '/api/erp/confirm');
  expect(r.json.error.code).toBe('erp_unreachable');
  expect((await h.api.call('PUT', '/api/erp', { kind: 'builtin' })).json).toEqual({ kind: 'builtin', state: 'confirmed', inUse: 'builtin' });
  const [{ n }] = await h.services.database.sql`select count(*)::int as n from erp_connection` as unknown as [{ n: number }];
  expect(n).toBe(0);
});

test('another ERP takes over only from an empty mapping: its ids would name other records; the same Odoo with a new key may be saved', async () => {
  const { sql } = h.services.database;
  // A mapping made with the builtin store: a record's folder and one file.
  await sql`insert into cloud_items (kind, ref, res_model, res_id, path) values ('object_folder', 'object:res.partner:7', 'res.partner', 7, '/Odoo/Contacts/Deco Addict')`;
  await sql`insert into cloud_items (kind, ref, attachment_id, path) values ('file', 'attachment:12', 12, '/Odoo/Contacts/Deco Addict/quote.pdf')`;
  const refused = await h.api.call('PUT', '/api/erp', odoo('https://erp.test'));
  expect(refused.status).toBe(409);
  expect(refused.json.error.code).toBe('erp_switch_needs_reset');
  expect(refused.json.error.message).toMatch(/the builtin store.*POST \/api\/connection\/reset/);
  expect((await h.api.call('GET', '/api/erp')).json.kind).toBe('builtin');
  expect((await h.api.call('PUT', '/api/erp', { kind: 'builtin' })).status).toBe(200); // no switch

  // An Odoo that made the mapping: a new key, another spelling of its address are no switch;
  // another database, another address or the builtin store are.
  await sql`delete from cloud_items`;
  expect((await h.api.call('PUT', '/api/erp', odoo('https://erp.test'))).status).toBe(200);
  // Saved, not confirmed: a download says so (the ERP in use is read again within 2 s).
  await new Promise((r) => setTimeout(r, 2100));
  const download = await h.api.call('GET', '/api/attachments/12/content');
  expect({ status: download.status, code: download.json.error.code }).toEqual({ status: 409, code: 'erp_not_ready' });
  expect(download.json.error.message).toMatch(/POST \/api\/erp\/confirm/);
  await sql`insert into operations (direction, kind, dedupe_key, payload) values ('backward', 'unlink_attachment', 'unlink:12', '{"attachmentId": 12}'::jsonb)`;
  expect((await h.api.call('PUT', '/api/erp', odoo('https://ERP.test:443/', { apiKey: 'a-new-api-key-456' }))).status).toBe(200);
  expect((await h.api.call('PUT', '/api/erp', odoo('http://erp.test', { username: 'sync' }))).status).toBe(200);
  expect((await h.api.call('PUT', '/api/erp', odoo('https://ERP.test:443/'))).status).toBe(200);
  for (const body of [odoo('https://erp.test', { database: 'other' }), odoo('https://erp2.test'), odoo('https://erp.test:8069'), { kind: 'builtin' }]) {
    const r = await h.api.call('PUT', '/api/erp', body);
    expect({ status: r.status, code: r.json.error?.code }).toEqual({ status: 409, code: 'erp_switch_needs_reset' });
  }
  const [row] = await sql`select url, database from erp_connection`;
  expect(row).toEqual({ url: 'https://ERP.test:443', database: 'odootest' });
  // Operations that name no record (the root's, a model folder's) are no one ERP's.
  await sql`delete from operations`;
  await sql`insert into operations (direction, kind, dedupe_key, payload, status) values ('direct', 'create_folder', 'create_folder:root', '{"ref": "root", "name": "Odoo"}'::jsonb, 'failed')`;
  expect((await h.api.call('PUT', '/api/erp', { kind: 'builtin' })).status).toBe(200);
  await sql`delete from operations`;
});

test('confirm checks too: an Odoo saved before the mapping was made with another ERP is not confirmed over it', async () => {
  const { sql } = h.services.database;
  await sql`insert into cloud_items (kind, ref, res_model, res_id, path) values ('object_folder', 'object:res.partner:7', 'res.partner', 7, '/Odoo/Contacts/Deco Addict')`;
  await sql`insert into settings (id, mapping_erp) values (1, 'builtin') on conflict (id) do update set mapping_erp = 'builtin'`;
  // A draft saved while the mapping was still empty (or by a version without this check).
  await sql`insert into erp_connection (id, kind, url, database, username, api_key_sealed, state) values (1, 'odoo', 'https://erp.test', 'odootest', 'admin', ${h.services.secrets.seal('k')}, 'draft')
    on conflict (id) do update set url = excluded.url, database = excluded.database, state = 'draft'`;
  const r = await h.api.call('POST', '/api/erp/confirm');
  expect({ status: r.status, code: r.json.error?.code }).toEqual({ status: 409, code: 'erp_switch_needs_reset' });
  expect(r.json.error.message).toMatch(/made with the builtin store/);
  expect((await h.api.call('GET', '/api/erp')).json.state).toBe('draft');
  await sql`delete from cloud_items`;
  await sql`delete from erp_connection`;
});

/**
 * The Odoo client against recorded Odoo 17 exchanges (test/fixtures/odoo): each error
 * envelope Odoo really sent is classified into what the service does about it, and a
 * local HTTP server answering with the recorded responses drives version detection,
 * login and error handling end to end; plus what the recordings cannot show (a 502 from a
 * proxy, an Odoo that does not answer, a 19+ server's JSON-2 endpoint).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyOdooError, OdooClient, OdooError, type OdooErrorKind } from '../../src/erp/odoo/client.js';
import { exchange, path, replayServer, rpc } from '../support/odooReplay.js';


test.each<[string, OdooErrorKind]>([
  ['bad field in domain', 'bad_request'], ['bad field in fields', 'bad_request'], ['invalid operator in domain', 'bad_request'],
  ['non-existent model', 'bad_request'], ['non-existent method', 'bad_request'], ['private method', 'access_error'],
  ['wrong API key (execute_kw)', 'access_denied'], ['wrong password (execute_kw)', 'access_denied'],
  ['portal user: search_read ir.attachment', 'access_error'], ['demo user: write another user\'s login', 'access_error'],
  ['unknown database in execute_kw', 'configuration'], ['unknown database in common.authenticate', 'configuration'],
  ['business UserError: unlink a confirmed sale order', 'user_error'], ['required field missing: ir.attachment create without name', 'user_error'],
  ['write on missing res.partner id 999999', 'missing_record'], ['unlink missing res.partner id 999999', 'missing_record'],
  ['web route /web/dataset/call_kw without a session cookie', 'access_denied'],
])('the recorded "%s" is %s', (name, kind) => {
  const data = exchange('07_errors.json', name).response.json.error.data;
  expect(classifyOdooError(data.name, data.message)).toBe(kind);
});

test('Odoo 19 answers a wrong key with werkzeug\'s Unauthorized: access_denied', () => {
  expect(classifyOdooError('werkzeug.exceptions.Unauthorized', 'Invalid apikey')).toBe('access_denied');
});

test('concurrent-update errors are retryable, the rest are not', () => {
  expect(new OdooError(classifyOdooError('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update'), 'x').retryable).toBe(true);
  expect(new OdooError(classifyOdooError('odoo.exceptions.AccessError', 'no'), 'x').retryable).toBe(false);
});

test('Odoo 17: /web/version is 404, so common.version decides: JSON-RPC; login gives the uid; execute_kw errors are typed', async () => {
  const srv = await replayServer([
    path('/web/version', exchange('09_http_version_endpoints.json', 'GET /web/version')),
    rpc('common', 'version', exchange('01_common.json', 'common.version')),
    rpc('common', 'authenticate', exchange('01_common.json', 'common.authenticate with API key')),
    rpc('object', 'execute_kw', exchange('07_errors.json', 'portal user: search_read ir.attachment')),
  ]);
  try {
    const client = new OdooClient({ url: srv.url, database: 'odootest', username: 'admin', apiKey: 'k' });
    expect(await client.version()).toEqual({ major: 17, serverVersion: '17.0', protocol: 'jsonrpc' });
    expect(await client.authenticate()).toBe(2);
    const err = await client.call('ir.attachment', 'search_read', { kwargs: { domain: [] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooError);
    expect(err).toMatchObject({ kind: 'access_error', odooName: 'odoo.exceptions.AccessError', retryable: false });
    expect((err as Error).message).toMatch(/^Odoo: You are not allowed to access 'Attachment'/);
    expect(srv.seen).toEqual(['GET /web/version', 'POST /jsonrpc common.version', 'POST /jsonrpc common.authenticate', 'POST /jsonrpc object.execute_kw']);
  } finally {
    await srv.close();
  }
});

test('a wrong API key: authenticate answers false, the client says who and where', async () => {
  const srv = await replayServer([rpc('common', 'authenticate', exchange('01_common.json', 'common.authenticate with wrong API key'))]);
  try {
    const err = await new OdooClient({ url: srv.url, database: 'odootest', username: 'admin', apiKey: 'wrong' }).authenticate().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'access_denied', message: expect.stringMatching(/refused the login of "admin" on database "odootest"/) });
  } finally {
    await srv.close();
  }
});

test('502 from a proxy is retried; a server that does not answer times out as unavailable; HTML is not an Odoo', async () => {
  let calls = 0;
  const srv = await replayServer([
    (req) => (req.path === '/jsonrpc' && ++calls < 3 ? { status: 502, headers: { 'content-type': 'text/html' }, body: 'Bad Gateway' } : null),
    rpc('common', 'version', exchange('01_common.json', 'common.version')),
  ]);
  const silent = http.createServer(() => { /* never answers */ });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const html = await replayServer([(req) => ({ status: 200, headers: { 'content-type': 'text/html' }, body: req.path ? '<html>login</html>' : '' })]);
  try {
    const v = await new OdooClient({ url: srv.url, database: 'd', username: 'u', apiKey: 'k' }).jsonRpc('common', 'version', []);
    expect(v).toMatchObject({ server_version: '17.0' });
    expect(calls).toBe(3);
    const slow = new OdooClient({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, database: 'd', username: 'u', apiKey: 'k', timeoutMs: 300, retries: 1 });
    await expect(slow.jsonRpc('common', 'version', [])).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/no answer within 300 ms/) });
    await expect(new OdooClient({ url: html.url, database: 'd', username: 'u', apiKey: 'k' }).jsonRpc('common', 'version', []))
      .rejects.toMatchObject({ kind: 'configuration', message: expect.stringMatching(/instead of JSON/) });
  } finally {
    silent.closeAllConnections();
    silent.close();
    await Promise.all([srv.close(), html.close()]);
  }
});

test('Odoo 19+: /web/version answers JSON, calls go to JSON-2 with the API key as bearer and named arguments', async () => {
  const bodies: unknown[] = [];
  const srv = await replayServer([
    (req) => (req.path === '/web/version' ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: '19.0', version_info: [19, 0, 0, 'final', 0, ''] }) } : null),
    (req) => {
      if (req.path !== '/json/2/res.partner/search_read') return null;
      bodies.push(req.body);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ id: 3, display_name: 'Mitchell Admin' }]) };
    },
    (req) => (req.path === '/json/2/res.partner/write' ? { status: 403, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'odoo.exceptions.AccessError', message: 'no write' }) } : null),
  ]);
  try {
    const client = new OdooClient({ url: srv.url, database: 'db19', username: 'admin', apiKey: 'key' });
    expect(await client.version()).toEqual({ major: 19, serverVersion: '19.0', protocol: 'json2' });
    expect(await client.call('res.partner', 'search_read', { kwargs: { domain: [['id', '=', 3]], fields: ['display_name'] } })).toEqual([{ id: 3, display_name: 'Mitchell Admin' }]);
    expect(bodies).toEqual([{ domain: [['id', '=', 3]], fields: ['display_name'] }]);
    await expect(client.call('res.partner', 'write', { ids: [3], kwargs: { vals: { name: 'x' } } })).rejects.toMatchObject({ kind: 'access_error', httpStatus: 403, message: 'Odoo: no write' });
    // A positional argument has no place in JSON-2: refused, not dropped.
    await expect(client.call('res.partner', 'search', { args: [[['id', '=', 3]]] })).rejects.toMatchObject({ kind: 'bad_request', message: expect.stringMatching(/named arguments only/) });
  } finally {
    await srv.close();
  }
});

test('a URL that is not one is refused at once', () => {
  expect(() => new OdooClient({ url: 'not a url', database: 'd', username: 'u', apiKey: 'k' })).toThrow(/is not a URL/);
  expect(() => new OdooClient({ url: 'ftp://erp', database: 'd', username: 'u', apiKey: 'k' })).toThrow(/must be http/);
});

/**
 * The Sync Logs routes (search, filters, group-by counts, CSV and JSON export, retention)
 * and the queue routes (pending and failed operations, oldest first; retry one), on a real
 * Postgres, with the bad input that matters for each.
 */
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  const sql = h.services.database.sql;
  // Rows as both syncs write them, over two months.
  await sql`insert into sync_logs (at, direction, level, model, record_id, path, message, run_id) values
    ('2026-10-30T10:00:00Z', 'direct', 'success', 'res.partner', 7, '/Odoo/Contacts/Acme/a.pdf', 'Uploaded a.pdf', 'r1'),
    ('2026-11-02T09:00:00Z', 'direct', 'warning', 'res.partner', 7, '/Odoo/Contacts/Acme', 'Name expression failed: 100% wrong', 'r1'),
    ('2026-11-02T11:00:00Z', 'backward', 'error', 'sale.order', 12, '/Odoo/Sales/S0012/x.txt', 'Could not link x.txt', 'r2'),
    ('2026-11-03T08:00:00Z', 'backward', 'success', 'sale.order', 12, '/Odoo/Sales/S0012/=cmd.txt', '=HYPERLINK("evil"), "quoted"', 'r2')`;
});
afterAll(async () => h?.close());

const get = (p: string) => h.api.call('GET', p);

describe('GET /api/logs: search and filters', () => {
  test.each([
    ['?level=warning', ['Name expression failed: 100% wrong']],
    ['?direction=backward', ['=HYPERLINK("evil"), "quoted"', 'Could not link x.txt']],
    ['?model=sale.order&level=error', ['Could not link x.txt']],
    ['?recordId=7', ['Name expression failed: 100% wrong', 'Uploaded a.pdf']],
    ['?from=2026-11-01&to=2026-11-03', ['Could not link x.txt', 'Name expression failed: 100% wrong']],
    ['?q=ACME', ['Name expression failed: 100% wrong', 'Uploaded a.pdf']],
    ['?q=100%25', ['Name expression failed: 100% wrong']], // % is a character, not a wildcard
    ['?q=_', []],
  ])('%s', async (query, messages) => {
    const r = await get(`/api/logs${query}`);
    expect(r.status).toBe(200);
    expect(r.json.items.map((i: { message: string }) => i.message)).toEqual(messages);
  });

  test('cursor paging, newest first', async () => {
    const first = await get('/api/logs?limit=3');
    expect(first.json.items).toHaveLength(3);
    const rest = await get(`/api/logs?limit=3&cursor=${first.json.nextCursor}`);
    expect(rest.json.items.map((i: { message: string }) => i.message)).toEqual(['Uploaded a.pdf']);
    expect(rest.json.nextCursor).toBeNull();
  });

  test.each([
    ['?level=info', 'level'], ['?direction=up', 'direction'], ['?from=yesterday', 'from'], ['?from=2026-12-01&to=2026-11-01', 'from'],
    ['?recordId=-1', 'recordId'], ['?limit=0', 'limit'], ['?limit=5000', 'limit'], ['?model=drop%20table', 'model'], ['?colour=red', 'query'],
  ])('bad filter %s is a 422 naming %s', async (query, field) => {
    const r = await get(`/api/logs${query}`);
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('invalid_fields');
    expect(Object.keys(r.json.error.details.fields).join(' ')).toMatch(field === 'query' ? /./ : new RegExp(field));
  });
});

describe('GET /api/logs/summary: group-by counts', () => {
  test.each([
    ['level', [{ key: 'error', count: 1 }, { key: 'success', count: 2 }, { key: 'warning', count: 1 }]],
    ['direction', [{ key: 'backward', count: 2 }, { key: 'direct', count: 2 }]],
    ['month', [{ key: '2026-10', count: 1 }, { key: '2026-11', count: 3 }]],
    ['day', [{ key: '2026-10-30', count: 1 }, { key: '2026-11-02', count: 2 }, { key: '2026-11-03', count: 1 }]],
  ])('by %s', async (groupBy, groups) => {
    expect((await get(`/api/logs/summary?groupBy=${groupBy}`)).json).toEqual({ groupBy, groups });
  });
  test('with filters', async () => {
    expect((await get('/api/logs/summary?groupBy=level&direction=direct')).json.groups).toEqual([{ key: 'success', count: 1 }, { key: 'warning', count: 1 }]);
  });
  test('groupBy missing or unknown: 422', async () => {
    expect((await get('/api/logs/summary')).status).toBe(422);
    expect((await get('/api/logs/summary?groupBy=week')).json.error.details.fields.groupBy).toBeDefined();
  });
});

describe('GET /api/logs/export', () => {
  test('CSV: a download, quoted as RFC 4180, formulas defused', async () => {
    const r = await get('/api/logs/export?format=csv&direction=backward');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="sync-logs-.*\.csv"$/);
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('at,direction,level,model,recordId,path,message,runId');
    expect(lines[1]).toBe(`2026-11-03T08:00:00.000Z,backward,success,sale.order,12,/Odoo/Sales/S0012/=cmd.txt,"'=HYPERLINK(""evil""), ""quoted""",r2`);
    expect(lines).toHaveLength(3);
  });
  test('JSON: every matching row', async () => {
    const r = await get('/api/logs/export?format=json&level=success');
    expect(r.headers.get('content-disposition')).toMatch(/\.json"$/);
    const rows = JSON.parse(r.text);
    expect(rows.map((x: { message: string }) => x.message)).toEqual(['=HYPERLINK("evil"), "quoted"', 'Uploaded a.pdf']);
    expect(rows[1]).toMatchObject({ at: '2026-10-30T10:00:00.000Z', direction: 'direct', model: 'res.partner', recordId: 7, runId: 'r1' });
  });
  test('format missing or unknown: 422, no download', async () => {
    for (const q of ['', '?format=xlsx']) {
      const r = await get(`/api/logs/export${q}`);
      expect(r.status).toBe(422);
      expect(r.headers.get('content-disposition')).toBeNull();
    }
  });
});

test('log retention drops rows older than the setting, keeps the rest', async () => {
  const sql = h.services.database.sql;
  await sql`insert into sync_logs (at, direction, level, message) values (now() - interval '40 days', 'direct', 'success', 'old'), (now() - interval '2 days', 'direct', 'success', 'recent')`;
  expect(await h.services.log.cleanup(30)).toBeGreaterThanOrEqual(1);
  const left = await sql`select message from sync_logs where message in ('old', 'recent')`;
  expect(left.map((r) => r.message)).toEqual(['recent']);
});

describe('the queue', () => {
  let ids: number[];
  beforeAll(async () => {
    const sql = h.services.database.sql;
    const rows = await sql`insert into operations (direction, kind, dedupe_key, payload, status, attempts, not_before, last_error) values
      ('direct', 'upload', 'upload:a', '{"path": "/Odoo/Contacts/Acme/a.pdf", "resModel": "res.partner", "resId": 7}', 'failed', 8, now(), 'HTTP 507'),
      ('direct', 'create_folder', 'create_folder:b', '{"path": "/Odoo/Contacts/Bolt"}', 'pending', 1, now() + interval '1 hour', 'HTTP 503'),
      ('backward', 'unlink', 'unlink:c', '{"path": "/Odoo/Sales/x.txt"}', 'pending', 0, now(), null),
      ('direct', 'upload', 'upload:d', '{"path": "/Odoo/Contacts/Acme/d.pdf"}', 'done', 1, now(), null)
      returning id`;
    ids = rows.map((r) => Number(r.id));
  });

  test('GET /api/queue: pending and failed, oldest first, never done; filters by kind, status, direction', async () => {
    expect((await get('/api/queue')).json.items.map((i: { id: number }) => i.id)).toEqual(ids.slice(0, 3));
    expect((await get('/api/queue?status=failed')).json.items).toEqual([expect.objectContaining({ id: ids[0], kind: 'upload', attempts: 8, lastError: 'HTTP 507', path: '/Odoo/Contacts/Acme/a.pdf', model: 'res.partner', recordId: 7 })]);
    expect((await get('/api/queue?kind=unlink')).json.items.map((i: { id: number }) => i.id)).toEqual([ids[2]]);
    expect((await get('/api/queue?direction=direct&status=pending')).json.items.map((i: { id: number }) => i.id)).toEqual([ids[1]]);
    expect((await get('/api/queue?status=done')).status).toBe(422);
    expect((await get('/api/queue?kind=teleport')).status).toBe(422);
  });

  test('POST /api/queue/:id/retry: a failed one is pending again with its attempts back; a waiting one is due now', async () => {
    const failed = await h.api.call('POST', `/api/queue/${ids[0]}/retry`);
    expect(failed.json).toMatchObject({ id: ids[0], status: 'pending', attempts: 0 });
    const waiting = await h.api.call('POST', `/api/queue/${ids[1]}/retry`);
    expect(waiting.json).toMatchObject({ status: 'pending', attempts: 1 });
    expect(new Date(waiting.json.notBefore).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test('retry of a done, unknown or malformed id is refused and changes nothing', async () => {
    const done = await h.api.call('POST', `/api/queue/${ids[3]}/retry`);
    expect(done.status).toBe(409);
    expect(done.json.error.code).toBe('operation_done');
    expect((await h.api.call('POST', '/api/queue/999999/retry')).status).toBe(404);
    expect((await h.api.call('POST', '/api/queue/abc/retry')).status).toBe(422);
    const [row] = await h.services.database.sql`select status from operations where id = ${ids[3]!}`;
    expect(row!.status).toBe('done');
  });
});

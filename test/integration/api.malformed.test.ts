/**
 * Hundreds of malformed bodies against every JSON route (fast-check): each gets a 4xx in
 * API.md's error shape, never a 5xx or a stack trace, and changes nothing. Every body is
 * first checked to be invalid by the route's own schema, so an accidentally valid one is
 * not sent (it would rightly change state).
 */
import fc from 'fast-check';
import { OPERATIONS } from '../../src/api/openapi.js';
import { createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel, attach } from '../support/sync.js';

let h: Harness;
let ids: { syncModel: number; record: number; attachment: number };
beforeAll(async () => {
  h = await createHarness();
  const record = await addRecord(h, 'res.partner', 'Fuzzed');
  ids = { syncModel: await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' }), record, attachment: await attach(h, 'res.partner', record, 'f.txt', 'fuzz') };
});
afterAll(async () => h?.close());

/** Everything a malformed change could touch, as one comparable value. */
async function snapshot(): Promise<string> {
  const sql = h.services.database.sql;
  const tables = ['settings', 'cloud_connection', 'sync_models', 'erp_records', 'erp_attachments', 'operations', 'cloud_items'];
  const out: Record<string, unknown> = {};
  for (const t of tables) out[t] = await sql.unsafe(`select * from ${t} order by 1`);
  return JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
}

// Values of every JSON kind, with the awkward ones made likely.
const junk: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 1e308, -0, '', ' ', '\u0000', '../..', '<script>', '__proto__', '💥', 'a'.repeat(5000)),
    fc.string({ maxLength: 40 }), fc.integer(), fc.double({ noNaN: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'model', 'url', 'name', 'every', 'ids', 'x'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const routes = Object.entries(OPERATIONS).flatMap(([p, ops]) => Object.entries(ops)
  .filter(([, op]) => op.body).map(([method, op]) => ({ method: method.toUpperCase(), path: p, schema: op.body! })));

test.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: malformed bodies get a 4xx and change nothing', async (_name, route) => {
  const url = route.path.replace('{id}', String(route.path.startsWith('/api/sync-models') ? ids.syncModel : route.path.startsWith('/api/attachments') ? ids.attachment : ids.record))
    .replace('{model}', 'res.partner');
  const before = await snapshot();
  // A body: junk, or a valid-looking object with one field broken.
  const bodies = fc.oneof(junk, fc.dictionary(fc.string({ maxLength: 12 }), junk, { maxKeys: 5 }))
    .filter((b) => !route.schema.safeParse(b).success);
  let sent = 0;
  await fc.assert(fc.asyncProperty(bodies, async (body) => {
    sent++;
    const r = await h.api.call(route.method, url, body === undefined ? null : body);
    if (r.status < 400 || r.status >= 500 || r.json?.error?.code === undefined || /at .*\.(ts|js):\d+/.test(r.text)) {
      throw new Error(`${route.method} ${url} with ${JSON.stringify(body).slice(0, 200)} answered ${r.status}: ${r.text.slice(0, 300)}`);
    }
  }), { numRuns: 60 });
  expect(sent).toBeGreaterThanOrEqual(60);
  expect(await snapshot()).toBe(before);
}, 120_000);

test('a trigger body that is not a JSON object is refused as such, not taken for an empty one', async () => {
  for (const body of ['5', '"full"', '[true]']) {
    const r = await h.api.call('POST', '/api/sync/direct', body, { 'content-type': 'application/json' });
    expect({ body, status: r.status, code: r.json.error.code }).toEqual({ body, status: 400, code: 'malformed_body' });
  }
});

test.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: an oversize body (over 1 MiB) is a 413 and changes nothing', async (_name, route) => {
  const url = route.path.replace('{id}', String(route.path.startsWith('/api/sync-models') ? ids.syncModel : route.path.startsWith('/api/attachments') ? ids.attachment : ids.record))
    .replace('{model}', 'res.partner');
  const before = await snapshot();
  const r = await h.api.call(route.method, url, JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }), { 'content-type': 'application/json' });
  expect({ status: r.status, code: r.json?.error?.code }).toEqual({ status: 413, code: 'payload_too_large' });
  expect(await snapshot()).toBe(before);
});

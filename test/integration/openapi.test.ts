/** `/api/openapi.json` describes exactly the routes the API serves, with the schemas it validates with. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

const ROUTES_DIR = fileURLToPath(new URL('../../src/api', import.meta.url));
/** Every `app.<method>('/api/...')` in the API's source, as "METHOD /api/path/{param}". */
function declaredRoutes(): string[] {
  const files = fs.readdirSync(ROUTES_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(ROUTES_DIR, f));
  const out: string[] = [];
  for (const f of files) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/app\.(get|post|put|patch|delete)\('(\/api\/[^']*)'/g)) {
      out.push(`${m[1]!.toUpperCase()} ${m[2]!.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return out.sort();
}

test('served without a token, as OpenAPI 3.1', async () => {
  const res = await fetch(`${h.api.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  const doc = await res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
  expect(doc.openapi).toBe('3.1.0');
});

test('every route the API declares is documented, and every documented route is served', async () => {
  const doc = (await h.api.call('GET', '/api/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
  expect(documented).toEqual(declaredRoutes());
  for (const op of documented) {
    const [method, p] = op.split(' ') as [string, string];
    const url = p.replace('{model}', 'res.partner').replace(/\{\w+\}/g, '1');
    const r = await h.api.call(method, url, method === 'GET' || method === 'DELETE' ? undefined : {});
    expect({ op, noRoute: r.status === 404 && /No route/.test(r.text) }).toEqual({ op, noRoute: false });
  }
});

test('its schemas are the validation: a body the schema rejects, the route rejects, and the other way round', async () => {
  const doc = (await h.api.call('GET', '/api/openapi.json')).json as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> } }>> };
  const ajv = new Ajv2020({ strict: false });
  const schema = doc.paths['/api/settings']!.patch!.requestBody!.content['application/json']!.schema;
  const valid = ajv.compile(schema);
  for (const body of [{ timeBudgetSeconds: 60 }, { timeBudgetSeconds: 0 }, { logSyncActivities: 'yes' }, { maxDeleteShare: 0.5 }, { unknown: 1 }]) {
    const r = await h.api.call('PATCH', '/api/settings', body);
    expect({ body, accepted: r.status === 200 }).toEqual({ body, accepted: valid(body) });
  }
  const schedules = ajv.compile(doc.paths['/api/schedules']!.put!.requestBody!.content['application/json']!.schema);
  expect(schedules({ direct: { every: '30m' } })).toBe(true);
  expect(schedules({ direct: { every: '30m', when: 'now' } })).toBe(false);
});

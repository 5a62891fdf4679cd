/** `GET /api/sync-models/:id/preview`: the count, sample folder names, and "if today" period ranges. */
import { createHarness, type Harness } from '../support/harness.js';
import { addRecord, addSyncModel } from '../support/sync.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  for (const [name, fields] of [
    ['S001', { state: 'sale', date_order: '2026-11-20', partner: 'Azure Interior' }],
    ['S002', { state: 'sale', date_order: '2026-12-01', partner: 'Deco Addict' }],
    ['S003', { state: 'cancel', date_order: '2026-12-02', partner: 'Gemini' }],
    ['S004', { state: 'sale', date_order: '2026-09-15', partner: 'Azure Interior' }],
  ] as const) await addRecord(h, 'sale.order', name, fields);
});
afterAll(async () => h?.close());

test('matching records now, their folder names from the expression, and the period ranges if today were 2026-12-03', async () => {
  const id = await addSyncModel(h, {
    model: 'sale.order', folderName: 'Sales', domain: [['state', '!=', 'cancel']],
    periods: [{ field: 'date_order', direction: 'last', amount: 2, unit: 'months', includeCurrent: true }],
    nameExpression: '${object.name} / ${object.partner}',
  });
  const r = await h.api.call('GET', `/api/sync-models/${id}/preview?today=2026-12-03`);
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({
    count: 2, today: '2026-12-03', errors: [],
    periods: [{ field: 'date_order', from: '2026-11-01', to: '2026-12-31' }],
  });
  // The expression's "/" is not allowed in a folder name: sanitised as at sync time.
  expect(r.json.sample.map((s: { displayName: string; folderName: string }) => [s.displayName, s.folderName])).toEqual([
    ['S001', expect.stringMatching(/^S001 . Azure Interior$/)], ['S002', expect.stringMatching(/^S002 . Deco Addict$/)],
  ]);
  expect((await h.api.call('GET', `/api/sync-models/${id}/preview?today=2026-12-03&sample=1`)).json.sample).toHaveLength(1);
  // Another "today": other ranges, other records.
  const sept = await h.api.call('GET', `/api/sync-models/${id}/preview?today=2026-09-20`);
  expect(sept.json).toMatchObject({ count: 1, periods: [{ from: '2026-08-01', to: '2026-09-30' }] });
});

test('bad input: unknown or deleted sync model 404, bad query 422', async () => {
  expect((await h.api.call('GET', '/api/sync-models/99999/preview')).status).toBe(404);
  const id = await addSyncModel(h, { model: 'res.partner', folderName: 'Contacts' });
  for (const q of ['?today=tomorrow', '?today=2026-13-01', '?sample=0', '?sample=1000', '?colour=red']) {
    const r = await h.api.call('GET', `/api/sync-models/${id}/preview${q}`);
    expect({ q, status: r.status, code: r.json.error?.code }).toEqual({ q, status: 422, code: 'invalid_fields' });
  }
  await h.api.call('DELETE', `/api/sync-models/${id}`);
  expect((await h.api.call('GET', `/api/sync-models/${id}/preview`)).status).toBe(404);
});

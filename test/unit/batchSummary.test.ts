import { describeBatch } from '../../src/domain/batchSummary.js';

test.each([
  ['upload', [{ path: 'Odoo/Contacts/Acme/a.pdf' }, { path: 'Odoo/Contacts/Acme/b.pdf' }], 'upload 2 files to Odoo/Contacts/Acme'],
  ['upload', [{ path: 'Odoo/Contacts/Acme/a.pdf' }], 'upload 1 file to Odoo/Contacts/Acme'],
  ['upload', [{ path: 'Odoo/Contacts/Acme/a.pdf' }, { path: 'Odoo/Contacts/Bolt/b.pdf' }, { path: 'Odoo/Contacts/Bolt/c.pdf' }], 'upload 3 files to Odoo/Contacts (2 folders)'],
  ['create_folder', [{ path: 'Odoo/Contacts/Acme' }, { path: 'Odoo/Contacts/Bolt' }], 'create 2 folders in Odoo/Contacts'],
  ['create_folder', [{ path: 'Odoo' }], 'create 1 folder in /'],
  ['replace_with_url', [{ resModel: 'res.partner' }, { resModel: 'res.partner' }], 'replace 2 attachments with URL links of res.partner'],
  ['unlink', [{ path: 'Odoo/Contacts/Acme/gone.txt' }], 'unlink 1 attachment gone from Odoo/Contacts/Acme'],
  ['delete_item', [], 'delete 0 items'],
  ['some_new_kind', [{}, {}], 'some new kind x2'],
])('%s of %j -> %s', (kind, payloads, expected) => {
  expect(describeBatch(kind, payloads)).toBe(expected);
});

test('a summary stays one short line, whatever the names', () => {
  const line = describeBatch('upload', [{ path: `Odoo/${'x'.repeat(300)}/a.pdf` }]);
  expect(line.length).toBeLessThanOrEqual(160);
  expect(line.endsWith('…')).toBe(true);
});

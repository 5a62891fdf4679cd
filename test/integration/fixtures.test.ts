/**
 * The recorded Nextcloud exchanges are ground truth kept in ../shared/fixtures; the repo
 * carries a copy (test/fixtures) so that a clean clone anywhere runs the suite. Where the
 * shared original sits next to the repo, the copy must be byte for byte the same.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from '../support/nextcloudReplay.js';

const SHARED = fileURLToPath(new URL('../../../shared/fixtures/nextcloud/', import.meta.url));

test('the copy of the Nextcloud fixtures is complete and parses', () => {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
  expect(files).toEqual(expect.arrayContaining(['02-propfind.json', '03-mkcol.json', '05-move-copy.json', '08-ocs-shares.json']));
  for (const f of files) expect(() => JSON.parse(fs.readFileSync(FIXTURES + f, 'utf8'))).not.toThrow();
});

test('the copy equals ../shared/fixtures/nextcloud wherever that is present', () => {
  const shared = fs.existsSync(SHARED) ? fs.readdirSync(SHARED).sort() : [];
  for (const f of shared) {
    expect({ file: f, same: fs.readFileSync(SHARED + f).equals(fs.readFileSync(FIXTURES + f)) }).toEqual({ file: f, same: true });
  }
  // Absent (a clone elsewhere), there is nothing to compare against; present, every file was compared.
  expect(shared.length === 0 || shared.length === fs.readdirSync(FIXTURES).length).toBe(true);
});

const ODOO = fileURLToPath(new URL('../fixtures/odoo/', import.meta.url));
const SHARED_ODOO = fileURLToPath(new URL('../../../shared/fixtures/odoo/', import.meta.url));

test('the copy of the Odoo 17 fixtures parses and equals ../shared/fixtures/odoo wherever that is present', () => {
  const files = fs.readdirSync(ODOO).filter((f) => f.endsWith('.json')).sort();
  expect(files).toEqual(expect.arrayContaining(['01_common.json', '04_attachments.json', '07_errors.json']));
  for (const f of files) expect(() => JSON.parse(fs.readFileSync(ODOO + f, 'utf8'))).not.toThrow();
  const shared = fs.existsSync(SHARED_ODOO) ? fs.readdirSync(SHARED_ODOO).sort() : [];
  for (const f of shared) {
    expect({ file: f, same: fs.readFileSync(SHARED_ODOO + f).equals(fs.readFileSync(ODOO + f)) }).toEqual({ file: f, same: true });
  }
  expect(shared.length === 0 || shared.length === fs.readdirSync(ODOO).length).toBe(true);
});

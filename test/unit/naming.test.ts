import { capBytesKeepingExtension, joinCloudPath, MAX_NAME_BYTES, objectFolderName, rootFolderName, sanitizeName } from '../../src/domain/naming.js';

describe('sanitizeName', () => {
  test.each([
    ['+43454123453', '-43454123453'], // the manual's mobile-number example
    ['a*b?c"d\'e:f<g>h/i+j%k!l@m\\n', 'a-b-c-d-e-f-g-h-i-j-k-l-m-n'],
    ['S0001 #2 | draft ~ {x} & y', 'S0001 -2 - draft - -x- - y'],
    ['tab\there', 'tab-here'],
    ['  ..Azure Interior.. ', 'Azure Interior'],
    ['report.pdf', 'report.pdf'],
  ])('%j -> %j', (raw, expected) => {
    expect(sanitizeName(raw)).toBe(expected);
  });

  test('caps long names by UTF-8 bytes and keeps the extension', () => {
    const name = 'é'.repeat(300) + '.pdf';
    const out = sanitizeName(name);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(out.endsWith('.pdf')).toBe(true);
    expect(out.startsWith('éé')).toBe(true);
  });

  test('never cuts a multi-byte character in half', () => {
    const out = capBytesKeepingExtension('日本語のファイル名'.repeat(20), 50);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(50);
    expect(out).not.toContain('\uFFFD');
  });
});

describe('objectFolderName', () => {
  test('uses the rendered expression when it gives a name', () => {
    expect(objectFolderName('Abigail Peterson', 'Files of Abigail Peterson, synced', 3)).toBe('Files of Abigail Peterson, synced');
  });
  test('falls back to the display name when the expression renders empty', () => {
    expect(objectFolderName('Abigail Peterson', ' .. ', 3)).toBe('Abigail Peterson');
    expect(objectFolderName('Abigail Peterson', null, 3)).toBe('Abigail Peterson');
  });
  test('a display name that sanitises to nothing still gives a folder', () => {
    expect(objectFolderName('...', null, 42)).toBe('record-42');
  });
});

test('joinCloudPath', () => {
  expect(joinCloudPath('/Odoo/', 'Contacts', 'Azure Interior')).toBe('/Odoo/Contacts/Azure Interior');
});

test('names Nextcloud keeps for itself never reach it: ".part" endings, ".htaccess"', () => {
  expect(sanitizeName('upload.part')).toBe('upload-part');
  expect(sanitizeName('UPLOAD.PART')).toBe('UPLOAD-PART');
  expect(sanitizeName('part.pdf')).toBe('part.pdf');
  expect(sanitizeName('.htaccess')).toBe('htaccess');
  expect(sanitizeName('line\nbreak\\slash')).toBe('line-break-slash');
});

test('the cloud\'s own forbidden names and characters (its capabilities) are applied too', () => {
  const rules = { forbiddenNames: ['desktop.ini', 'Thumbs.db'], forbiddenCharacters: [';', '\u00a7'] };
  expect(sanitizeName('desktop.ini', MAX_NAME_BYTES, rules)).toBe('desktop-ini');
  expect(sanitizeName('THUMBS.DB', MAX_NAME_BYTES, rules)).toBe('THUMBS-DB');
  expect(sanitizeName('a;b\u00a7c.txt', MAX_NAME_BYTES, rules)).toBe('a-b-c.txt');
  expect(sanitizeName('desktop.ini')).toBe('desktop.ini'); // without the rules: allowed
  expect(objectFolderName('Thumbs.db', null, 7, rules)).toBe('Thumbs-db');
});

test('rootFolderName: the configured root cleaned like every name, by the server\'s rules too; Odoo when nothing is left', () => {
  expect(rootFolderName('ERP: Files')).toBe('ERP- Files');
  expect(rootFolderName('Odoo;ERP', { forbiddenCharacters: [';'] })).toBe('Odoo-ERP');
  expect(rootFolderName('ERP.part')).toBe('ERP-part');
  expect(rootFolderName(' .. ')).toBe('Odoo');
  expect(Buffer.byteLength(rootFolderName('é'.repeat(200)))).toBeLessThanOrEqual(MAX_NAME_BYTES);
});

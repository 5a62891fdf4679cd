import { compileNameExpression, NameExpressionError, renderNameExpression } from '../../src/domain/nameExpressions.js';
import { objectFolderName } from '../../src/domain/naming.js';

const abigail = { name: 'Abigail Peterson', phone: '356745', mobile: false, email: false, state: 'draft' };
const anita = { name: 'Anita Oliver', phone: false, mobile: '+37854756231', email: 'anitao@test.com', amount_total: 28700, partner_id: { name: 'Azure Interior' } };
const reader = (r: Record<string, unknown>) => (p: string) => p.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], r);
const render = (t: string, r: Record<string, unknown>) => renderNameExpression(t, reader(r));

describe("the manual's examples", () => {
  test('text around a field', () => {
    expect(render('Files of ${object.name}, synced', abigail)).toBe('Files of Abigail Peterson, synced');
  });
  test('and / or: the field if set, else the quoted text', () => {
    expect(render('${object.mobile and object.mobile or "no mobile phone"}', abigail)).toBe('no mobile phone');
    // The manual's "-43454123453": the + becomes - when the name is sanitised.
    expect(objectFolderName('x', render('${object.mobile and object.mobile or "no phone"}', anita), 1)).toBe('-37854756231');
  });
  test('the complex expression of several fields', () => {
    const t = '${object.name} ${object.phone and object.phone or "no phone"}, ${object.mobile and object.mobile or "no mobile"}';
    expect(render(t, abigail)).toBe('Abigail Peterson 356745, no mobile');
    expect(render(t, anita)).toBe('Anita Oliver no phone, +37854756231');
  });
  test("a condition without 'or' shows False", () => {
    expect(render('${object.name}, ${object.phone and object.phone}', { ...abigail, phone: false, name: 'Abigail Petersen' })).toBe('Abigail Petersen, False');
  });
  test('numbers and states', () => {
    expect(render('${object.name}, ${object.state}', { name: 'S03093', state: 'draft' })).toBe('S03093, draft');
    expect(render('${object.name}, Total ${object.amount_total}', { ...anita, name: 'P00001' })).toBe('P00001, Total 28700');
  });
  test('dotted many-to-one paths', () => {
    expect(render('${object.partner_id.name} / ${object.name}', anita)).toBe('Azure Interior / Anita Oliver');
    expect(render('${object.partner_id}', anita)).toBe('Azure Interior');
  });
  test('not and parentheses', () => {
    expect(render('${(not object.phone) and "call back" or object.phone}', anita)).toBe('call back');
  });
});

describe('syntax errors fall back to the display name', () => {
  test.each([
    ['${object.name', /never closed/],
    ['${}', /Empty/],
    ['${name}', /fields are read as object/],
    ['${object.name object.phone}', /after the expression/],
    ['${object.name and}', /ends too early/],
    ['${(object.name}', /never closed/],
    ['${object.name + 1}', /Unexpected/],
  ])('%s', (t, message) => {
    expect(() => compileNameExpression(t)).toThrow(NameExpressionError);
    expect(() => compileNameExpression(t)).toThrow(message);
    expect(render(t, abigail)).toBeNull();
    expect(objectFolderName('Abigail Peterson', render(t, abigail), 1)).toBe('Abigail Peterson');
  });
});

test('fields lists what an expression reads, for validation', () => {
  expect(compileNameExpression('${object.name} ${object.partner_id.name and object.phone or "x"}').fields.sort()).toEqual(['name', 'partner_id', 'phone']);
});

test('braces inside quoted text do not end the expression', () => {
  expect(render('${object.phone or "{none}"}', anita)).toBe('{none}');
});

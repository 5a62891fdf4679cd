import { SecretBox, tokensEqual } from '../../src/secrets/index.js';

const box = new SecretBox('k'.repeat(40));

test('seal and open round-trip, and the sealed form hides the secret', () => {
  const sealed = box.seal('app-password-123');
  expect(sealed).not.toContain('app-password-123');
  expect(box.open(sealed)).toBe('app-password-123');
});

test('each seal uses a fresh IV', () => {
  expect(box.seal('same')).not.toBe(box.seal('same'));
});

test('a tampered or foreign ciphertext does not open', () => {
  const sealed = box.seal('secret');
  const parts = sealed.split(':');
  parts[3] = Buffer.from('garbage').toString('base64url');
  expect(() => box.open(parts.join(':'))).toThrow();
  expect(() => new SecretBox('other-key-'.repeat(4)).open(sealed)).toThrow();
  expect(() => box.open('nonsense')).toThrow('Unreadable sealed secret');
});

test('short keys are refused', () => {
  expect(() => new SecretBox('short')).toThrow('at least 32');
});

test('tokensEqual', () => {
  expect(tokensEqual('abc', 'abc')).toBe(true);
  expect(tokensEqual('abc', 'abd')).toBe(false);
  expect(tokensEqual('abc', 'abcd')).toBe(false);
});

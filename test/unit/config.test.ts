import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.js';

test('defaults give the embedded setup', () => {
  const c = loadConfig({});
  expect(c.database.url).toBeUndefined();
  expect(c.temporal.address).toBeUndefined();
  expect(c.port).toBe(3000);
  expect(c.dataDir).toBe(path.resolve('.data'));
  expect(c.database.embeddedDir).toBe(path.resolve('.data', 'postgres'));
  expect(c.localDav.enabled).toBe(true);
});

test('configured values replace the defaults', () => {
  const c = loadConfig({ DATABASE_URL: 'postgres://x/y', TEMPORAL_ADDRESS: 'temporal:7233', PORT: '8080', LOCAL_DAV: 'off', DATA_DIR: '/srv/sync' });
  expect(c.database.url).toBe('postgres://x/y');
  expect(c.temporal.address).toBe('temporal:7233');
  expect(c.port).toBe(8080);
  expect(c.localDav.enabled).toBe(false);
  expect(c.temporal.devDbFile).toBe('/srv/sync/temporal/temporal.db');
});

test('bad values are refused with the variable named', () => {
  expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
  expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN must be at least 16/);
  expect(() => loadConfig({ LOCAL_DAV: 'maybe' })).toThrow(/LOCAL_DAV/);
});

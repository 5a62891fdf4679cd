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

test('transfers: defaults as Nextcloud\'s desktop client would use them; the variables set them; bad ones are named', () => {
  expect(loadConfig({}).sync.transfer).toMatchObject({ chunkThresholdBytes: 10 * 1024 * 1024, chunkSizeBytes: 10 * 1024 * 1024, bulk: true, bulkMaxBytes: 1024 * 1024, bulkMaxFiles: 100 });
  expect(loadConfig({ SYNC_CHUNK_THRESHOLD_MB: '50', SYNC_CHUNK_SIZE_MB: '20', SYNC_BULK_UPLOAD: 'off', SYNC_BULK_MAX_KB: '64' }).sync.transfer)
    .toMatchObject({ chunkThresholdBytes: 50 * 1024 * 1024, chunkSizeBytes: 20 * 1024 * 1024, bulk: false, bulkMaxBytes: 64 * 1024 });
  expect(() => loadConfig({ SYNC_CHUNK_SIZE_MB: '2' })).toThrow(/SYNC_CHUNK_SIZE_MB must be at least 5 \(Nextcloud wants chunks of 5 MiB or more\)/);
  expect(() => loadConfig({ SYNC_CHUNK_SIZE_MB: '7.5' })).toThrow(/SYNC_CHUNK_SIZE_MB must be a whole number/);
  expect(() => loadConfig({ SYNC_CHUNK_THRESHOLD_MB: '0' })).toThrow(/SYNC_CHUNK_THRESHOLD_MB must be at least 1/);
  expect(() => loadConfig({ SYNC_BULK_UPLOAD: 'yes' })).toThrow(/SYNC_BULK_UPLOAD must be on or off/);
  expect(() => loadConfig({ SYNC_BULK_MAX_KB: 'lots' })).toThrow(/SYNC_BULK_MAX_KB/);
});

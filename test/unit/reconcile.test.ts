import type { CloudItem } from '../../src/cloud/port.js';
import { findKnownFolders } from '../../src/domain/planning/reconcile.js';

const folder = (path: string, etag: string | null, fileId: string | null = null): CloudItem => ({ path, type: 'folder', size: 0, etag, lastModified: null, fileId });

test('found at its path, renamed (same file id), or gone', () => {
  const found = findKnownFolders(
    [
      { ref: 'a', path: '/R/A', fileId: '1', etag: 'x' },
      { ref: 'b', path: '/R/B', fileId: '2', etag: 'y' },
      { ref: 'c', path: '/R/C', fileId: '3', etag: 'z' },
    ],
    [folder('/R/A', 'x2', '1'), folder('/R/Bob renamed it', 'y', '2'), folder('/R/C', 'z', '99')],
  );
  expect(found.get('a')?.path).toBe('/R/A');
  expect(found.get('b')?.path).toBe('/R/Bob renamed it');
  // Same name, another file id: ours was deleted and someone made a new one.
  expect(found.get('c')).toBeNull();
});

test('plain WebDAV: a rename is recognised by an ETag seen exactly once', () => {
  const found = findKnownFolders(
    [{ ref: 'a', path: '/R/A', fileId: null, etag: 'e1' }, { ref: 'b', path: '/R/B', fileId: null, etag: 'e2' }],
    [folder('/R/A renamed', 'e1'), folder('/R/other', 'e9')],
  );
  expect(found.get('a')?.path).toBe('/R/A renamed');
  expect(found.get('b')).toBeNull();
});

test('an ambiguous ETag proves nothing', () => {
  const found = findKnownFolders([{ ref: 'a', path: '/R/A', fileId: null, etag: 'e1' }], [folder('/R/X', 'e1'), folder('/R/Y', 'e1')]);
  expect(found.get('a')).toBeNull();
});

test('files never stand in for folders', () => {
  const file: CloudItem = { ...folder('/R/A', 'e1'), type: 'file' };
  expect(findKnownFolders([{ ref: 'a', path: '/R/A', fileId: null, etag: 'e1' }], [file]).get('a')).toBeNull();
});

/**
 * Storage usage: the filesystem store's one-pass usageByArea and the list-based fallback (a store without it) give
 * the same numbers, equal to what was written; results are cached until `fresh`; a failing database size is reported
 * as not available instead of failing the whole answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { createFsBlobStore, type BlobStore } from '../store/blob-store.js';
import { createStorageUsage } from './storage-usage.js';

test('one pass and list-based usage agree with what was written; cache and fresh; database errors reported', async () => {
  const t = tempDir();
  try {
    const blobs = await createFsBlobStore(t.dir);
    const written: [string, number][] = [
      ['sessions/vs_a/best.jpg', 100],
      ['sessions/vs_a/env.jpg', 50],
      ['sessions/vs_b/best.jpg', 25],
      ['exports/ex_1.csv', 7],
      ['oss/app_1/bucket/x/y.jpg', 300],
      ['registry/app_1/p1.jpg', 40],
      ['misc/a.bin', 3],
      ['top.bin', 2],
    ];
    for (const [k, n] of written) await blobs.put(k, Buffer.alloc(n, 1));
    const expected = [
      { area: 'sessions', objects: 3, bytes: 175, sessions: 2 },
      { area: 'exports', objects: 1, bytes: 7 },
      { area: 'oss', objects: 1, bytes: 300 },
      { area: 'registry', objects: 1, bytes: 40 },
      { area: 'other', objects: 2, bytes: 5 },
    ];
    const db = async () => ({ kind: 'pglite' as const, bytes: 1234, method: 'directory' as const, files: 3 });
    const { usageByArea: _omit, ...rest } = blobs;
    const listOnly: BlobStore = rest;
    for (const store of [blobs, listOnly]) {
      const u = await createStorageUsage({ blobs: store, databaseSize: db }).get();
      assert.equal(u.blobs.available, true);
      if (!u.blobs.available) return;
      assert.deepEqual(u.blobs.areas, expected, store === blobs ? 'usageByArea' : 'list');
      assert.deepEqual(u.blobs.total, { objects: 8, bytes: 527 });
      assert.deepEqual(u.database, { available: true, kind: 'pglite', bytes: 1234, method: 'directory', files: 3 });
    }

    const usage = createStorageUsage({ blobs, databaseSize: db });
    assert.equal((await usage.get()).cached, false);
    await blobs.put('exports/ex_2.csv', Buffer.alloc(10));
    const cached = await usage.get();
    assert.equal(cached.cached, true);
    assert.equal(cached.blobs.available && cached.blobs.total.objects, 8);
    const fresh = await usage.get({ fresh: true });
    assert.equal(fresh.blobs.available && fresh.blobs.total.objects, 9);

    const broken = await createStorageUsage({
      blobs,
      databaseSize: async () => {
        throw new Error('connection refused');
      },
    }).get();
    assert.deepEqual(broken.database, { available: false, reason: 'the size could not be read (connection refused)' });
    assert.equal(broken.blobs.available, true);
  } finally {
    t.cleanup();
  }
});

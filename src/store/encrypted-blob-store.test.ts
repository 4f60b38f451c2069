/** Blobs at rest: sealed on disk, opened on read, bound to their key and the master key; old plaintext still reads. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { createFsBlobStore } from './blob-store.js';
import { createEncryptedBlobStore, SEAL_OVERHEAD } from './encrypted-blob-store.js';
import { createKeyring, DecryptError } from './secret-box.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a face, in effect')]);

test('sealed on disk, opened on read; moved, altered or under another master key it does not open', async () => {
  const t = tempDir();
  try {
    const fs = await createFsBlobStore(t.dir);
    const keyring = createKeyring(randomBytes(32));
    const store = createEncryptedBlobStore(fs, keyring.rawKey('blob'));
    await store.put('sessions/vs_1/best.jpg', JPEG);
    assert.deepEqual(await store.get('sessions/vs_1/best.jpg'), JPEG);

    const onDisk = readFileSync(path.join(t.dir, 'objects', 'sessions', 'vs_1', 'best.jpg'));
    assert.equal(onDisk.length, JPEG.length + SEAL_OVERHEAD);
    assert.equal(onDisk.indexOf(Buffer.from('a face')), -1, 'no plaintext on disk');
    assert.notEqual(onDisk[0], 0xff);

    // The same bytes under another blob key (an attacker swapping audit frames) fail to open.
    await fs.put('sessions/vs_2/best.jpg', onDisk);
    await assert.rejects(store.get('sessions/vs_2/best.jpg'), DecryptError);
    // One flipped bit fails.
    const altered = Buffer.from(onDisk);
    altered[altered.length - 1]! ^= 1;
    await fs.put('sessions/vs_1/best.jpg', altered);
    await assert.rejects(store.get('sessions/vs_1/best.jpg'), DecryptError);
    // Another master key fails.
    await store.put('sessions/vs_3/best.jpg', JPEG);
    const other = createEncryptedBlobStore(fs, createKeyring(randomBytes(32)).rawKey('blob'));
    await assert.rejects(other.get('sessions/vs_3/best.jpg'), DecryptError);

    // A file written before encryption (or copied in by hand) reads as it is; missing stays undefined.
    await fs.put('oss/app_1/b/legacy.jpg', JPEG);
    assert.deepEqual(await store.get('oss/app_1/b/legacy.jpg'), JPEG);
    assert.equal(await store.get('nope/x.jpg'), undefined);
    assert.equal(await store.delete('sessions/vs_3/best.jpg'), true);
    assert.equal(await store.exists('sessions/vs_3/best.jpg'), false);
  } finally {
    t.cleanup();
  }
});

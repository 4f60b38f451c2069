/** `shiren objects put|list|delete` in a child process on an embedded database. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runShiren, tempDir } from '../../test/helpers.js';
import { SEAL_OVERHEAD } from '../store/encrypted-blob-store.js';

const shiren = (args: string[], dataDir: string) => runShiren(args, { DATA_DIR: dataDir });

test('objects put stores a file in the app area, list shows it, delete removes the blob; bad names exit non-zero', () => {
  const t = tempDir();
  try {
    const keys = shiren(['keys', 'create', '--app', 'shop', '--json'], t.dir);
    assert.equal(keys.code, 0, keys.stderr);
    const file = path.join(t.dir, 'face.jpg');
    writeFileSync(file, Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]));
    const put = shiren(['objects', 'put', '--app', 'shop', 'faces', 'people/a.jpg', file], t.dir);
    assert.equal(put.code, 0, put.stderr);
    const listed = shiren(['objects', 'list', '--app', 'shop', 'faces', '--json'], t.dir);
    // Stored sealed (src/store/encrypted-blob-store.ts): the size listed is the size at rest.
    assert.deepEqual(JSON.parse(listed.stdout), [{ object: 'people/a.jpg', size: 6 + SEAL_OVERHEAD }]);
    const blobDir = path.join(t.dir, 'blobs', 'objects', 'oss');
    assert.ok(existsSync(blobDir));
    const del = shiren(['objects', 'delete', '--app', 'shop', 'faces', 'people/a.jpg'], t.dir);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(JSON.parse(shiren(['objects', 'list', '--app', 'shop', 'faces', '--json'], t.dir).stdout), []);
    const again = shiren(['objects', 'delete', '--app', 'shop', 'faces', 'people/a.jpg'], t.dir);
    assert.notEqual(again.code, 0);
    const badBucket = shiren(['objects', 'put', '--app', 'shop', 'Bad_Bucket', 'a.jpg', file], t.dir);
    assert.notEqual(badBucket.code, 0);
    assert.match(badBucket.stderr, /invalid_request: bucket names/);
    const noApp = shiren(['objects', 'put', '--app', 'nobody', 'faces', 'a.jpg', file], t.dir);
    assert.match(noApp.stderr, /no app named "nobody"/);
    assert.ok(readFileSync(file).length === 6);
  } finally {
    t.cleanup();
  }
});

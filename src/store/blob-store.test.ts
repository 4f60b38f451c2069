import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, tempDir } from '../../test/helpers.js';
import { createFsBlobStore, InvalidBlobKeyError } from './blob-store.js';

test('put, get, exists, list, usage, delete, deletePrefix', async () => {
  const t = tempDir();
  try {
    const store = await createFsBlobStore(t.dir);
    await store.put('sessions/vs_1/best.jpg', Buffer.from('abc'));
    await store.put('sessions/vs_1/env.jpg', Buffer.from('defg'));
    await store.put('sessions/vs_2/best.jpg', Buffer.from('x'));
    assert.equal((await store.get('sessions/vs_1/best.jpg'))?.toString(), 'abc');
    assert.equal(await store.get('sessions/vs_9/best.jpg'), undefined);
    assert.equal(await store.exists('sessions/vs_1/env.jpg'), true);
    assert.deepEqual(
      (await store.list('sessions/vs_1')).map((b) => [b.key, b.size]),
      [
        ['sessions/vs_1/best.jpg', 3],
        ['sessions/vs_1/env.jpg', 4],
      ],
    );
    assert.deepEqual(await store.usage(), { blobs: 3, bytes: 8 });
    await store.put('sessions/vs_1/best.jpg', Buffer.from('replaced'));
    assert.equal((await store.get('sessions/vs_1/best.jpg'))?.toString(), 'replaced');
    assert.equal(await store.delete('sessions/vs_2/best.jpg'), true);
    assert.equal(await store.delete('sessions/vs_2/best.jpg'), false);
    assert.equal(await store.deletePrefix('sessions/vs_1'), 2);
    assert.deepEqual(await store.usage(), { blobs: 0, bytes: 0 });
  } finally {
    t.cleanup();
  }
});

test('keys that could escape the store are refused', async () => {
  const t = tempDir();
  try {
    const store = await createFsBlobStore(t.dir);
    for (const bad of ['../x', 'a/../../x', '/abs', 'a//b', '', 'a/.hidden', 'a\\b', 'a/b c']) {
      await assert.rejects(store.put(bad, Buffer.from('x')), InvalidBlobKeyError, bad);
    }
  } finally {
    t.cleanup();
  }
});

test('a writer killed mid-write leaves no partial blob, and leftovers are cleaned on open', async () => {
  const t = tempDir();
  try {
    const store = await createFsBlobStore(t.dir);
    const old = Buffer.alloc(1024, 1);
    await store.put('big/blob.bin', old);
    // A child process rewrites the blob with 256 MiB while we kill it with SIGKILL as soon as it reports writing.
    const script = path.join(t.dir, 'writer.mts');
    writeFileSync(
      script,
      `import { createFsBlobStore } from ${JSON.stringify(path.join(REPO_ROOT, 'src/store/blob-store.ts'))};
       const s = await createFsBlobStore(${JSON.stringify(t.dir)});
       const big = Buffer.alloc(256 * 1024 * 1024, 2);
       process.stdout.write('writing\\n');
       await s.put('big/blob.bin', big);
       process.stdout.write('done\\n');`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    await new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('writing')) {
          setTimeout(() => child.kill('SIGKILL'), 20);
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    assert.ok(!out.includes('done'), 'the writer was killed before finishing');
    // The target is the old blob or the whole new one, never a partial file.
    const now = (await store.get('big/blob.bin'))!;
    assert.ok(now.equals(old) || (now.length === 256 * 1024 * 1024 && now[now.length - 1] === 2));
    // Reopening removes the temp file the killed writer left.
    await createFsBlobStore(t.dir);
    assert.deepEqual(readdirSync(path.join(t.dir, 'tmp')), []);
    assert.ok(existsSync(path.join(t.dir, 'objects', 'big', 'blob.bin')));
  } finally {
    t.cleanup();
  }
});

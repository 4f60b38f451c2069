import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/helpers.js';
import { loadMasterKey } from './master-key.js';
import { createKeyring, DecryptError } from './secret-box.js';

const key = Buffer.alloc(32, 1);

test('encrypts with a fresh IV and decrypts', () => {
  const box = createKeyring(key).box('p');
  const a = box.encrypt('secret value');
  const b = box.encrypt('secret value');
  assert.notEqual(a, b);
  assert.ok(!a.includes('secret'));
  assert.equal(box.decryptString(a), 'secret value');
});

test('tampering, another purpose or another master key cannot decrypt', () => {
  const ring = createKeyring(key);
  const ct = ring.box('p').encrypt('x');
  const raw = Buffer.from(ct.slice(3), 'base64url');
  raw[raw.length - 1]! ^= 1;
  assert.throws(() => ring.box('p').decrypt('v1.' + raw.toString('base64url')), DecryptError);
  assert.throws(() => ring.box('other').decrypt(ct), DecryptError);
  assert.throws(() => createKeyring(Buffer.alloc(32, 2)).box('p').decrypt(ct), DecryptError);
  assert.throws(() => ring.box('p').decrypt('garbage'), DecryptError);
});

test('digest is keyed and stable; check value identifies the key', () => {
  const a = createKeyring(key);
  const b = createKeyring(Buffer.alloc(32, 2));
  assert.equal(a.digest('id', '110101199003074514'), a.digest('id', '110101199003074514'));
  assert.notEqual(a.digest('id', '110101199003074514'), b.digest('id', '110101199003074514'));
  assert.notEqual(a.checkValue(), b.checkValue());
});

test('master key: generated once with mode 0600, then reused; env wins', () => {
  const t = tempDir();
  try {
    const first = loadMasterKey(t.dir, undefined);
    assert.equal(first.origin, 'generated');
    assert.equal(first.key.length, 32);
    assert.equal(statSync(path.join(t.dir, 'master.key')).mode & 0o777, 0o600);
    const second = loadMasterKey(t.dir, undefined);
    assert.equal(second.origin, 'file');
    assert.deepEqual(second.key, first.key);
    assert.equal(loadMasterKey(t.dir, key).origin, 'env');
    writeFileSync(path.join(t.dir, 'master.key'), 'short');
    assert.throws(() => loadMasterKey(t.dir, undefined), /must hold exactly 32 bytes/);
  } finally {
    t.cleanup();
  }
});

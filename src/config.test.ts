import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../test/helpers.js';
import { ConfigError, loadConfig } from './config.js';

test('defaults: port 8080, PGlite under ./data, engine on', () => {
  const c = loadConfig({}, '/srv/app');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, '/srv/app/data');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.publicUrl, 'http://localhost:8080');
  assert.equal(c.engine.enabled, true);
  assert.ok(c.engine.workers >= 1);
  assert.equal(c.engine.maxImageBytes, 5 * 1024 * 1024);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.engine));
});

test('a bad setting is named in the error', () => {
  assert.throws(
    () => loadConfig({ PORT: 'abc' }),
    (err: unknown) => err instanceof ConfigError && /PORT="abc" is not a whole number/.test(err.message),
  );
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT=70000 is out of range 1–65535/);
  assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL must be a postgres/);
  assert.throws(() => loadConfig({ SHIREN_MASTER_KEY: 'short' }), /SHIREN_MASTER_KEY must be 32 bytes/);
  assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL="loud"/);
  assert.throws(() => loadConfig({ SHIREN_ENGINE: 'maybe' }), /SHIREN_ENGINE="maybe" must be on\/off/);
});

test('every problem is reported at once', () => {
  try {
    loadConfig({ PORT: 'x', SHIREN_WORKERS: '0' });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 2);
  }
});

test('master key as hex or base64', () => {
  const hex = 'ab'.repeat(32);
  assert.equal(loadConfig({ SHIREN_MASTER_KEY: hex }).masterKey?.toString('hex'), hex);
  const b64 = Buffer.alloc(32, 7).toString('base64');
  assert.deepEqual(loadConfig({ SHIREN_MASTER_KEY: b64 }).masterKey, Buffer.alloc(32, 7));
});

test('config file: values apply, environment wins, unknown keys are errors', () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'shiren.json');
    writeFileSync(file, JSON.stringify({ PORT: 9001, SHIREN_WORKERS: 3, LOG_LEVEL: 'warn' }));
    const c = loadConfig({ SHIREN_CONFIG: file, LOG_LEVEL: 'error' });
    assert.equal(c.port, 9001);
    assert.equal(c.engine.workers, 3);
    assert.equal(c.logLevel, 'error');
    writeFileSync(file, JSON.stringify({ PROT: 1 }));
    assert.throws(() => loadConfig({ SHIREN_CONFIG: file }), /unknown setting "PROT"/);
    writeFileSync(file, '{not json');
    assert.throws(() => loadConfig({ SHIREN_CONFIG: file }), /is not valid JSON/);
    assert.throws(() => loadConfig({ SHIREN_CONFIG: path.join(t.dir, 'missing.json') }), /cannot read/);
  } finally {
    t.cleanup();
  }
});

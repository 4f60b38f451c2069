/** The same repository suite on embedded PGlite and on the machine's PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKENDS, testConfig } from '../../test/helpers.js';
import { openCore, MasterKeyMismatchError } from '../core.js';
import { ShirenError } from '../errors.js';
import { openDatabase } from './db.js';
import { DataDirBusyError } from './data-dir-lock.js';

for (const backend of BACKENDS) {
  describe(`store on ${backend.name}`, () => {
    test('migrations are idempotent; keys, settings and audit survive a reopen', async () => {
      const { env, cleanup } = await backend.setup();
      try {
        const config = testConfig(env);
        let core = await openCore(config);
        assert.equal(core.store.kind, backend.name);
        const key = await core.accessKeys.create({ app: 'shop', actor: 'test' });
        assert.match(key.accessKeyId, /^SR[A-Z0-9]{22}$/);
        assert.equal(key.accessKeySecret.length, 40);
        await core.repos.settings.set('retention', { days: 3 });
        // the secret is stored only as ciphertext
        const row = await core.store.db
          .selectFrom('access_key')
          .selectAll()
          .where('id', '=', key.accessKeyId)
          .executeTakeFirstOrThrow();
        assert.ok(!row.secret_enc.includes(key.accessKeySecret));
        await core.close();

        core = await openCore(config);
        assert.deepEqual(await core.store.migrate(), [], 'nothing left to migrate');
        const found = await core.accessKeys.verifySecret(key.accessKeyId, key.accessKeySecret);
        assert.equal(found.appName, 'shop');
        assert.deepEqual(await core.repos.settings.get('retention'), { days: 3 });
        const audit = await core.repos.audit.recent();
        assert.ok(audit.some((a) => a.action === 'access_key.create' && a.target === key.accessKeyId));
        await core.close();
      } finally {
        await cleanup();
      }
    });

    test('access keys: list, disable, unknown, wrong secret', async () => {
      const { env, cleanup } = await backend.setup();
      const core = await openCore(testConfig(env));
      try {
        const a = await core.accessKeys.create({ actor: 'test' });
        const b = await core.accessKeys.create({ app: 'other', actor: 'test' });
        const list = await core.accessKeys.list();
        assert.deepEqual(list.map((k) => k.accessKeyId).sort(), [a.accessKeyId, b.accessKeyId].sort());
        assert.ok(list.every((k) => !('secret' in k) && !('accessKeySecret' in k)));
        await assert.rejects(
          core.accessKeys.verifySecret(a.accessKeyId, 'x'.repeat(40)),
          (e: ShirenError) => e.reason === 'access_key_invalid',
        );
        await assert.rejects(core.accessKeys.resolve('SRNOPE'), (e: ShirenError) => e.reason === 'access_key_invalid');
        await core.accessKeys.disable(a.accessKeyId, 'test');
        await assert.rejects(
          core.accessKeys.resolve(a.accessKeyId),
          (e: ShirenError) => e.reason === 'access_key_disabled',
        );
        await assert.rejects(core.accessKeys.disable('SRNOPE', 'test'), (e: ShirenError) => e.reason === 'not_found');
        await assert.rejects(
          core.accessKeys.create({ app: 'bad name!', actor: 'test' }),
          (e: ShirenError) => e.reason === 'invalid_request',
        );
        assert.equal((await core.accessKeys.resolve(b.accessKeyId)).secret, b.accessKeySecret);
      } finally {
        await core.close();
        await cleanup();
      }
    });

    test('nonces are single-use and purged after expiry', async () => {
      const { env, cleanup } = await backend.setup();
      const core = await openCore(testConfig(env));
      try {
        const past = new Date(Date.now() - 1000);
        const future = new Date(Date.now() + 60_000);
        assert.equal(await core.repos.nonces.claim('SRK', 'n1', future), true);
        assert.equal(await core.repos.nonces.claim('SRK', 'n1', future), false);
        assert.equal(await core.repos.nonces.claim('SRK2', 'n1', future), true, 'per key');
        assert.equal(await core.repos.nonces.claim('SRK', 'old', past), true);
        assert.equal(await core.repos.nonces.purgeExpired(new Date()), 1);
        // concurrent claims of one nonce: exactly one wins
        const results = await Promise.all(
          Array.from({ length: 8 }, () => core.repos.nonces.claim('SRK', 'race', future)),
        );
        assert.equal(results.filter(Boolean).length, 1);
      } finally {
        await core.close();
        await cleanup();
      }
    });

    test('a different master key is refused with a clear error', async () => {
      const { env, cleanup } = await backend.setup();
      try {
        await (await openCore(testConfig({ ...env, SHIREN_MASTER_KEY: 'aa'.repeat(32) }))).close();
        await assert.rejects(
          openCore(testConfig({ ...env, SHIREN_MASTER_KEY: 'bb'.repeat(32) })),
          MasterKeyMismatchError,
        );
      } finally {
        await cleanup();
      }
    });
  });
}

test('embedded database: a second process-holder is refused while the first holds it', async () => {
  const { env, cleanup } = await BACKENDS[0]!.setup();
  try {
    const first = await openDatabase({ dataDir: env.DATA_DIR!, holder: 'first' });
    // Simulate another live process holding the lock: rewrite the lock file with our parent's pid.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${env.DATA_DIR}/shiren.lock`, JSON.stringify({ pid: process.ppid, holder: 'shiren serve' }));
    await assert.rejects(openDatabase({ dataDir: env.DATA_DIR!, holder: 'second' }), (e: unknown) => {
      return (
        e instanceof DataDirBusyError && /held by another Shiren process \(pid \d+, shiren serve\)/.test(e.message)
      );
    });
    // A lock whose pid is gone (a SIGKILLed server) is taken over.
    writeFileSync(`${env.DATA_DIR}/shiren.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, holder: 'dead' }));
    await first.close();
    const again = await openDatabase({ dataDir: env.DATA_DIR!, holder: 'third' });
    await again.ping();
    await again.close();
  } finally {
    await cleanup();
  }
});

/**
 * Check records on both database backends: identity checks asked through the native API are recorded (answered and
 * refused), searched in the console by kind, result, app and full ID number (digest look-up), shown masked, never
 * with a name, mobile or card in the table; paged; purged after the retention period; read by an auditor.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import { CHECK_RECORD_RETENTION_DAYS, createCheckRecords } from '../../verify/identity/check-records.js';
import { createIdentityChecks } from '../../verify/identity/checks.js';
import { createRegistryService, type RegistryService } from '../../verify/identity/registry.js';
import { LI, md5Id, md5Name, NOBODY, registryCsv, ZHANG } from '../../verify/identity/test-fixtures.js';
import { consoleClient, openConsoleTestApp, type ConsoleTestApp, type Signed } from './console-test-helpers.js';
import { identityRoutes } from './identity-routes.js';

const DAY = 86400_000;

for (const backend of BACKENDS) {
  describe(`console check records on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let t: ConsoleTestApp;
    let bearer: string;
    let admin: Signed;
    let auditor: Signed;
    let adminPassword: string;
    let clock = new Date('2026-07-01T08:00:00Z');
    const { call, signIn } = consoleClient({ app: () => app, ip: '203.0.113.20', bearer: () => bearer });
    const check = (body: object) => call('POST', '/v1/identity/checks', { body });
    const search = async (q: string, as = admin) => {
      const res = await call('GET', `/v1/console/checks${q}`, { as });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as {
        records: {
          id: number;
          kind: string;
          result: string | null;
          errorCode: string | null;
          idNumber: string | null;
        }[];
        nextBefore: number | null;
      };
    };

    before(async () => {
      const now = () => clock;
      let registry: RegistryService | undefined;
      t = await openConsoleTestApp({
        backend,
        ip: '203.0.113.20',
        now,
        nativeRoutes: (core) => {
          registry = createRegistryService({
            repo: core.repos.registry,
            keyring: core.keyring,
            blobs: core.blobs,
            maxPhotoBytes: 1 << 20,
          });
          const records = createCheckRecords({
            repo: core.repos.checkRecords,
            apps: core.repos.apps,
            keyring: core.keyring,
            now,
          });
          const checks = createIdentityChecks({
            registry: registry.provider,
            settings: core.repos.settings,
            plans: core.repos.plans,
            keyring: core.keyring,
            records,
            now,
          });
          return [identityRoutes({ checks, registry, maxImageBytes: 1 << 20 })];
        },
      });
      ({ app, core } = t);
      assert.ok(registry);
      bearer = `Bearer ${t.creds.accessKey.accessKeyId}:${t.creds.accessKey.accessKeySecret}`;
      const appId = (await core.repos.apps.findByName('default'))!.id;
      const report = await registry.importCsv(appId, registryCsv(), {
        photo: async () => Buffer.alloc(0),
      });
      assert.ok(report.created >= 3, JSON.stringify(report));
      adminPassword = t.creds.admin.password;
      admin = await t.signInAdmin();
      auditor = await t.addUser('ada', 'auditor', 'auditor password 9');
    });
    after(() => t?.close());

    test('every check is recorded, answered or refused; searched by kind, result and ID number; masked', async () => {
      assert.equal(
        (await check({ check: 'id2', fields: { name: ZHANG.name, idNumber: ZHANG.idNumber } })).statusCode,
        200,
      );
      assert.equal((await check({ check: 'id2', fields: { name: '张四', idNumber: ZHANG.idNumber } })).statusCode, 200);
      assert.equal((await check({ check: 'id2', fields: NOBODY })).statusCode, 200);
      const m3 = await check({
        check: 'mobile3',
        fields: { name: ZHANG.name, idNumber: ZHANG.idNumber, mobile: ZHANG.mobile },
      });
      assert.equal(m3.statusCode, 200, m3.body);
      const md5 = await check({
        check: 'id2',
        paramType: 'md5',
        fields: { name: md5Name(LI.name), idNumber: md5Id(LI.idNumber) },
      });
      assert.equal(md5.statusCode, 200, md5.body);
      const digit = await check({ check: 'id2', fields: { name: ZHANG.name, idNumber: '110101199003074515' } });
      assert.equal(digit.statusCode, 400);
      const online = await check({ check: 'mobile_online_time', fields: { mobile: ZHANG.mobile } });
      assert.equal(online.statusCode, 501);

      const all = await search('');
      assert.deepEqual(
        all.records.map((r) => [r.kind, r.result, r.errorCode, r.idNumber]),
        [
          ['mobile_online_time', null, 'not_supported', null],
          ['id2', null, 'invalid_request', null],
          ['id2', 'consistent', null, null],
          ['mobile3', 'consistent', null, '110***********4514'],
          ['id2', 'no_record', null, '110***********002X'],
          ['id2', 'inconsistent', null, '110***********4514'],
          ['id2', 'consistent', null, '110***********4514'],
        ],
        'newest first; md5 forms and refused numbers are not kept',
      );
      const full = (await call('GET', '/v1/console/checks?limit=1', { as: admin })).json().records[0];
      assert.equal(full.app.name, 'default');
      assert.equal(full.paramType, 'normal');
      assert.equal(typeof full.durationMs, 'number');
      const inconsistent = await search('?result=inconsistent', auditor);
      assert.deepEqual(
        inconsistent.records.map((r) => [r.kind, (r as unknown as { mismatched: string[] }).mismatched]),
        [['id2', ['name']]],
      );
      assert.equal((await search(`?idNumber=${ZHANG.idNumber}`)).records.length, 3, 'by the digest of the number');
      assert.equal((await search(`?idNumber=${ZHANG.idNumber.toLowerCase()}`)).records.length, 3);
      assert.equal((await search('?result=refused')).records.length, 2);
      assert.equal((await search('?kind=mobile3')).records.length, 1);
      assert.equal((await search('?app=no-such-app')).records.length, 0);
      const page = await search('?limit=3');
      assert.equal(page.records.length, 3);
      const rest = await search(`?limit=3&before=${page.nextBefore}`);
      assert.deepEqual(
        [...page.records, ...rest.records].map((r) => r.id),
        all.records.slice(0, 6).map((r) => r.id),
        'keyset pages',
      );
      for (const [q, field] of [
        ['kind=nope', 'kind'],
        ['result=maybe', 'result'],
        ['from=yesterday', 'from'],
        ['idNumber=110101199003074515', 'idNumber'],
      ]) {
        const res = await call('GET', `/v1/console/checks?${q}`, { as: admin });
        assert.equal(res.statusCode, 400, q);
        assert.equal(res.json().error.details.field, field, q);
      }
      assert.equal((await call('GET', '/v1/console/checks')).statusCode, 401, 'console sign-in required');

      // What the table holds: digests and masked numbers, never a name, mobile or card.
      const rows = await core.store.db.selectFrom('identity_check_record').selectAll().execute();
      const dump = JSON.stringify(rows);
      for (const v of [ZHANG.name, ZHANG.idNumber, ZHANG.mobile, NOBODY.idNumber, NOBODY.name, '张四', LI.idNumber])
        assert.ok(!dump.includes(v), `no ${v} in the table`);
      assert.ok(rows.some((r) => r.id_number_digest === core.keyring.digest('identity', ZHANG.idNumber)));
    });

    test('records older than the retention period are deleted by the purge', async () => {
      const before = (await search('')).records.length;
      clock = new Date(clock.getTime() + (CHECK_RECORD_RETENTION_DAYS - 1) * DAY);
      assert.equal(
        (await check({ check: 'id2', fields: { name: ZHANG.name, idNumber: ZHANG.idNumber } })).statusCode,
        200,
      );
      const purge = createCheckRecords({
        repo: core.repos.checkRecords,
        apps: core.repos.apps,
        keyring: core.keyring,
        now: () => clock,
      });
      assert.equal(await purge.purge(), 0, 'nothing is old enough yet');
      clock = new Date(clock.getTime() + 2 * DAY);
      assert.equal(await purge.purge(), before, 'the first records are past 30 days');
      admin = await signIn('admin', adminPassword);
      assert.equal((await search('')).records.length, 1, 'the newer one stays');
    });
  });
}

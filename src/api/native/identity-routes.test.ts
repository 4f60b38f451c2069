/**
 * Native identity endpoints under inject on PGlite: CSV import through the API (photo as base64), masked list and
 * detail, POST /v1/identity/checks with the rule findings and the BizCode, tenants, deletion with the photo blob,
 * settings (the upstream secret never shown), and the OpenAPI document listing the routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { openCore, type Core } from '../../core.js';
import { createIdentityChecks } from '../../verify/identity/checks.js';
import { createRegistryService } from '../../verify/identity/registry.js';
import { LI, md5Id, md5Name, NOBODY, ZHANG } from '../../verify/identity/test-fixtures.js';
import { identityRoutes } from './identity-routes.js';

const jpeg = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);

describe('native identity API', () => {
  let app: FastifyInstance;
  let core: Core;
  let cleanup: () => Promise<void>;
  let auth: string;
  let otherAuth: string;
  let appId: string;
  let checks: ReturnType<typeof createIdentityChecks>;

  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, as = auth) =>
    app.inject({ method, url, headers: { authorization: as }, ...(payload ? { payload } : {}) });

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig(b.env));
    const k = await core.accessKeys.create({ actor: 'test', app: 'shop' });
    auth = `Bearer ${k.accessKeyId}:${k.accessKeySecret}`;
    appId = k.appId;
    const o = await core.accessKeys.create({ actor: 'test', app: 'rival' });
    otherAuth = `Bearer ${o.accessKeyId}:${o.accessKeySecret}`;
    const registry = createRegistryService({
      repo: core.repos.registry,
      keyring: core.keyring,
      blobs: core.blobs,
      maxPhotoBytes: 1 << 20,
    });
    checks = createIdentityChecks({
      registry: registry.provider,
      settings: core.repos.settings,
      plans: core.repos.plans,
      keyring: core.keyring,
    });
    app = await buildApp({
      core,
      logger: false,
      nativeRoutes: [identityRoutes({ checks, registry, maxImageBytes: 1 << 20 })],
    });
  });
  after(async () => {
    await app.close();
    await core.close();
    await cleanup();
  });

  test('import CSV through the API; list and detail are masked; another app sees nothing', async () => {
    const csv =
      'name,id_number,mobile,bank_card,photo\n' +
      `${ZHANG.name},${ZHANG.idNumber},${ZHANG.mobile},${ZHANG.bankCard},${jpeg('zhang').toString('base64')}\n` +
      `${LI.name},${LI.idNumber},${LI.mobile},,\n` +
      `x,${LI.idNumber},,,./secret/file.jpg\n`;
    const r = await inject('POST', '/v1/identity/registry/import', { csv });
    assert.equal(r.statusCode, 200, r.body);
    const report = r.json();
    assert.deepEqual([report.rows, report.created, report.updated], [3, 2, 0]);
    assert.equal(report.rejected[0].line, 4);
    assert.match(report.rejected[0].reason, /photo: .*base64/, 'the API never reads server files');
    const list = await inject('GET', '/v1/identity/registry?limit=10');
    assert.equal(list.statusCode, 200);
    const people = list.json().people as { id: string; name: string; idNumber: string; photo: boolean }[];
    assert.equal(list.json().total, 2);
    for (const v of [ZHANG.name, ZHANG.idNumber, ZHANG.mobile, ZHANG.bankCard, LI.idNumber])
      assert.ok(!list.body.includes(v), `${v} must be masked`);
    const zhang = people.find((p) => p.idNumber === '110***********4514')!;
    assert.equal(zhang.photo, true);
    const one = await inject('GET', `/v1/identity/registry/${zhang.id}`);
    assert.equal(one.json().mobile, '138****8000');
    assert.equal((await inject('GET', `/v1/identity/registry/${zhang.id}`, undefined, otherAuth)).statusCode, 404);
    assert.equal((await inject('GET', '/v1/identity/registry', undefined, otherAuth)).json().total, 0);
    const bad = await inject('POST', '/v1/identity/registry/import', { csv: 'mobile\n13800138000\n' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_request');
  });

  test('POST /v1/identity/checks: result, bizCode, rule findings; errors are clear', async () => {
    const check = (body: object, as = auth) => inject('POST', '/v1/identity/checks', body, as);
    const ok = await check({
      check: 'mobile3',
      fields: { name: ZHANG.name, idNumber: ZHANG.idNumber, mobile: ZHANG.mobile },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const o = ok.json();
    assert.deepEqual(
      [o.check, o.provider, o.result, o.bizCode, o.isp],
      ['mobile3', 'registry', 'consistent', 1, 'CMCC'],
    );
    assert.deepEqual(o.rules.idNumber, { valid: true, reasons: [], warnings: [] });
    const wrong = (await check({ check: 'id2', fields: { name: '张四', idNumber: ZHANG.idNumber } })).json();
    assert.deepEqual([wrong.result, wrong.bizCode, wrong.mismatched], ['inconsistent', 2, ['name']]);
    assert.equal((await check({ check: 'id2', fields: NOBODY })).json().bizCode, 3);
    const md5 = await check({
      check: 'id2',
      paramType: 'md5',
      fields: { name: md5Name(LI.name), idNumber: md5Id(LI.idNumber) },
    });
    assert.equal(md5.json().bizCode, 1);
    const digit = await check({ check: 'id2', fields: { name: ZHANG.name, idNumber: '110101199003074515' } });
    assert.equal(digit.statusCode, 400);
    assert.equal(digit.json().error.code, 'invalid_request');
    assert.equal(digit.json().error.details.field, 'idNumber');
    assert.deepEqual(digit.json().error.details.reasons, ['id_checksum_invalid']);
    const online = await check({ check: 'mobile_online_time', fields: { mobile: ZHANG.mobile } });
    assert.equal(online.statusCode, 501);
    assert.equal(online.json().error.details.code, 'source_cannot_answer');
    assert.equal((await check({ check: 'id2', fields: ZHANG }, otherAuth)).json().bizCode, 3, 'per-app registry');
    assert.equal((await check({ check: 'nope', fields: {} })).statusCode, 400);
  });

  test('settings: provider none; the http upstream only by the operator (secret never shown); bad URL refused', async () => {
    const tenant = await inject('PUT', '/v1/identity/settings', { http: { url: 'http://10.0.0.1/' } });
    assert.equal(tenant.statusCode, 400, 'a tenant cannot point the server at an address (operator CLI only)');
    await checks.setSettings(appId, {
      http: { url: 'http://127.0.0.1:9/check', authorization: 'Bearer s3cr3t', failureThreshold: 3 },
    });
    const set = await inject('PUT', '/v1/identity/settings', { defaultProvider: 'none' });
    assert.equal(set.statusCode, 200, set.body);
    assert.ok(!set.body.includes('s3cr3t'));
    assert.deepEqual(set.json(), {
      defaultProvider: 'none',
      http: {
        url: 'http://127.0.0.1:9/check',
        timeoutMs: 5000,
        failureThreshold: 3,
        cooldownMs: 30000,
        authorizationSet: true,
        breaker: 'closed',
      },
    });
    const stored = JSON.stringify(await core.store.db.selectFrom('setting').selectAll().execute());
    assert.ok(!stored.includes('s3cr3t'), 'the upstream secret is stored encrypted');
    const none = await inject('POST', '/v1/identity/checks', { check: 'id2', fields: ZHANG });
    assert.equal(none.statusCode, 501);
    assert.equal(none.json().error.details.code, 'no_authoritative_source');
    assert.match(none.json().error.message, /no authoritative source configured/);
    await assert.rejects(checks.setSettings(appId, { http: { url: 'ftp://x' } }), /http\.url/);
    await checks.setSettings(appId, { http: null });
    assert.equal((await inject('PUT', '/v1/identity/settings', { defaultProvider: 'registry' })).json().http, null);
  });

  test('delete removes the person and its photo blob; the routes are in the OpenAPI document', async () => {
    const people = (await inject('GET', '/v1/identity/registry')).json().people as { id: string; photo: boolean }[];
    const withPhoto = people.find((p) => p.photo)!;
    const blobs = await core.blobs.list('registry/');
    assert.equal(blobs.length, 1);
    assert.equal(
      (await inject('DELETE', `/v1/identity/registry/${withPhoto.id}`, undefined, otherAuth)).statusCode,
      404,
    );
    const d = await inject('DELETE', `/v1/identity/registry/${withPhoto.id}`);
    assert.deepEqual(d.json(), { deleted: true, blobs: 1 });
    assert.equal((await core.blobs.list('registry/')).length, 0);
    assert.equal((await inject('GET', `/v1/identity/registry/${withPhoto.id}`)).statusCode, 404);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const p of [
      '/v1/identity/checks',
      '/v1/identity/registry/import',
      '/v1/identity/registry',
      '/v1/identity/registry/{id}',
      '/v1/identity/settings',
    ])
      assert.ok(doc.paths[p], `${p} documented`);
  });
});

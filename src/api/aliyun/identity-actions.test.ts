/**
 * The Cloudauth information-check Actions driven by the official SDK (@alicloud/cloudauth20190307) over a real port,
 * in both signature versions, against a registry imported from CSV by `shiren registry import` (a child process on
 * the same data directory). Actions the SDK 3.5.0 has no method for (Id3MetaVerify, Mobile2MetaVerify, …) go through
 * the SDK's own callApi. The http provider is checked against an upstream on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BankMetaVerifyRequest,
  CredentialVerifyRequest,
  Id2MetaPeriodVerifyRequest,
  Id2MetaStandardVerifyRequest,
  Id2MetaVerifyRequest,
  Mobile3MetaDetailStandardVerifyRequest,
  Mobile3MetaDetailVerifyRequest,
  Mobile3MetaSimpleVerifyRequest,
  MobileDetectRequest,
  MobileOnlineStatusRequest,
  MobileOnlineTimeRequest,
  Vehicle5ItemQueryRequest,
  VehicleInsureQueryRequest,
  VehicleMetaVerifyRequest,
  VehicleMetaVerifyV2Request,
  VehicleQueryRequest,
} from '@alicloud/cloudauth20190307';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import type { FastifyInstance } from 'fastify';
import { REPO_ROOT, tempDir, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { openCore, type Core } from '../../core.js';
import { createIdentityChecks } from '../../verify/identity/checks.js';
import { md5 } from '../../verify/identity/md5-forms.js';
import { createRegistryService } from '../../verify/identity/registry.js';
import { LI, md5Id, md5Name, NOBODY, WANG, ZHANG } from '../../verify/identity/test-fixtures.js';
import type { FaceService } from '../../verify/face-service.js';
import { createPlanService } from '../../verify/plans.js';
import { identityRoutes } from '../native/identity-routes.js';
import { sdkClient, type CloudauthClient, type SignatureMode } from './sdk-test-client.js';

// A "JPEG" is FF D8 FF + a label; the fake face engine says two photos match when the labels' people are equal.
const jpeg = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);
const personOf = (b: Buffer) => b.subarray(3).toString().split(':')[0];

const CLI = path.join(REPO_ROOT, 'src/cli/main.ts');

describe('Cloudauth identity Actions with the official SDK', () => {
  const t = tempDir();
  let core: Core;
  let app: FastifyInstance;
  let port: number;
  let key: { accessKeyId: string; accessKeySecret: string };
  let auth: string;
  let appId: string;
  let checks: ReturnType<typeof createIdentityChecks>;
  let upstream: http.Server;
  let upstreamUrl: string;
  const upstreamSeen: { authorization?: string; body: Record<string, unknown> }[] = [];

  const client = (mode: SignatureMode): CloudauthClient => sdkClient(key, port, { mode });

  /** An Action the SDK has no method for, through the SDK's signer and transport. */
  async function call(c: CloudauthClient, action: string, body: Record<string, string>) {
    const params = new $OpenApiUtil.Params({
      action,
      version: '2019-03-07',
      protocol: 'HTTP',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const r = await c.callApi(params, new $OpenApiUtil.OpenApiRequest({ body }), new $dara.RuntimeOptions({}));
    return r.body as { Code: string; Message: string; ResultObject?: Record<string, string> };
  }

  before(async () => {
    // 1. The registry, imported from CSV by the CLI (photo column: a path relative to the CSV file).
    writeFileSync(path.join(t.dir, 'zhang.jpg'), jpeg('zhang:ref'));
    writeFileSync(
      path.join(t.dir, 'people.csv'),
      [
        'name,id_number,mobile,bank_card,plate,vehicle_type,valid_from,valid_to,photo',
        `${ZHANG.name},${ZHANG.idNumber},${ZHANG.mobile},${ZHANG.bankCard},${ZHANG.plate},02,20200101,20300101,zhang.jpg`,
        `${LI.name},${LI.idNumber},${LI.mobile},${LI.bankCard},,,,,`,
        `${WANG.name},${WANG.idNumber},${WANG.mobile},,,,,,`,
        `坏人,110101199003074515,,,,,,,`,
      ].join('\n') + '\n',
    );
    const env = { DATA_DIR: path.join(t.dir, 'data'), SHIREN_ENGINE: 'off', LOG_LEVEL: 'silent' };
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', CLI, 'registry', 'import', path.join(t.dir, 'people.csv'), '--app', 'shop'],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^4 rows: 3 added, 0 replaced, 1 rejected\n/);
    assert.match(r.stdout, /line 5: id_number: id_checksum_invalid/);
    assert.match(r.stderr, /import \[#+\] 4\/4/, 'a progress bar on stderr');

    // 2. An upstream for the http provider.
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const json = JSON.parse(body) as { check: string; fields: Record<string, string> };
        upstreamSeen.push({ authorization: req.headers.authorization, body: json });
        const answer =
          json.check === 'mobile_online_time'
            ? { result: 'consistent', isp: 'CMCC', timeCode: '5' }
            : json.check === 'id2'
              ? { result: json.fields.name === '张三' ? 'consistent' : 'inconsistent', mismatched: ['name'] }
              : { result: 'unsupported' };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/check`;

    // 3. The server on that data directory.
    core = await openCore(testConfig(env));
    const created = await core.accessKeys.create({ actor: 'test', app: 'shop' });
    key = created;
    auth = `Bearer ${created.accessKeyId}:${created.accessKeySecret}`;
    appId = created.appId;
    const registry = createRegistryService({
      repo: core.repos.registry,
      keyring: core.keyring,
      blobs: core.blobs,
      faces: {
        compare: async ({ imageA, imageB }) => {
          const passed = personOf(imageA) === personOf(imageB);
          return { score: passed ? 93 : 11, threshold: 70, passed };
        },
      },
      maxPhotoBytes: 1 << 20,
    });
    checks = createIdentityChecks({
      registry: registry.provider,
      settings: core.repos.settings,
      plans: core.repos.plans,
      keyring: core.keyring,
    });
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    app = await buildApp({
      core,
      logger: false,
      nativeRoutes: [identityRoutes({ checks, registry, maxImageBytes: 1 << 20 })],
      aliyun: {
        keys: core.accessKeys,
        nonces: core.repos.nonces,
        windowSeconds: core.config.signatureWindowSeconds,
        faces: {} as FaceService,
        plans,
        images: { resolve: async () => Buffer.alloc(0) },
        identity: checks,
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await app?.close();
    await core?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    t.cleanup();
  });

  for (const mode of ['acs3', 'rpc'] as const) {
    test(`Id2MetaVerify (${mode}): match 1, wrong name 2, unknown 3, bad check digit 401, missing 400; md5 forms`, async () => {
      const c = client(mode);
      const id2 = async (fields: Record<string, string>) =>
        (await c.id2MetaVerify(new Id2MetaVerifyRequest({ paramType: 'normal', ...fields }))).body!;
      const match = await id2({ userName: ZHANG.name, identifyNum: ZHANG.idNumber });
      assert.equal(match.code, '200');
      assert.equal(match.resultObject?.bizCode, '1');
      assert.equal((await id2({ userName: '张四', identifyNum: ZHANG.idNumber })).resultObject?.bizCode, '2');
      assert.equal((await id2({ userName: NOBODY.name, identifyNum: NOBODY.idNumber })).resultObject?.bizCode, '3');
      const bad = await id2({ userName: ZHANG.name, identifyNum: '110101199003074515' });
      assert.equal(bad.code, '401');
      assert.match(bad.message!, /^参数非法: IdentifyNum: .*id_checksum_invalid/);
      assert.equal(bad.resultObject, undefined);
      const missing = await id2({ identifyNum: ZHANG.idNumber });
      assert.equal(missing.code, '400');
      assert.match(missing.message!, /UserName/);

      const m = async (userName: string, identifyNum: string) =>
        (await c.id2MetaVerify(new Id2MetaVerifyRequest({ paramType: 'md5', userName, identifyNum }))).body!;
      assert.equal((await m(md5Name(ZHANG.name), md5Id(ZHANG.idNumber))).resultObject?.bizCode, '1');
      assert.equal((await m(md5Name('张四'), md5Id(ZHANG.idNumber))).resultObject?.bizCode, '2');
      assert.equal((await m(md5Name(LI.name), md5Id(LI.idNumber))).resultObject?.bizCode, '1', 'X in the last 4');
      assert.equal((await m(md5Name(NOBODY.name), md5Id(NOBODY.idNumber))).resultObject?.bizCode, '3');
      assert.equal((await m(ZHANG.name, ZHANG.idNumber)).code, '401', 'plain values are not an md5 form');
      const sm2 = (
        await c.id2MetaVerify(new Id2MetaVerifyRequest({ paramType: 'sm2', userName: 'x', identifyNum: 'y' }))
      ).body!;
      assert.equal(sm2.code, '410');
    });
  }

  test('Id2MetaStandardVerify and Id2MetaPeriodVerify', async () => {
    const c = client('acs3');
    const std = await c.id2MetaStandardVerify(
      new Id2MetaStandardVerifyRequest({ paramType: 'normal', userName: LI.name, identifyNum: LI.idNumber }),
    );
    assert.equal(std.body?.resultObject?.bizCode, '1');
    const period = (start: string, end: string) =>
      c.id2MetaPeriodVerify(
        new Id2MetaPeriodVerifyRequest({
          paramType: 'normal',
          userName: ZHANG.name,
          identifyNum: ZHANG.idNumber,
          validityStartDate: start,
          validityEndDate: end,
        }),
      );
    assert.equal((await period('20200101', '20300101')).body?.resultObject?.bizCode, '1');
    assert.equal((await period('20200101', '20400101')).body?.resultObject?.bizCode, '2');
    assert.equal((await period('20201301', '20300101')).body?.code, '401', 'not a date');
  });

  test('Mobile3Meta Simple/Detail (+Standard): BizCode, IspName, SubCode of what differs; md5 of each field', async () => {
    const c = client('rpc');
    const detail = async (userName: string, identifyNum: string, mobile: string, paramType = 'normal') =>
      (
        await c.mobile3MetaDetailVerify(
          new Mobile3MetaDetailVerifyRequest({ paramType, userName, identifyNum, mobile }),
        )
      ).body!.resultObject!;
    assert.deepEqual(
      { ...(await detail(ZHANG.name, ZHANG.idNumber, ZHANG.mobile)) },
      { bizCode: '1', ispName: 'CMCC', subCode: '101' },
    );
    assert.equal((await detail('张四', ZHANG.idNumber, ZHANG.mobile)).subCode, '203');
    assert.equal((await detail(ZHANG.name, LI.idNumber, ZHANG.mobile)).subCode, '202');
    const both = await detail(LI.name, LI.idNumber, ZHANG.mobile);
    assert.deepEqual([both.bizCode, both.subCode], ['2', '201']);
    const none = await detail(NOBODY.name, NOBODY.idNumber, NOBODY.mobile);
    assert.deepEqual([none.bizCode, none.subCode], ['3', '301']);
    assert.equal((await detail(md5(LI.name), md5(LI.idNumber), md5(LI.mobile), 'md5')).bizCode, '1');
    const simple = await c.mobile3MetaSimpleVerify(
      new Mobile3MetaSimpleVerifyRequest({
        paramType: 'normal',
        userName: WANG.name,
        identifyNum: WANG.idNumber,
        mobile: WANG.mobile,
      }),
    );
    assert.deepEqual({ ...simple.body!.resultObject! }, { bizCode: '1', ispName: 'CUCC' });
    const std = await c.mobile3MetaDetailStandardVerify(
      new Mobile3MetaDetailStandardVerifyRequest({
        paramType: 'normal',
        userName: WANG.name,
        identifyNum: WANG.idNumber,
        mobile: '1861111222',
      }),
    );
    assert.equal(std.body?.code, '401', 'a 10-digit mobile number');
  });

  test('BankMetaVerify 2/3/4 elements and the md5 card form; vehicles', async () => {
    const c = client('acs3');
    const bank = (productType: string, extra: Record<string, string> = {}, paramType = 'normal') =>
      c.bankMetaVerify(
        new BankMetaVerifyRequest({
          paramType,
          verifyMode: 'VERIFY_BANK_CARD',
          productType,
          bankCard: ZHANG.bankCard,
          userName: ZHANG.name,
          ...extra,
        }),
      );
    assert.deepEqual({ ...(await bank('BANK_CARD_2_META')).body!.resultObject! }, { bizCode: '1', subCode: '101' });
    assert.equal((await bank('BANK_CARD_3_META', { identifyNum: LI.idNumber })).body!.resultObject!.bizCode, '2');
    assert.equal(
      (await bank('BANK_CARD_4_META', { identifyNum: ZHANG.idNumber, mobile: ZHANG.mobile })).body!.resultObject!
        .bizCode,
      '1',
    );
    assert.equal((await bank('BANK_CARD_4_META', { identifyNum: ZHANG.idNumber })).body!.code, '400', 'Mobile missing');
    assert.equal((await bank('BANK_CARD_5_META')).body!.code, '401');
    const card = ZHANG.bankCard;
    assert.equal(
      (
        await bank(
          'BANK_CARD_2_META',
          { bankCard: card.slice(0, -6) + md5(card.slice(-6)), userName: md5Name(ZHANG.name) },
          'md5',
        )
      ).body!.resultObject!.bizCode,
      '1',
    );
    const v1 = await c.vehicleMetaVerify(
      new VehicleMetaVerifyRequest({
        paramType: 'normal',
        verifyMetaType: 'VEHICLE_3_META',
        vehicleNum: ZHANG.plate,
        vehicleType: '02',
        userName: ZHANG.name,
        identifyNum: ZHANG.idNumber,
      }),
    );
    assert.equal(v1.body!.resultObject!.bizCode, '1');
    const v2 = await c.vehicleMetaVerifyV2(
      new VehicleMetaVerifyV2Request({
        paramType: 'normal',
        verifyMetaType: 'VEHICLE_2_META',
        vehicleNum: ZHANG.plate,
        userName: ZHANG.name,
      }),
    );
    assert.equal(v2.body!.resultObject!.bizCode, '1');
    assert.equal(JSON.parse(v2.body!.resultObject!.vehicleInfo!).vehicleNum, '京A***45');
    const q = await c.vehicleQuery(new VehicleQueryRequest({ paramType: 'md5', vehicleNum: md5(ZHANG.plate) }));
    assert.equal(q.body!.resultObject!.bizCode, '1');
    const q5 = await c.vehicle5ItemQuery(new Vehicle5ItemQueryRequest({ paramType: 'normal', vehicleNum: '京B54321' }));
    assert.equal(q5.body!.resultObject!.bizCode, '3');
  });

  test('Id3MetaVerify compares with the registry photo; Mobile2MetaVerify (through the SDK’s callApi)', async () => {
    const c = client('acs3');
    const id3 = (userName: string, identifyNum: string, face: Buffer) =>
      call(c, 'Id3MetaVerify', {
        ParamType: 'normal',
        UserName: userName,
        IdentifyNum: identifyNum,
        FaceFile: face.toString('base64'),
      });
    assert.equal((await id3(ZHANG.name, ZHANG.idNumber, jpeg('zhang:selfie'))).ResultObject?.BizCode, '1');
    assert.equal((await id3(ZHANG.name, ZHANG.idNumber, jpeg('li:selfie'))).ResultObject?.BizCode, '2');
    assert.equal((await id3('张四', ZHANG.idNumber, jpeg('zhang:selfie'))).ResultObject?.BizCode, '2');
    assert.equal((await id3(LI.name, LI.idNumber, jpeg('li:selfie'))).ResultObject?.BizCode, '3', 'no photo');
    const m = await call(c, 'Id3MetaVerify', {
      ParamType: 'md5',
      UserName: md5Name(ZHANG.name),
      IdentifyNum: md5Id(ZHANG.idNumber),
      FaceFile: jpeg('zhang:selfie').toString('base64'),
    });
    assert.equal(m.ResultObject?.BizCode, '1');
    assert.equal(
      (await call(c, 'Id3MetaVerify', { ParamType: 'normal', UserName: ZHANG.name, IdentifyNum: ZHANG.idNumber })).Code,
      '400',
    );
    const m2 = await call(c, 'Mobile2MetaVerify', { ParamType: 'normal', Mobile: LI.mobile, UserName: LI.name });
    assert.deepEqual(m2.ResultObject, { BizCode: '1', IspName: 'CMCC' });
  });

  test('SceneId (a Shiren extension) selects that plan’s provider; an unknown SceneId is 404', async () => {
    const t0 = new Date();
    const plan = await core.repos.plans.insert({
      app_id: appId,
      name: 'no-source',
      liveness_mode: 'none',
      action_count: 1,
      action_pool: '["blink"]',
      compare_source: 'none',
      identity_input: 'none',
      identity_provider: 'none',
      threshold_score: 70,
      passive_liveness_threshold: null,
      max_attempts: 3,
      invalidate_on_failure: false,
      success_url: null,
      failure_url: null,
      callback_url: null,
      callback_secret_enc: null,
      result_retention_hours: 1,
      media_retention_hours: 1,
      created_at: t0,
      updated_at: t0,
      disabled_at: null,
    });
    const c = client('acs3');
    const body = { ParamType: 'normal', UserName: ZHANG.name, IdentifyNum: ZHANG.idNumber };
    assert.equal((await call(c, 'Id2MetaVerify', body)).ResultObject?.BizCode, '1', 'no SceneId: the app default');
    const none = await call(c, 'Id2MetaVerify', { ...body, SceneId: String(plan.id) });
    assert.equal(none.Code, '410');
    assert.match(none.Message, /no authoritative source configured/);
    assert.equal((await call(c, 'Id2MetaVerify', { ...body, SceneId: '999999' })).Code, '404');
    assert.equal((await call(c, 'Id2MetaVerify', { ...body, SceneId: 'abc' })).Code, '401');
  });

  test('no source can answer: online time, status, recycled numbers, detection, insurance, forgery, OCR → 410, never a BizCode', async () => {
    const c = client('rpc');
    const answers = [
      (await c.mobileOnlineTime(new MobileOnlineTimeRequest({ paramType: 'normal', mobile: ZHANG.mobile }))).body!,
      (await c.mobileOnlineStatus(new MobileOnlineStatusRequest({ paramType: 'normal', mobile: ZHANG.mobile }))).body!,
      (await c.mobileDetect(new MobileDetectRequest({ paramType: 'normal', mobiles: ZHANG.mobile }))).body!,
      (
        await c.vehicleInsureQuery(
          new VehicleInsureQueryRequest({ paramType: 'normal', vehicleNum: ZHANG.plate, vin: 'LSVAU218XN2183294' }),
        )
      ).body!,
      (await c.credentialVerify(new CredentialVerifyRequest({ credType: '0104', imageUrl: 'https://x' }))).body!,
    ].map((b) => ({ code: b.code, message: b.message, resultObject: b.resultObject }));
    for (const a of answers) {
      assert.equal(a.code, '410', JSON.stringify(a));
      assert.match(a.message!, /^未开通服务: /);
      assert.equal(a.resultObject, undefined);
    }
    for (const [action, body] of [
      ['MobileRecycledMetaVerify', { ParamType: 'normal', Mobile: ZHANG.mobile, RegisterDate: '20200101' }],
      ['Id2MetaVerifyWithOCR', { ParamType: 'normal' }],
      ['Id3MetaVerifyWithOCR', { ParamType: 'normal' }],
      ['CredentialProductVerifyV2', { CredType: '0104' }],
      ['CredentialVerifyV2', { CredType: '0104' }],
    ] as const) {
      const r = await call(c, action, body);
      assert.equal(r.Code, '410', `${action}: ${JSON.stringify(r)}`);
      assert.equal(r.ResultObject, undefined);
    }
  });

  test('the http provider answers what the registry cannot; provider none answers 410 no authoritative source', async () => {
    const put = (body: unknown) =>
      app.inject({
        method: 'PUT',
        url: '/v1/identity/settings',
        headers: { authorization: auth },
        payload: body as object,
      });
    // The operator sets the upstream (`shiren identity-settings`); the app chooses http as its default.
    await checks.setSettings(appId, {
      http: { url: upstreamUrl, authorization: 'Bearer upstream-secret', timeoutMs: 2000 },
    });
    const set = await put({ defaultProvider: 'http' });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal(set.json().http.authorizationSet, true);
    assert.ok(!set.body.includes('upstream-secret'), 'the upstream secret is never shown');
    const c = client('acs3');
    const ot = await c.mobileOnlineTime(new MobileOnlineTimeRequest({ paramType: 'normal', mobile: ZHANG.mobile }));
    assert.deepEqual({ ...ot.body!.resultObject! }, { bizCode: '1', ispName: 'CMCC', timeCode: '5' });
    const seen = upstreamSeen.at(-1)!;
    assert.equal(seen.authorization, 'Bearer upstream-secret');
    assert.deepEqual(seen.body, { check: 'mobile_online_time', paramType: 'normal', fields: { mobile: ZHANG.mobile } });
    const id2 = await c.id2MetaVerify(
      new Id2MetaVerifyRequest({ paramType: 'normal', userName: '李四', identifyNum: ZHANG.idNumber }),
    );
    assert.equal(id2.body!.resultObject!.bizCode, '2', 'the upstream, not the registry, answered');
    const unsupported = await c.mobileOnlineStatus(
      new MobileOnlineStatusRequest({ paramType: 'normal', mobile: ZHANG.mobile }),
    );
    assert.equal(unsupported.body!.code, '410');

    assert.equal((await put({ defaultProvider: 'none' })).statusCode, 200);
    const none = await c.id2MetaVerify(
      new Id2MetaVerifyRequest({ paramType: 'normal', userName: ZHANG.name, identifyNum: ZHANG.idNumber }),
    );
    assert.equal(none.body!.code, '410');
    assert.match(none.body!.message!, /no authoritative source configured/);
    const stillBad = await c.id2MetaVerify(
      new Id2MetaVerifyRequest({ paramType: 'normal', userName: ZHANG.name, identifyNum: '110101199003074515' }),
    );
    assert.equal(stillBad.body!.code, '401', 'a bad check digit is a parameter error whatever the provider');
    assert.equal((await put({ defaultProvider: 'registry' })).statusCode, 200);
    await checks.setSettings(appId, { http: null });
  });
});

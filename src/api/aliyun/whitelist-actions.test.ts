/**
 * InsertWhiteListSetting, PageQueryWhiteListSetting and RemoveWhiteListSetting driven by the official SDK
 * (@alicloud/cloudauth20190307) over a real port, in both signature versions: entries from a CertNo and from a
 * CertifyId, scoped to the caller's app, paged and filtered, removed; a whitelisted session that failed its face
 * comparison reads Passed T / SubCode 200 in DescribeFaceVerify; bad input answers Cloudauth codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DescribeFaceVerifyRequest,
  InsertWhiteListSettingRequest,
  PageQueryWhiteListSettingRequest,
  RemoveWhiteListSettingRequest,
} from '@alicloud/cloudauth20190307';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import { createTransactor } from '../../store/repos/index.js';
import { createPlanService } from '../../verify/plans.js';
import { createSessionService, type SessionService } from '../../verify/sessions.js';
import { createWhitelistService } from '../../verify/whitelist.js';
import { fakeAnalyser, fakeFaces, framesOf, jpeg } from '../../verify/whitelist-test-fakes.js';
import { openSdkTestServer, sdkClient, type CloudauthClient, type SdkTestServer } from './sdk-test-client.js';
import { beijingTime } from './whitelist-actions.js';

const LISTED = { name: '张三', idNumber: '11010519491231002X' };
const OTHER = { name: '李四', idNumber: '110101199003074514' };
const client = { ip: '203.0.113.7' };

describe('Cloudauth whitelist Actions with the official SDK', () => {
  let server: SdkTestServer;
  let core: Core;
  let port: number;
  let sessions: SessionService;
  const keys: Record<'a' | 'b', { accessKeyId: string; accessKeySecret: string; appId: string }> = {} as never;
  let p1: number;
  let p2: number;
  let q: number;
  /** The whitelist's and the sessions' clock runs `shift` ms ahead (signatures use the real time). */
  let shift = 0;
  const now = () => new Date(Date.now() + shift);

  const sdk = (who: 'a' | 'b', mode: 'acs3' | 'rpc' = 'acs3'): CloudauthClient => sdkClient(keys[who], port, { mode });
  const insert = async (who: 'a' | 'b', m: Record<string, unknown>, mode: 'acs3' | 'rpc' = 'acs3') =>
    (await sdk(who, mode).insertWhiteListSetting(new InsertWhiteListSettingRequest(m))).body!;
  const page = async (who: 'a' | 'b', m: Record<string, unknown>, mode: 'acs3' | 'rpc' = 'acs3') =>
    (await sdk(who, mode).pageQueryWhiteListSetting(new PageQueryWhiteListSettingRequest(m))).body!;
  const remove = async (who: 'a' | 'b', ids: number[], mode: 'acs3' | 'rpc' = 'acs3') =>
    (await sdk(who, mode).removeWhiteListSetting(new RemoveWhiteListSettingRequest({ ids }))).body!;

  /** A session on `planId` for `identity`, captured with a face that does not match its reference. */
  async function failedCompare(appId: string, planId: number, identity: typeof LISTED) {
    const s = await sessions.create(
      appId,
      { planId, identity, referenceImage: jpeg('owner:ref').toString('base64') },
      'test',
    );
    const ch = await sessions.issueChallenge(s.token, client);
    const r = await sessions.submitAttempt(
      s.token,
      { challengeId: ch.challengeId, frames: framesOf('stranger') },
      client,
    );
    return { token: s.token, code: r.code };
  }

  before(async () => {
    server = await openSdkTestServer(BACKENDS[0]!);
    core = server.core;
    for (const who of ['a', 'b'] as const) {
      const k = await core.accessKeys.create({ app: `wl-${who}`, actor: 'test' });
      keys[who] = { accessKeyId: k.accessKeyId, accessKeySecret: k.accessKeySecret, appId: k.appId };
    }
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    const plan = async (appId: string, name: string) =>
      (
        await plans.create(
          appId,
          { name, livenessMode: 'none', compareSource: 'uploaded', identityInput: 'preset', maxAttempts: 1 },
          'test',
        )
      ).plan.id;
    p1 = await plan(keys.a.appId, 'checkout');
    p2 = await plan(keys.a.appId, 'signup');
    q = await plan(keys.b.appId, 'theirs');
    const whitelist = createWhitelistService({
      whitelist: core.repos.whitelist,
      plans: core.repos.plans,
      sessions: core.repos.sessions,
      audit: core.repos.audit,
      keyring: core.keyring,
      now,
    });
    sessions = createSessionService({
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces: fakeFaces,
      analyser: fakeAnalyser,
      publicUrl: core.config.publicUrl,
      limits: { ipFailureLimit: 500, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20 },
      whitelist,
      now,
    });
    port = await server.listen({ plans, sessions, whitelist });
  });
  after(() => server?.close());

  test('InsertWhiteListSetting from a CertNo and from a CertifyId; the whitelisted session reads Passed T / 200', async () => {
    const before = await failedCompare(keys.a.appId, p1, LISTED);
    assert.equal(before.code, 'compare_failed');
    const c = sdk('a');
    const failed = (await c.describeFaceVerify(new DescribeFaceVerifyRequest({ certifyId: before.token }))).body!;
    assert.deepEqual([failed.resultObject?.passed, failed.resultObject?.subCode], ['F', '204']);

    const r = await insert('a', {
      sceneId: p1,
      certNo: LISTED.idNumber,
      validDay: 30,
      remark: 'VIP',
      serviceCode: 'antcloudauth',
    });
    assert.deepEqual([r.code, r.success, r.resultObject], ['200', true, true]);
    const dup = await insert('a', { sceneId: p1, certNo: LISTED.idNumber, validDay: 5 }, 'rpc');
    assert.equal(dup.code, '420', dup.message);

    const wl = await failedCompare(keys.a.appId, p1, LISTED);
    assert.equal(wl.code, 'whitelisted');
    const d = (await c.describeFaceVerify(new DescribeFaceVerifyRequest({ certifyId: wl.token, sceneId: p1 }))).body!;
    assert.equal(d.code, '200');
    assert.deepEqual([d.resultObject?.passed, d.resultObject?.subCode], ['T', '200']);
    const material = JSON.parse(d.resultObject?.materialInfo ?? '{}');
    assert.equal(material.code, 'whitelisted');
    assert.equal(material.whitelisted, true);
    assert.equal(material.facialPictureFront.verifyScore, 9);

    // the other plan is not affected; an entry from that plan's failed session's CertifyId (rpc signature) is
    const onP2 = await failedCompare(keys.a.appId, p2, OTHER);
    assert.equal(onP2.code, 'compare_failed');
    const byCertify = await insert('a', { sceneId: p2, certifyId: onP2.token, validDay: 1 }, 'rpc');
    assert.deepEqual([byCertify.code, byCertify.resultObject], ['200', true]);
    assert.equal((await failedCompare(keys.a.appId, p2, OTHER)).code, 'whitelisted');
    assert.equal((await failedCompare(keys.a.appId, p2, LISTED)).code, 'compare_failed');
    // app b's plan with the same ID number: not whitelisted
    assert.equal((await failedCompare(keys.b.appId, q, LISTED)).code, 'compare_failed');
  });

  for (const mode of ['acs3', 'rpc'] as const) {
    test(`PageQueryWhiteListSetting (${mode}): the app's entries, masked, paged and filtered`, async () => {
      const all = await page('a', { currentPage: 1, pageSize: 10 }, mode);
      assert.deepEqual([all.code, all.success, all.totalItem, all.totalPage], ['200', true, 2, 1]);
      const items = all.resultObject ?? [];
      assert.deepEqual(
        items.map((i) => [i.sceneId, i.certNo, i.status, i.remark]),
        [
          [p2, '110***********4514', 'VALID', ''],
          [p1, '110***********002X', 'VALID', 'VIP'],
        ],
      );
      assert.ok(!JSON.stringify(all).includes(LISTED.idNumber) && !JSON.stringify(all).includes(OTHER.idNumber));
      assert.match(items[0]!.certifyId ?? '', /^[A-Za-z0-9]{24}$/);
      assert.equal(items[1]!.certifyId, undefined);
      const start = new Date(items[1]!.validStartDate!.replace(' ', 'T') + '+08:00');
      const end = new Date(items[1]!.validEndDate!.replace(' ', 'T') + '+08:00');
      assert.equal(end.getTime() - start.getTime(), 30 * 86400_000);
      assert.ok(Math.abs(start.getTime() - Date.now()) < 120_000, items[1]!.validStartDate);
      assert.equal(items[1]!.gmtCreate, items[1]!.validStartDate);

      const p = await page('a', { pageSize: 1, currentPage: 2 }, mode);
      assert.deepEqual([p.totalItem, p.totalPage, p.currentPage, p.pageSize], [2, 2, 2, 1]);
      assert.deepEqual(
        (p.resultObject ?? []).map((i) => i.sceneId),
        [p1],
      );
      assert.deepEqual(
        ((await page('a', { sceneId: p2 }, mode)).resultObject ?? []).map((i) => i.certNo),
        ['110***********4514'],
      );
      assert.deepEqual(
        ((await page('a', { certNo: LISTED.idNumber.toLowerCase() }, mode)).resultObject ?? []).map((i) => i.sceneId),
        [p1],
      );
      const byCertify = await page('a', { certifyId: items[0]!.certifyId }, mode);
      assert.equal(byCertify.totalItem, 1);
      assert.equal((await page('a', { status: 'INVALID' }, mode)).totalItem, 0);
      assert.equal((await page('a', { status: 'VALID' }, mode)).totalItem, 2);
      const soon = String(Date.now() + 2 * 86400_000);
      assert.deepEqual(
        ((await page('a', { validEndDate: soon }, mode)).resultObject ?? []).map((i) => i.sceneId),
        [p2],
        'only the 1-day entry ends before 2 days from now',
      );
      assert.equal((await page('a', { validStartDate: String(Date.now() + 3600_000) }, mode)).totalItem, 0);
      // app b sees none of app a's entries
      const theirs = await page('b', {}, mode);
      assert.deepEqual([theirs.code, theirs.totalItem, theirs.resultObject], ['200', 0, []]);
    });
  }

  test('expired entries read INVALID and stop counting', async () => {
    shift = 86400_000 + 60_000;
    try {
      const r = await page('a', { status: 'INVALID' });
      assert.deepEqual(
        (r.resultObject ?? []).map((i) => [i.sceneId, i.status]),
        [[p2, 'INVALID']],
      );
      assert.equal((await failedCompare(keys.a.appId, p2, OTHER)).code, 'compare_failed');
      assert.equal((await failedCompare(keys.a.appId, p1, LISTED)).code, 'whitelisted');
    } finally {
      shift = 0;
    }
  });

  test('InsertWhiteListSetting: bad input answers Cloudauth codes', async () => {
    const noIdentity = await sessions.create(
      keys.a.appId,
      { planId: p1, referenceImage: jpeg('owner:ref').toString('base64') },
      'test',
    );
    const theirSession = await sessions.create(
      keys.b.appId,
      { planId: q, identity: OTHER, referenceImage: jpeg('owner:ref').toString('base64') },
      'test',
    );
    const cases: [Record<string, unknown>, string, RegExp?][] = [
      [{ certNo: OTHER.idNumber, validDay: 1 }, '400', /SceneId/],
      [{ sceneId: p1, validDay: 1 }, '400', /CertNo/],
      [{ sceneId: p1, certNo: OTHER.idNumber }, '400', /ValidDay/],
      [{ sceneId: q, certNo: OTHER.idNumber, validDay: 1 }, '404'],
      [{ sceneId: 99999999, certNo: OTHER.idNumber, validDay: 1 }, '404'],
      [{ sceneId: p1, certNo: OTHER.idNumber, certifyId: noIdentity.token, validDay: 1 }, '420'],
      [{ sceneId: p1, certNo: '110105194912310021', validDay: 1 }, '401', /idNumber/],
      [{ sceneId: p1, certNo: OTHER.idNumber, validDay: 0 }, '401', /validDays/],
      [{ sceneId: p1, certNo: OTHER.idNumber, validDay: 366 }, '401', /validDays/],
      [{ sceneId: p1, certifyId: noIdentity.token, validDay: 1 }, '401', /no ID number/],
      [{ sceneId: p1, certifyId: theirSession.token, validDay: 1 }, '401', /certifyId/],
      [{ sceneId: p1, certNo: OTHER.idNumber, validDay: 1, remark: 'x'.repeat(501) }, '401', /remark/],
    ];
    for (const [m, code, message] of cases) {
      const r = await insert('a', m);
      assert.equal(r.code, code, `${JSON.stringify(m)}: ${r.message}`);
      if (message) assert.match(r.message ?? '', message);
      assert.notEqual(r.success, true);
    }
    assert.equal((await page('a', { status: 'x' })).code, '401');
    assert.equal((await page('a', { pageSize: 101 })).code, '401');
    assert.equal((await page('a', { validStartDate: 'yesterday' })).code, '401');
    assert.equal((await page('a', { certNo: '110105194912310021' })).code, '401');
    assert.equal((await page('a', {})).totalItem, 2, 'nothing was added');
  });

  test('RemoveWhiteListSetting: only the app own entries, all or nothing, deleted for real and audited', async () => {
    const ids = ((await page('a', {})).resultObject ?? []).map((i) => i.id!);
    assert.equal(ids.length, 2);
    const byB = await remove('b', ids);
    assert.equal(byB.code, '401', byB.message);
    assert.match(byB.message ?? '', /nothing was removed/);
    assert.equal((await page('a', {})).totalItem, 2);
    const mixed = await remove('a', [ids[0]!, 99999999]);
    assert.equal(mixed.code, '401');
    assert.equal((await page('a', {})).totalItem, 2);
    assert.equal((await remove('a', [])).code, '401');
    const ok = await remove('a', [ids[0]!], 'rpc');
    assert.deepEqual([ok.code, ok.success, ok.resultObject], ['200', true, true]);
    const left = await page('a', {});
    assert.deepEqual(
      (left.resultObject ?? []).map((i) => i.id),
      [ids[1]],
    );
    assert.equal((await remove('a', [ids[1]!])).resultObject, true);
    assert.equal((await page('a', {})).totalItem, 0);
    assert.equal((await core.store.db.selectFrom('whitelist_entry').selectAll().execute()).length, 0);
    // the session that had been whitelisted on p1 now fails its comparison
    assert.equal((await failedCompare(keys.a.appId, p1, LISTED)).code, 'compare_failed');
    const audit = (await core.repos.audit.list({ limit: 500 })).filter((a) => a.action.startsWith('whitelist.'));
    assert.equal(audit.filter((a) => a.action === 'whitelist.add').length, 2);
    assert.equal(audit.filter((a) => a.action === 'whitelist.remove').length, 2);
    assert.ok(audit.every((a) => a.actor === keys.a.accessKeyId));
    assert.ok(!JSON.stringify(audit).includes(LISTED.idNumber));
  });

  test('beijingTime: Cloudauth time strings in +08:00', () => {
    assert.equal(beijingTime('2024-08-30T05:57:51.123Z'), '2024-08-30 13:57:51');
    assert.equal(beijingTime('2024-12-31T16:00:00Z'), '2025-01-01 00:00:00');
  });
});

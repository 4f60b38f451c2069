/**
 * DescribePageFaceVerifyData and DescribeSmartStatisticsPageList driven by the official SDK (@alicloud/cloudauth20190307)
 * over a real port, in both signature versions (ACS3 and RPC v1): sessions with known outcomes and creation times in
 * two apps; totals, pass counts, local days of the StartDate's offset, paging, the SceneId filter, another app's data
 * invisible, bad input answered with Cloudauth codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DescribePageFaceVerifyDataRequest, DescribeSmartStatisticsPageListRequest } from '@alicloud/cloudauth20190307';
import { sql } from 'kysely';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import { createTransactor } from '../../store/repos/index.js';
import type { SessionStatus } from '../../store/schema.js';
import { createPlanService } from '../../verify/plans.js';
import { createSessionService } from '../../verify/sessions.js';
import { createStatisticsService } from '../../verify/statistics.js';
import { openSdkTestServer, sdkClient, type CloudauthClient, type SdkTestServer } from './sdk-test-client.js';
import { parseWireTime } from './statistics-actions.js';

describe('Cloudauth statistics Actions with the official SDK', () => {
  let server: SdkTestServer;
  let core: Core;
  let port: number;
  const keys: Record<'a' | 'b', { accessKeyId: string; accessKeySecret: string; appId: string }> = {} as never;
  let p1: number;
  let p2: number;
  let q: number;

  const client = (who: 'a' | 'b', mode: 'acs3' | 'rpc'): CloudauthClient => sdkClient(keys[who], port, { mode });

  before(async () => {
    server = await openSdkTestServer(BACKENDS[0]!);
    core = server.core;
    for (const who of ['a', 'b'] as const) {
      const k = await core.accessKeys.create({ app: `stats-${who}`, actor: 'test' });
      keys[who] = { accessKeyId: k.accessKeyId, accessKeySecret: k.accessKeySecret, appId: k.appId };
    }
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    const plan = async (appId: string, name: string) =>
      (await plans.create(appId, { name, livenessMode: 'none', compareSource: 'none' }, 'test')).plan.id;
    p1 = await plan(keys.a.appId, 'checkout');
    p2 = await plan(keys.a.appId, 'signup');
    q = await plan(keys.b.appId, 'theirs');
    const sessions = createSessionService({
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces: {} as never,
      analyser: {} as never,
      challenges: {} as never,
      publicUrl: core.config.publicUrl,
      limits: { ...core.config.sessions, maxImageBytes: core.config.engine.maxImageBytes },
      ensureApp: (name) => core.accessKeys.ensureApp(name),
    });
    const made = async (appId: string, planId: number, status: SessionStatus, at: string) => {
      const s = await sessions.create(appId, { planId }, 'test');
      await sql`update verify_session set status = ${status}, created_at = ${new Date(at)} where token = ${s.token}`.execute(
        core.store.db,
      );
    };
    // App a, plan p1. Beijing 2026-11-10: 2 passed + 1 failed; Beijing 2026-11-11 (the first one is still
    // 2026-11-10 in UTC): 1 passed + 1 failed.
    await made(keys.a.appId, p1, 'passed', '2026-11-10T02:00:00Z');
    await made(keys.a.appId, p1, 'passed', '2026-11-10T03:00:00Z');
    await made(keys.a.appId, p1, 'failed', '2026-11-10T04:00:00Z');
    await made(keys.a.appId, p1, 'passed', '2026-11-10T16:30:00Z');
    await made(keys.a.appId, p1, 'failed', '2026-11-11T05:00:00Z');
    // App a, plan p2: Beijing 2026-11-11, 1 passed. Outside every window asked for: 2026-11-20.
    await made(keys.a.appId, p2, 'passed', '2026-11-11T06:00:00Z');
    await made(keys.a.appId, p2, 'passed', '2026-11-20T06:00:00Z');
    // App b: 4 passed on Beijing 2026-11-10, 1 failed on 2026-11-11.
    for (const h of ['01', '02', '03', '05']) await made(keys.b.appId, q, 'passed', `2026-11-10T${h}:00:00Z`);
    await made(keys.b.appId, q, 'failed', '2026-11-11T01:00:00Z');

    port = await server.listen({ plans, statistics: createStatisticsService({ repos: core.repos }) });
  });
  after(() => server?.close());

  for (const mode of ['acs3', 'rpc'] as const) {
    test(`DescribePageFaceVerifyData (${mode}): per day and scene, newest first, paged`, async () => {
      const c = client('a', mode);
      const r = await c.describePageFaceVerifyData(
        new DescribePageFaceVerifyDataRequest({
          startDate: '2026-11-10',
          endDate: '2026-11-11',
          productCode: 'ID_PRO',
          currentPage: 1,
          pageSize: 2,
        }),
      );
      const body = r.body!;
      assert.equal(body.code, '200');
      assert.equal(body.success, 'true');
      assert.equal(body.totalCount, '3');
      assert.equal(body.totalPage, '2');
      assert.equal(body.currentPage, '1');
      assert.equal(body.pageSize, '2');
      const items = (body.items ?? []).map((i) => [i.date, i.sceneId, i.sceneName, i.totalCount, i.successCount]);
      assert.deepEqual(items, [
        ['2026-11-11', String(p1), 'checkout', '2', '1'],
        ['2026-11-11', String(p2), 'signup', '1', '1'],
      ]);
      const page2 = await c.describePageFaceVerifyData(
        new DescribePageFaceVerifyDataRequest({
          startDate: '2026-11-10',
          endDate: '2026-11-11',
          currentPage: 2,
          pageSize: 2,
        }),
      );
      assert.deepEqual(
        (page2.body!.items ?? []).map((i) => [i.date, i.sceneId, i.totalCount, i.successCount]),
        [['2026-11-10', String(p1), '3', '2']],
      );
      const beyond = await c.describePageFaceVerifyData(
        new DescribePageFaceVerifyDataRequest({
          startDate: '2026-11-10',
          endDate: '2026-11-11',
          currentPage: 3,
          pageSize: 2,
        }),
      );
      assert.equal(beyond.body!.totalCount, '3');
      assert.deepEqual(beyond.body!.items ?? [], []);
    });

    test(`DescribePageFaceVerifyData (${mode}): the SceneId filter; another app's scene is not found`, async () => {
      const c = client('a', mode);
      const r = await c.describePageFaceVerifyData(
        new DescribePageFaceVerifyDataRequest({ startDate: '2026-11-01', endDate: '2026-11-30', sceneId: p2 }),
      );
      assert.equal(r.body!.totalCount, '2');
      assert.deepEqual(
        (r.body!.items ?? []).map((i) => [i.date, i.sceneId, i.totalCount, i.successCount]),
        [
          ['2026-11-20', String(p2), '1', '1'],
          ['2026-11-11', String(p2), '1', '1'],
        ],
      );
      const theirs = await c.describePageFaceVerifyData(
        new DescribePageFaceVerifyDataRequest({ startDate: '2026-11-01', endDate: '2026-11-30', sceneId: q }),
      );
      assert.equal(theirs.body!.code, '404');
      assert.equal(theirs.body!.items, undefined);
    });

    test(`DescribeSmartStatisticsPageList (${mode}): times with offsets, pass rate, another app invisible`, async () => {
      const a = client('a', mode);
      const r = await a.describeSmartStatisticsPageList(
        new DescribeSmartStatisticsPageListRequest({
          startDate: '2026-11-10 00:00:00 +0800',
          endDate: '2026-11-10 23:59:59 +0800',
          serviceCode: 'cloudauthst',
          currentPage: '1',
          pageSize: '10',
        }),
      );
      assert.equal(r.body!.totalCount, 1);
      assert.equal(r.body!.totalPage, 1);
      assert.equal(r.body!.currentPage, 1);
      assert.deepEqual(
        (r.body!.items ?? []).map((i) => [i.date, i.sceneId, i.sceneName, i.totalCount, i.successCount, i.passRate]),
        [['2026-11-10', p1, 'checkout', 3, 2, '66.67']],
      );
      // The same calendar day in UTC takes in the 16:30Z session (Beijing's next day).
      const utc = await a.describeSmartStatisticsPageList(
        new DescribeSmartStatisticsPageListRequest({
          startDate: '2026-11-10T00:00:00.000Z',
          endDate: '2026-11-10T23:59:59.999Z',
        }),
      );
      assert.deepEqual(
        (utc.body!.items ?? []).map((i) => [i.date, i.sceneId, i.totalCount, i.successCount, i.passRate]),
        [['2026-11-10', p1, 4, 3, '75']],
      );
      const b = client('b', mode);
      const theirs = await b.describeSmartStatisticsPageList(
        new DescribeSmartStatisticsPageListRequest({ startDate: '2026-11-10', endDate: '2026-11-30' }),
      );
      assert.equal(theirs.body!.totalCount, 2);
      assert.deepEqual(
        (theirs.body!.items ?? []).map((i) => [i.date, i.sceneId, i.totalCount, i.successCount, i.passRate]),
        [
          ['2026-11-11', q, 1, 0, '0'],
          ['2026-11-10', q, 4, 4, '100'],
        ],
      );
    });
  }

  test('bad input answers Cloudauth codes', async () => {
    const c = client('a', 'acs3');
    const ask = async (m: Record<string, unknown>) =>
      (await c.describePageFaceVerifyData(new DescribePageFaceVerifyDataRequest(m))).body!;
    const noStart = await ask({ endDate: '2026-11-11' });
    assert.equal(noStart.code, '400');
    assert.match(noStart.message ?? '', /StartDate/);
    assert.equal((await ask({ startDate: '2026-02-30', endDate: '2026-03-01' })).code, '401');
    assert.equal((await ask({ startDate: '11/8', endDate: '2026-03-01' })).code, '401');
    assert.equal((await ask({ startDate: '2026-11-11', endDate: '2026-11-10' })).code, '401');
    assert.equal((await ask({ startDate: '2025-01-01', endDate: '2026-11-10' })).code, '401');
    assert.equal((await ask({ startDate: '2026-11-10', endDate: '2026-11-11', pageSize: 101 })).code, '401');
    assert.equal((await ask({ startDate: '2026-11-10', endDate: '2026-11-11', currentPage: 0 })).code, '401');
    assert.equal((await ask({ startDate: '2026-11-10 00:00:00 +0530', endDate: '2026-11-11' })).code, '401');
  });

  test('parseWireTime: the accepted forms', () => {
    assert.equal(parseWireTime('2026-11-10')?.at.toISOString(), '2026-11-09T16:00:00.000Z');
    assert.equal(parseWireTime('2026-11-10 23:59:59 +0800')?.at.toISOString(), '2026-11-10T15:59:59.000Z');
    assert.equal(parseWireTime('2026-11-10T01:02:03-05:00')?.offset, -300);
    assert.equal(parseWireTime('2026-13-01'), undefined);
    assert.equal(parseWireTime('yesterday'), undefined);
  });
});

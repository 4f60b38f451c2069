/**
 * An attempt limit seen through Cloudauth with the official SDK (@alicloud/cloudauth20190307) over a real port:
 * InitFaceVerify with CertName/CertNo on a scene limited to one session per ID number per hour answers the second
 * call with the gateway's throttling refusal (HTTP 429, Throttling.User, Retry-After), another ID number still works.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InitFaceVerifyRequest } from '@alicloud/cloudauth20190307';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import { createTransactor } from '../../store/repos/index.js';
import { createPlanService } from '../../verify/plans.js';
import { createSessionService } from '../../verify/sessions.js';
import { createStrategyService } from '../../verify/strategies.js';
import { openSdkTestServer, sdkClient, type CloudauthClient, type SdkTestServer } from './sdk-test-client.js';

describe('Cloudauth InitFaceVerify under an ID-number attempt limit (official SDK)', () => {
  let server: SdkTestServer;
  let core: Core;
  let client: CloudauthClient;
  let sceneId: number;

  before(async () => {
    server = await openSdkTestServer(BACKENDS[0]!);
    core = server.core;
    const key = await core.accessKeys.create({ app: 'limits-aliyun', actor: 'test' });
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    sceneId = (await plans.create(key.appId, { name: 'kyc', livenessMode: 'none', identityInput: 'preset' }, 'test'))
      .plan.id;
    const strategies = createStrategyService({
      strategies: core.repos.strategies,
      apps: core.repos.apps,
      plans: core.repos.plans,
      audit: core.repos.audit,
    });
    await strategies.create({ dimension: 'id_number', maxCount: 1, windowMinutes: 60, planId: sceneId }, 'test');
    const sessions = createSessionService({
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces: {} as never,
      publicUrl: core.config.publicUrl,
      limits: { ...core.config.sessions, maxImageBytes: core.config.engine.maxImageBytes },
      strategies,
    });
    const port = await server.listen({ plans, sessions });
    client = sdkClient(key, port, { connectTimeout: 60_000 });
  });
  after(() => server?.close());

  test('the second session of one ID number is throttled; another ID number is not', async () => {
    const init = (certNo: string) =>
      client.initFaceVerify(
        new InitFaceVerifyRequest({
          sceneId,
          productCode: 'ID_PRO',
          certName: '张三',
          certNo,
          certType: 'IDENTITY_CARD',
        }),
      );
    const first = await init('11010519491231002X');
    assert.equal(first.body?.code, '200');
    assert.ok(first.body?.resultObject?.certifyId);
    await assert.rejects(init('11010519491231002X'), (err: { code?: string; statusCode?: number; data?: unknown }) => {
      assert.equal(err.statusCode, 429, JSON.stringify(err.data));
      assert.equal(err.code, 'Throttling.User');
      return true;
    });
    const other = await init('110101199003074514');
    assert.equal(other.body?.code, '200');
  });
});

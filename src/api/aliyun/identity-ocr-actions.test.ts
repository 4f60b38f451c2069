/**
 * Id2MetaVerifyWithOCR and Id3MetaVerifyWithOCR through the official SDK's transport: the real PP-OCRv4 ID-card OCR
 * reads a card this test renders (card-synth.ts), and the name and number it reads are checked against the registry.
 * The face comparison of Id3 uses a stand-in (labels), as in identity-actions.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import * as $dara from '@darabonba/typescript';
import sharp from 'sharp';
import { BACKENDS } from '../../../test/helpers.js';
import { createIdentityChecks } from '../../verify/identity/checks.js';
import { renderFront, rng, synthPerson } from '../../verify/identity/ocr/card-synth.js';
import { createIdCardOcr, type IdCardOcr } from '../../verify/identity/ocr/index.js';
import { createRegistryService } from '../../verify/identity/registry.js';
import { createPlanService } from '../../verify/plans.js';
import { openSdkTestServer, sdkClient, type CloudauthClient, type SdkTestServer } from './sdk-test-client.js';

const jpeg = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);
const personOf = (b: Buffer) => b.subarray(3).toString().split(':')[0];

describe('Cloudauth …WithOCR Actions with the ID-card OCR', () => {
  let server: SdkTestServer;
  let ocr: IdCardOcr;
  let client: CloudauthClient;
  const known = synthPerson(rng(7));
  const unknown = synthPerson(rng(8));
  let knownCard: string;
  let unknownCard: string;

  async function call(action: string, body: Record<string, string>) {
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
    const r = await client.callApi(
      params,
      new $OpenApiUtil.OpenApiRequest({ body }),
      new $dara.RuntimeOptions({ readTimeout: 60_000, connectTimeout: 60_000 }),
    );
    return r.body as { Code: string; Message: string; ResultObject?: Record<string, string> };
  }

  before(async () => {
    server = await openSdkTestServer(BACKENDS[0]!);
    const { core } = server;
    const key = await core.accessKeys.create({ actor: 'test', app: 'shop' });
    ocr = await createIdCardOcr();
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
    await registry.put(key.appId, { name: known.name, idNumber: known.idNumber, photo: jpeg('known:ref') });
    const checks = createIdentityChecks({
      registry: registry.provider,
      settings: core.repos.settings,
      plans: core.repos.plans,
      keyring: core.keyring,
    });
    const port = await server.listen({
      plans: createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring }),
      identity: checks,
      ocr,
    });
    client = sdkClient(key, port); // an OCR read takes 1–3 s; sdkClient's read timeout is 60 s (the SDK's default 3 s)
    knownCard = (await renderFront(known, { seed: 7 })).toString('base64');
    unknownCard = (await renderFront(unknown, { seed: 8 })).toString('base64');
  });
  after(async () => {
    await server?.close();
    await ocr?.close();
  });

  test('Id2MetaVerifyWithOCR: the card of a registered person 1, of an unknown person 3, no card 419', async () => {
    assert.deepEqual((await call('Id2MetaVerifyWithOCR', { CertFile: knownCard })).ResultObject, { BizCode: '1' });
    assert.deepEqual((await call('Id2MetaVerifyWithOCR', { CertFile: unknownCard })).ResultObject, { BizCode: '3' });
    const grey = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    const none = await call('Id2MetaVerifyWithOCR', { CertFile: grey.toString('base64') });
    assert.equal(none.Code, '419', JSON.stringify(none));
    assert.equal((await call('Id2MetaVerifyWithOCR', {})).Code, '400');
    assert.equal((await call('Id2MetaVerifyWithOCR', { CertUrl: 'https://example.com/c.jpg' })).Code, '410');
  });

  test('Id3MetaVerifyWithOCR: the card plus the face compared with the registry photo', async () => {
    const same = await call('Id3MetaVerifyWithOCR', {
      CertFile: knownCard,
      FaceFile: jpeg('known:selfie').toString('base64'),
    });
    assert.deepEqual(same.ResultObject, { BizCode: '1' });
    const other = await call('Id3MetaVerifyWithOCR', {
      CertFile: knownCard,
      FaceFile: jpeg('other:selfie').toString('base64'),
    });
    assert.deepEqual(other.ResultObject, { BizCode: '2' });
    assert.equal((await call('Id3MetaVerifyWithOCR', { CertFile: knownCard })).Code, '400');
  });
});

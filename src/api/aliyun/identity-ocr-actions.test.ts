/**
 * Id2MetaVerifyWithOCR and Id3MetaVerifyWithOCR through the official SDK's transport: the real PP-OCRv4 ID-card OCR
 * reads a card this test renders (card-synth.ts), and the name and number it reads are checked against the registry.
 * The face comparison of Id3 uses a stand-in (labels), as in identity-actions.test.ts.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import cloudauth from '@alicloud/cloudauth20190307';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { Config } from '@alicloud/openapi-client';
import * as $dara from '@darabonba/typescript';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';
import { openCore, type Core } from '../../core.js';
import type { FaceService } from '../../verify/face-service.js';
import { createIdentityChecks } from '../../verify/identity/checks.js';
import { renderFront, rng, synthPerson } from '../../verify/identity/ocr/card-synth.js';
import { createIdCardOcr, type IdCardOcr } from '../../verify/identity/ocr/index.js';
import { createRegistryService } from '../../verify/identity/registry.js';
import { createPlanService } from '../../verify/plans.js';

const Client = cloudauth.default;
const jpeg = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);
const personOf = (b: Buffer) => b.subarray(3).toString().split(':')[0];

describe('Cloudauth …WithOCR Actions with the ID-card OCR', () => {
  let core: Core;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let ocr: IdCardOcr;
  let client: InstanceType<typeof Client>;
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
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig(b.env));
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
    app = await buildApp({
      core,
      logger: false,
      aliyun: {
        keys: core.accessKeys,
        nonces: core.repos.nonces,
        windowSeconds: core.config.signatureWindowSeconds,
        faces: {} as FaceService,
        plans: createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring }),
        images: { resolve: async () => Buffer.alloc(0) },
        identity: checks,
        ocr,
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    client = new Client(
      new Config({
        accessKeyId: key.accessKeyId,
        accessKeySecret: key.accessKeySecret,
        endpoint: `127.0.0.1:${(app.server.address() as AddressInfo).port}`,
        protocol: 'HTTP',
        readTimeout: 60_000, // an OCR read takes 1–3 s; the SDK's default read timeout is 3 s
      }) as ConstructorParameters<typeof Client>[0],
    );
    knownCard = (await renderFront(known, { seed: 7 })).toString('base64');
    unknownCard = (await renderFront(unknown, { seed: 8 })).toString('base64');
  });
  after(async () => {
    await app?.close();
    await ocr?.close();
    await core?.close();
    await cleanup?.();
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

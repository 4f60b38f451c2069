/**
 * The H5 `registry` comparison source: a session's identity (name + ID number) finds the registry person's photo,
 * which the captured face is compared with. Fakes for the engine: a "JPEG" is FF D8 FF + "person:n" and two images
 * match when their persons are equal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { openCore, type Core } from '../../core.js';
import type { FrameFeatures } from '../../engine/types.js';
import { isShirenError } from '../../errors.js';
import { createTransactor } from '../../store/repos/index.js';
import { createPlanService } from '../plans.js';
import { createSessionService, type FrameAnalyser, type SessionFaces } from '../sessions.js';
import { createRegistryService } from './registry.js';
import { LI, NOBODY, ZHANG } from './test-fixtures.js';

const jpeg = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);
const personOf = (b: Uint8Array) => Buffer.from(b.subarray(3)).toString().split(':')[0];
const face = { box: { x: 100, y: 100, width: 200, height: 200 }, score: 0.99, landmarks5: [] as never };

const compared: string[] = [];
const faces: SessionFaces = {
  detect: async () => ({ image: { width: 640, height: 480, rotation: 0 }, faceCount: 1, faces: [face] }) as never,
  liveness: async () => ({ liveness: { score: 0.95, models: {} }, threshold: 0.5, isLive: true }) as never,
  async compare(req) {
    compared.push(`${personOf(req.imageA as Uint8Array)}~${personOf(req.imageB as Uint8Array)}`);
    const score = personOf(req.imageA as Uint8Array) === personOf(req.imageB as Uint8Array) ? 91 : 9;
    const threshold = req.threshold ?? 70;
    return { score, similarity: 0, passed: score >= threshold, threshold } as never;
  },
};
const analyser: FrameAnalyser = {
  analyse: async (frames) =>
    frames.map((): FrameFeatures => ({
      width: 640,
      height: 480,
      faceCount: 1,
      face,
      yaw: 0,
      pitch: 0,
      roll: 0,
      leftEye: 0.3,
      rightEye: 0.3,
      mouth: 0,
      faceColour: [120, 100, 90],
      backgroundColour: [50, 50, 50],
    })),
};
const frames = (person: string) =>
  Array.from({ length: 4 }, (_, i) => ({
    t: i * 400,
    step: 'neutral',
    image: jpeg(`${person}:${i}`).toString('base64'),
  }));

describe('H5 sessions with the registry comparison source', () => {
  let core: Core;
  let cleanup: () => Promise<void>;
  let sessions: ReturnType<typeof createSessionService>;
  let appId: string;
  let presetPlan: number;
  let userPlan: number;
  const client = { ip: '203.0.113.7' };

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig(b.env));
    appId = (await core.accessKeys.ensureApp('shop')).id;
    const registry = createRegistryService({
      repo: core.repos.registry,
      keyring: core.keyring,
      blobs: core.blobs,
      maxPhotoBytes: 1 << 20,
    });
    await registry.importCsv(
      appId,
      `name,id_number,photo\n${ZHANG.name},${ZHANG.idNumber},zhang\n${LI.name},${LI.idNumber},\n`,
      { photo: async () => jpeg('zhang:ref') },
    );
    const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
    await assert.rejects(
      plans.create(appId, { livenessMode: 'none', compareSource: 'registry' }, 't'),
      (e) => isShirenError(e) && e.reason === 'invalid_request' && e.details?.field === 'identityInput',
      'the registry needs a name and ID number to find the photo',
    );
    presetPlan = (
      await plans.create(appId, { livenessMode: 'none', compareSource: 'registry', identityInput: 'preset' }, 't')
    ).plan.id;
    userPlan = (
      await plans.create(appId, { livenessMode: 'none', compareSource: 'registry', identityInput: 'user' }, 't')
    ).plan.id;
    sessions = createSessionService({
      repos: core.repos,
      transaction: createTransactor(core.store.db),
      blobs: core.blobs,
      keyring: core.keyring,
      faces,
      analyser,
      publicUrl: 'https://verify.example.com',
      limits: { ipFailureLimit: 50, ipFailureWindowSeconds: 180, maxImageBytes: 1 << 20 },
      registryPhotoKey: (a, identity) => registry.photoKey(a, identity),
    });
  });
  after(async () => {
    await core.close();
    await cleanup();
  });

  async function attempt(planId: number, identity: { name: string; idNumber: string }, person: string) {
    const s = await sessions.create(appId, { planId, identity }, 'test');
    const ch = await sessions.issueChallenge(s.token, client);
    return sessions.submitAttempt(s.token, { challengeId: ch.challengeId, frames: frames(person) }, client);
  }

  test('the registered person passes against the registry photo; someone else with that identity fails', async () => {
    const ok = await attempt(presetPlan, ZHANG, 'zhang');
    assert.deepEqual([ok.outcome, ok.code], ['passed', 'ok']);
    assert.equal(compared.at(-1), 'zhang~zhang');
    const impostor = await attempt(presetPlan, ZHANG, 'li');
    assert.equal(impostor.code, 'compare_failed');
  });

  test('no photo, unknown person or a wrong name: reference_missing before any capture', async () => {
    for (const identity of [LI, NOBODY, { name: '张四', idNumber: ZHANG.idNumber }]) {
      const s = await sessions.create(appId, { planId: presetPlan, identity }, 'test');
      await assert.rejects(
        sessions.issueChallenge(s.token, client),
        (e) => isShirenError(e) && e.reason === 'reference_missing' && /registry/.test(e.message),
      );
    }
  });

  test('identityInput user: the person enters name and number, then the registry photo is used', async () => {
    const s = await sessions.create(appId, { planId: userPlan }, 'test');
    await assert.rejects(
      sessions.issueChallenge(s.token, client),
      (e) => isShirenError(e) && e.reason === 'identity_missing',
    );
    await sessions.h5Identity(s.token, { name: ZHANG.name, idNumber: ZHANG.idNumber });
    const ch = await sessions.issueChallenge(s.token, client);
    const r = await sessions.submitAttempt(s.token, { challengeId: ch.challengeId, frames: frames('zhang') }, client);
    assert.equal(r.outcome, 'passed');
  });
});

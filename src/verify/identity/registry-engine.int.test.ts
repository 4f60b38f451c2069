/**
 * id3 (Id3MetaVerify) with the real face engine: the registry photo and the submitted photo are cut from an npm
 * package's group photo (node_modules/@vladmandic/face-api/demo/sample1.jpg). The same face, cut and scaled
 * differently, is consistent; another person's face is inconsistent with `face` mismatched; a picture without a face
 * is the engine's face_not_found.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { openCore, type Core } from '../../core.js';
import { createFaceEngine } from '../../engine/index.js';
import { isShirenError } from '../../errors.js';
import { loadEngineInBackground, type LoadingEngine } from '../engine-holder.js';
import { createFaceService } from '../face-service.js';
import { createRegistryService, type RegistryService } from './registry.js';
import { LI, ZHANG } from './test-fixtures.js';

const group = () =>
  readFileSync(new URL('../../../node_modules/@vladmandic/face-api/demo/sample1.jpg', import.meta.url));

describe('id3 with the real face engine', () => {
  let core: Core;
  let cleanup: () => Promise<void>;
  let engine: LoadingEngine;
  let registry: RegistryService;
  let appId: string;
  const cuts: Buffer[][] = [];

  before(async () => {
    const b = await BACKENDS[0]!.setup();
    cleanup = b.cleanup;
    core = await openCore(testConfig(b.env));
    appId = (await core.accessKeys.ensureApp('shop')).id;
    engine = loadEngineInBackground(true, createFaceEngine, { workers: 1, timeoutMs: 120_000 }, () => undefined);
    await engine.loaded;
    const faces = createFaceService({ engines: engine });
    const det = await faces.detect(group());
    const img = group();
    for (const f of det.faces.slice(0, 2)) {
      const variants: Buffer[] = [];
      for (const margin of [0.6, 0.35]) {
        const m = Math.max(f.box.width, f.box.height);
        const left = Math.max(0, Math.round(f.box.x - m * margin));
        const top = Math.max(0, Math.round(f.box.y - m * margin));
        const width = Math.min(det.image.width - left, Math.round(f.box.width + 2 * m * margin));
        const height = Math.min(det.image.height - top, Math.round(f.box.height + 2 * m * margin));
        let s = sharp(img).extract({ left, top, width, height });
        if (margin !== 0.6) s = s.resize({ width: Math.round(width * 1.5) });
        variants.push(await s.jpeg({ quality: margin === 0.6 ? 92 : 80 }).toBuffer());
      }
      cuts.push(variants);
    }
    registry = createRegistryService({
      repo: core.repos.registry,
      keyring: core.keyring,
      blobs: core.blobs,
      faces,
      maxPhotoBytes: 5 << 20,
    });
    await registry.put(appId, { ...ZHANG, photo: cuts[0]![0]! });
    await registry.put(appId, { ...LI, photo: cuts[1]![0]! });
  });
  after(async () => {
    await engine?.close();
    await core?.close();
    await cleanup?.();
  });

  const id3 = (who: { name: string; idNumber: string }, face: Buffer) =>
    registry.provider.check(appId, { kind: 'id3', paramType: 'normal', name: who.name, idNumber: who.idNumber, face });

  test('the same face (another cut, scaled) is consistent; the other person is inconsistent', async () => {
    const same = await id3(ZHANG, cuts[0]![1]!);
    assert.equal(same.result, 'consistent', JSON.stringify(same.face));
    assert.ok(same.face!.score >= same.face!.threshold);
    const other = await id3(ZHANG, cuts[1]![1]!);
    assert.deepEqual([other.result, other.mismatched], ['inconsistent', ['face']]);
    assert.ok(other.face!.score < other.face!.threshold, JSON.stringify(other.face));
    assert.equal((await id3(LI, cuts[1]![1]!)).result, 'consistent');
  });

  test('a picture without a face is face_not_found', async () => {
    const grey = await sharp({ create: { width: 320, height: 320, channels: 3, background: '#777' } })
      .jpeg()
      .toBuffer();
    await assert.rejects(id3(ZHANG, grey), (e) => isShirenError(e) && e.reason === 'face_not_found');
  });
});

/**
 * Engine fakes for the whitelist tests (as in src/verify/identity/registry-session.int.test.ts): a "JPEG" is
 * FF D8 FF + "person:n"; two images match when their persons are equal; a person named "spoof…" is not live.
 */
import type { FrameFeatures } from '../engine/types.js';
import type { FrameAnalyser, SessionFaces } from './sessions.js';

export const jpeg = (label: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(label)]);
const personOf = (b: unknown) =>
  Buffer.from((b as Uint8Array).subarray(3))
    .toString()
    .split(':')[0]!;
const face = { box: { x: 100, y: 100, width: 200, height: 200 }, score: 0.99, landmarks5: [] as never };

export const fakeFaces: SessionFaces = {
  detect: async () => ({ image: { width: 640, height: 480, rotation: 0 }, faceCount: 1, faces: [face] }) as never,
  liveness: async (input) =>
    ({
      liveness: { score: personOf(input).startsWith('spoof') ? 0.1 : 0.95, models: {} },
      threshold: 0.5,
      isLive: true,
    }) as never,
  async compare(req) {
    const score = personOf(req.imageA) === personOf(req.imageB) ? 91 : 9;
    const threshold = req.threshold ?? 70;
    return { score, similarity: 0, passed: score >= threshold, threshold } as never;
  },
};

export const fakeAnalyser: FrameAnalyser = {
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

/** Four frames of `person` for an attempt of a liveness-mode-none plan. */
export const framesOf = (person: string) =>
  Array.from({ length: 4 }, (_, i) => ({
    t: i * 400,
    step: 'neutral',
    image: jpeg(`${person}:${i}`).toString('base64'),
  }));

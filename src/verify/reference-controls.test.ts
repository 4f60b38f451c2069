/** Quality and liveness control of a reference photo: every check at each level, on detect results built here. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DetectResult } from '../engine/index.js';
import type { FaceQuality } from '../engine/types.js';
import { isShirenError } from '../errors.js';
import { checkCertificateNumber, CERTIFICATE_TYPES, type CertificateType } from './certificates.js';
import { applyReferenceControls, ReferenceRejected, type ControlLevel } from './reference-controls.js';

const good: FaceQuality = {
  comprehensive_score: 80,
  face_clarity: 0.85,
  brightness: 0.55,
  exposure: 0.01,
  pose_pitch: 5,
  pose_yaw: 8,
  pose_roll: 2,
  mouth_occlusion: 0.05,
  left_eye_occlusion: 0.02,
  right_eye_occlusion: 0.04,
  have_cap: 0.1,
};

function found(q: Partial<FaceQuality> | null, box = { x: 100, y: 80, width: 200, height: 240 }): DetectResult {
  return {
    image: { width: 640, height: 480, rotation: 0, format: 'jpeg' },
    faceCount: 1,
    faces: [
      {
        box,
        score: 0.99,
        landmarks5: [
          [150, 170],
          [250, 170],
          [200, 220],
          [160, 260],
          [240, 260],
        ],
        ...(q ? { quality: { ...good, ...q } } : {}),
      },
    ],
  } as DetectResult;
}

let livenessCalls = 0;
const faces = (score: number) => ({
  async liveness() {
    livenessCalls++;
    return { liveness: { score } };
  },
});

async function rejection(
  q: Partial<FaceQuality> | null,
  quality: ControlLevel,
  opts: { liveness?: ControlLevel; score?: number; box?: { x: number; y: number; width: number; height: number } } = {},
): Promise<string | undefined> {
  try {
    await applyReferenceControls(faces(opts.score ?? 0.9), new Uint8Array(), found(q, opts.box), {
      quality,
      liveness: opts.liveness ?? 'none',
    });
    return undefined;
  } catch (err) {
    if (err instanceof ReferenceRejected) return `${err.control}:${err.check}`;
    if (isShirenError(err)) return err.reason;
    throw err;
  }
}

describe('reference controls', () => {
  test('a good photo passes every level; none checks nothing', async () => {
    for (const level of ['none', 'low', 'normal', 'high'] as const) assert.equal(await rejection({}, level), undefined);
    assert.equal(await rejection({ face_clarity: 0 }, 'none'), undefined);
  });

  test('each quality check refuses at the levels whose limit it exceeds', async () => {
    const cases: [Partial<FaceQuality>, string, ControlLevel[]][] = [
      [{ face_clarity: 0.3 }, 'quality:clarity', ['normal', 'high']],
      [{ face_clarity: 0.1 }, 'quality:clarity', ['low', 'normal', 'high']],
      [{ brightness: 0.15 }, 'quality:brightness', ['normal', 'high']],
      [{ brightness: 0.97 }, 'quality:brightness', ['low', 'normal', 'high']],
      [{ exposure: 0.2 }, 'quality:exposure', ['high']],
      [{ mouth_occlusion: 0.8 }, 'quality:occlusion', ['normal', 'high']],
      [{ right_eye_occlusion: 0.7 }, 'quality:occlusion', ['high']],
      [{ pose_yaw: -30 }, 'quality:pose', ['high']],
      [{ pose_pitch: 50 }, 'quality:pose', ['normal', 'high']],
    ];
    for (const [q, check, failing] of cases)
      for (const level of ['low', 'normal', 'high'] as const)
        assert.equal(
          await rejection(q, level),
          failing.includes(level) ? check : undefined,
          `${JSON.stringify(q)} at ${level}`,
        );
  });

  test('completeness (normal and high), resolution, a missing quality model', async () => {
    const outside = { x: -20, y: 80, width: 200, height: 240 };
    assert.equal(await rejection({}, 'low', { box: outside }), undefined);
    assert.equal(await rejection({}, 'normal', { box: outside }), 'quality:completeness');
    const big = async (maxResolution: [number, number]) =>
      applyReferenceControls(faces(0.9), new Uint8Array(), found({}), { maxResolution }).then(
        () => 'ok',
        (e: unknown) => (e instanceof ReferenceRejected ? e.check : String(e)),
      );
    assert.equal(await big([640, 480]), 'ok');
    assert.equal(await big([600, 480]), 'resolution');
    assert.equal(await big([640, 400]), 'resolution');
    assert.equal(await rejection(null, 'low'), 'not_supported');
  });

  test('liveness control: the score against 0.3 / 0.5 / 0.7, one engine call, none at level none', async () => {
    const before = livenessCalls;
    assert.equal(await rejection({}, 'none', { liveness: 'none', score: 0 }), undefined);
    assert.equal(livenessCalls, before);
    for (const [score, failing] of [
      [0.25, ['low', 'normal', 'high']],
      [0.4, ['normal', 'high']],
      [0.6, ['high']],
      [0.7, []],
    ] as const)
      for (const level of ['low', 'normal', 'high'] as const)
        assert.equal(
          await rejection({}, 'none', { liveness: level, score }),
          (failing as readonly string[]).includes(level) ? 'liveness:liveness' : undefined,
          `${score} at ${level}`,
        );
    assert.equal(livenessCalls, before + 12);
  });
});

describe('certificate numbers', () => {
  const valid: Record<CertificateType, string[]> = {
    0: ['110101199003074514', '11010519491231002X'],
    1: ['H12345678', 'M1234567890', '12345678', '1234567890'],
    2: ['ABC123456789012', '911101199003074514'],
    3: ['E12345678', 'G12345678', 'EA1234567'],
    4: ['810000199408230021'],
    5: ['H12345678', 'M1234567890'],
  };
  test('each type accepts its formats and refuses the others’ (with the field named)', () => {
    const all = Object.values(valid).flat();
    for (const t of [0, 1, 2, 3, 4, 5] as CertificateType[]) {
      for (const n of valid[t]) assert.doesNotThrow(() => checkCertificateNumber(t, n), `${t} ${n}`);
      for (const n of all.filter((x) => !valid[t].includes(x) && !CERTIFICATE_TYPES[t].test(x)))
        assert.throws(
          () => checkCertificateNumber(t, n),
          (e: unknown) => isShirenError(e) && e.reason === 'invalid_request' && e.details?.field === 'idNumber',
          `${t} ${n}`,
        );
    }
    // type 0 and type 4 are told apart by the region code; a wrong check digit is refused
    assert.throws(() => checkCertificateNumber(0, '810000199408230021'));
    assert.throws(() => checkCertificateNumber(4, '110101199003074514'));
    assert.throws(() => checkCertificateNumber(0, '110101199003074515'));
    assert.throws(() => checkCertificateNumber(3, 'E1234567'));
  });
});

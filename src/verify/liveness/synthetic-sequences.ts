/**
 * Frame sequences built from REAL detected faces for the verifier's tests and measurements: a demo photo's face is
 * cut out as a selfie frame, deformed (eyes closed, mouth open, head turned, screen-coloured light) with
 * src/engine/frame-synth.ts, and every variant goes through the real frame analyser. Only the nod is made at the
 * feature level (pitch shifted), because fr_pose does not follow a 2-D nod warp (docs/liveness-challenges.md).
 */
import { readFileSync } from 'node:fs';
import type { FrameAnalyser, FrameMeasurement } from '../../engine/frame-analysis.js';
import { addNoise, closeEyes, openMouth, screenLight, selfieFrame, turnHead } from '../../engine/frame-synth.js';
import type { FacePipeline } from '../../engine/pipeline.js';
import type { RgbImage } from '../../engine/types.js';
import { LEAD_MS, type Action, type ChallengeSpec } from './challenge.js';
import type { LivenessFrame } from './verify.js';

export const demoPhoto = (n: number): Uint8Array =>
  readFileSync(new URL(`../../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url));

export interface PersonFrames {
  frame: RgbImage;
  /** Neutral frames (the original plus sensor-noise variants: natural frame-to-frame jitter). */
  neutral: FrameMeasurement[];
  closed: FrameMeasurement;
  mouth: FrameMeasurement;
  left: FrameMeasurement;
  right: FrameMeasurement;
  /** Feature-level nod: a neutral frame with the pitch lowered by 20°. */
  nod: FrameMeasurement;
}

/** Analyses one demo face and its deformations. */
export async function personFrames(
  pipeline: FacePipeline,
  analyser: FrameAnalyser,
  sample: number,
  face: number,
): Promise<PersonFrames> {
  const photo = await pipeline.locate(demoPhoto(sample));
  const frame = await selfieFrame(photo.rgb, photo.faces[face]!);
  const base = await analyser.analyse(frame);
  const f = base.face!;
  const p = f.landmarks68!;
  const cx = f.box.x + f.box.width / 2;
  const neutral = [base];
  for (const seed of [11, 12, 13]) neutral.push(await analyser.analyse(addNoise(frame, 4, seed)));
  return {
    frame,
    neutral,
    closed: await analyser.analyse(closeEyes(frame, p, 0.2)),
    mouth: await analyser.analyse(openMouth(frame, p, 0.5)),
    left: await analyser.analyse(turnHead(frame, cx, f.box.width * 0.6, 35)),
    right: await analyser.analyse(turnHead(frame, cx, f.box.width * 0.6, -35)),
    nod: { ...neutral[1]!, pitch: neutral[1]!.pitch - 20 },
  };
}

export function actionFeatures(person: PersonFrames, action: Action): FrameMeasurement {
  switch (action) {
    case 'blink':
      return person.closed;
    case 'mouth':
      return person.mouth;
    case 'turn_left':
      return person.left;
    case 'turn_right':
      return person.right;
    case 'nod':
      return person.nod;
  }
}

/**
 * Frames of a person doing `performed` (by default the issued actions): two neutral frames in the lead-in, then
 * per step a neutral frame, the action at 40 % and 55 % of the step and a neutral frame at 80 %; a last neutral
 * frame after the final step. `delayMs` shifts every action (late reactions).
 */
export function actionSequence(
  spec: ChallengeSpec,
  person: PersonFrames,
  performed: readonly Action[] = spec.actions,
  delayMs = 0,
): LivenessFrame[] {
  let n = 0;
  const neutral = () => person.neutral[n++ % person.neutral.length]!;
  const frames: LivenessFrame[] = [
    { t: 100, step: 'neutral', features: neutral() },
    { t: 600, step: 'neutral', features: neutral() },
  ];
  performed.forEach((action, k) => {
    const start = LEAD_MS + k * spec.stepMs + delayMs;
    const label = spec.actions[k] ?? 'neutral';
    frames.push({ t: start + 0.1 * spec.stepMs, step: label, features: neutral() });
    frames.push({ t: start + 0.4 * spec.stepMs, step: label, features: actionFeatures(person, action) });
    frames.push({ t: start + 0.55 * spec.stepMs, step: label, features: actionFeatures(person, action) });
    frames.push({ t: start + 0.8 * spec.stepMs, step: label, features: neutral() });
  });
  frames.push({
    t: LEAD_MS + performed.length * spec.stepMs + delayMs + 0.3 * spec.stepMs,
    step: 'neutral',
    features: neutral(),
  });
  return frames;
}

const hex = (c: string): [number, number, number] => [
  parseInt(c.slice(1, 3), 16),
  parseInt(c.slice(3, 5), 16),
  parseInt(c.slice(5, 7), 16),
];

/**
 * Flash frames of a real face: two neutral lead-in frames, then two frames in the second half of each colour slot.
 * `light(j)` is the screen colour lighting the face in slot j (undefined = the screen does not reach the face: a
 * replayed still). The light falls off from the face towards the frame border; the camera's exposure varies ±4 %
 * and every frame gets sensor noise. `wholeFrame` tints the whole frame uniformly instead (an injected video).
 */
export async function flashSequence(
  analyser: FrameAnalyser,
  person: PersonFrames,
  spec: ChallengeSpec,
  light: (j: number) => string | undefined,
  opts: { strength?: number; wholeFrame?: boolean } = {},
): Promise<LivenessFrame[]> {
  const { frame } = person;
  const f = person.neutral[0]!.face!;
  const cx = f.box.x + f.box.width / 2;
  const cy = f.box.y + f.box.height / 2;
  const r = Math.max(f.box.width, f.box.height);
  const weight = opts.wholeFrame
    ? () => 1
    : (x: number, y: number) => {
        const d = Math.hypot(x - cx, y - cy) / r;
        return d < 0.7 ? 1 : Math.max(0.1, 1 - (d - 0.7));
      };
  const strength = opts.strength ?? 0.3;
  let seed = 100;
  const gain = () => 0.96 + ((seed * 7919) % 80) / 1000;
  const frames: LivenessFrame[] = [];
  for (const t of [200, 600]) {
    frames.push({ t, step: 'neutral', features: await analyser.analyse(addNoise(frame, 4, seed++)) });
  }
  for (let j = 0; j < spec.colours.length; j++) {
    const colour = light(j);
    for (const at of [0.6, 0.85]) {
      const lit = colour
        ? screenLight(frame, hex(colour), strength, weight, gain())
        : screenLight(frame, [0, 0, 0], 0, weight, gain());
      frames.push({
        t: LEAD_MS + (j + at) * spec.colourMs,
        step: `flash:${spec.colours[j]}`,
        features: await analyser.analyse(addNoise(lit, 4, seed++)),
      });
    }
  }
  return frames;
}

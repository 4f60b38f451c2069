/**
 * Server-side verification of a liveness challenge from the features of the uploaded frames
 * (src/engine/frame-analysis.ts). Nothing the client says is trusted for the decision: `step` labels are kept for
 * diagnostics only, frames are ordered by `t`, and every threshold comes from the measurements in
 * docs/liveness-challenges.md (`node --import tsx src/verify/liveness/eval-frames.ts`).
 *
 * Checks, in order: structure (4–40 frames, finite distinct t) → expiry (challenge_invalid) → timing
 * (liveness_timeout) → faces present (face_not_found) → one face (multiple_faces) → the same face throughout
 * (face_changed) → the mode's own check (actions, flash colours, natural variation).
 */
import { ShirenError } from '../../errors.js';
import { cosineSimilarity } from '../../engine/recogniser.js';
import type { FaceQuality, FrameFeatures, Point } from '../../engine/types.js';
import { LEAD_MS, type Action, type ChallengeSpec } from './challenge.js';

/** Codes of a failed liveness check (a subset of the attempt codes in docs/sessions.md). */
export type LivenessCode =
  | 'liveness_action_missing'
  | 'liveness_action_order'
  | 'liveness_timeout'
  | 'liveness_flash_mismatch'
  | 'liveness_passive_failed'
  | 'face_not_found'
  | 'multiple_faces'
  | 'face_changed'
  | 'challenge_invalid';

/** Frame features as measured by the engine; `quality` (fr_eye, clarity) is used when present. */
export type FrameInput = FrameFeatures & { quality?: FaceQuality };

export interface LivenessFrame {
  /** Client milliseconds since the challenge was shown. */
  t: number;
  /** What the page was asking for (diagnostics only). */
  step: string;
  features: FrameInput;
}

export interface ActionThresholds {
  /** Minimum embedding cosine of every face frame to the best frame (same person). */
  sameFace: number;
  /** Blink: mean eye aspect ratio at or below this share of the baseline counts as closed. */
  blinkEarRatio: number;
  /** Blink: fr_eye "not open" probability (both eyes) at or above this counts as closed… */
  blinkClosedProb: number;
  /** …when the baseline probability is at most this (fr_eye reads the person's open eyes as open). */
  openEyeProb: number;
  /** Blink recovery: EAR back to at least this share of the baseline. */
  eyeRecoverRatio: number;
  /** Mouth: opening above the baseline by at least this (inner-lip gap / mouth width). */
  mouthRise: number;
  /** Turn: yaw beyond the baseline by at least this many degrees. */
  turnDegrees: number;
  /** Nod: pitch below the baseline by at least this many degrees. */
  nodDegrees: number;
  /** An excursion has ended ("back toward neutral") once it is below this share of its threshold. */
  returnShare: number;
  /** An action's event may peak this share of stepMs after its step ended (slow reactions). */
  stepGraceShare: number;
  /** …and this many ms before its step began (display latency). */
  earlyToleranceMs: number;
  /** Frame times may exceed the server-measured issue→receive time by this much. */
  clockSlackMs: number;
  /** Share of frames that must contain a face. */
  minFaceShare: number;
  /** Flash: minimum cosine between the face's colour changes and the issued colour changes. */
  flashMinCorrelation: number;
  /** Flash: at most this share of the other colour orders may fit the response as well. */
  flashMaxPermutationShare: number;
  /** Flash: minimum median size of the face's tint change between colours (log-ratio units, ≈ relative change). */
  flashMinResponse: number;
  /** Silent: the landmarks must move at least this much (mean displacement / inter-ocular distance). */
  silentMinMotion: number;
}

/** Defaults; docs/liveness-challenges.md gives the measurement behind each. */
export const DEFAULT_THRESHOLDS: Readonly<ActionThresholds> = Object.freeze({
  sameFace: 0.5,
  blinkEarRatio: 0.78,
  blinkClosedProb: 0.9,
  openEyeProb: 0.5,
  eyeRecoverRatio: 0.9,
  mouthRise: 0.15,
  turnDegrees: 12,
  nodDegrees: 10,
  returnShare: 0.5,
  stepGraceShare: 0.5,
  earlyToleranceMs: 250,
  clockSlackMs: 1000,
  minFaceShare: 0.5,
  flashMinCorrelation: 0.5,
  flashMaxPermutationShare: 0.2,
  flashMinResponse: 0.008,
  silentMinMotion: 0.04,
});

export const MIN_FRAMES = 4;
export const MAX_FRAMES = 40;

export interface DetectedEvent {
  action: Action;
  /** Client times (ms) of the first frame of the excursion, its extreme frame, and the frame it ended on. */
  start: number;
  peak: number;
  end: number;
}

export interface VerifyDetails {
  frames: number;
  faceFrames: number;
  /** Labels the client sent, by frame (diagnostics only, never used for the decision). */
  steps: string[];
  baseline?: { yaw: number; pitch: number; eye: number; mouth: number; eyeClosedProb?: number };
  minSameFace?: number;
  events?: DetectedEvent[];
  matched?: (DetectedEvent | null)[];
  flash?: { correlation: number; permutationShare: number; response: number; slots: number };
  motion?: number;
}

export interface VerifyResult {
  passed: boolean;
  code?: LivenessCode;
  message: string;
  /** Index (in the submitted array) of the frame to use for comparison and passive liveness; −1 without a face. */
  bestFrameIndex: number;
  details: VerifyDetails;
}

export interface VerifyOptions {
  /** Server time the upload arrived. */
  receivedAt: Date;
  thresholds?: Partial<ActionThresholds>;
}

export interface OrderedFrame {
  index: number;
  t: number;
  f: FrameInput;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const eyeOpenness = (f: FrameInput) => (f.leftEye + f.rightEye) / 2;
const closedProb = (f: FrameInput): number | undefined =>
  f.quality ? Math.min(f.quality.left_eye_occlusion, f.quality.right_eye_occlusion) : undefined;
const openProbMax = (f: FrameInput): number | undefined =>
  f.quality ? Math.max(f.quality.left_eye_occlusion, f.quality.right_eye_occlusion) : undefined;

export function verifyChallenge(
  spec: ChallengeSpec,
  frames: readonly LivenessFrame[],
  opts: VerifyOptions,
): VerifyResult {
  const th: ActionThresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  if (!Array.isArray(frames) || frames.length < MIN_FRAMES || frames.length > MAX_FRAMES) {
    throw new ShirenError('invalid_request', `An attempt needs ${MIN_FRAMES}–${MAX_FRAMES} frames.`);
  }
  for (const fr of frames) {
    if (typeof fr.t !== 'number' || !Number.isFinite(fr.t) || !fr.features) {
      throw new ShirenError('invalid_request', 'Every frame needs a finite time t and its features.');
    }
  }
  const ordered: OrderedFrame[] = frames
    .map((fr, index) => ({ index, t: fr.t, f: fr.features }))
    .sort((a, b) => a.t - b.t);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.t <= ordered[i - 1]!.t) {
      throw new ShirenError('invalid_request', 'Frame times must be strictly increasing (no two frames at one t).');
    }
  }
  const details: VerifyDetails = {
    frames: frames.length,
    faceFrames: 0,
    steps: frames.map((f) => String(f.step).slice(0, 32)),
  };
  const fail = (code: LivenessCode, message: string, bestFrameIndex = -1): VerifyResult => ({
    passed: false,
    code,
    message,
    bestFrameIndex,
    details,
  });

  // Time: the server's own clock bounds what the client may claim.
  const issuedAt = Date.parse(spec.issuedAt);
  const expiresAt = Date.parse(spec.expiresAt);
  const received = opts.receivedAt.getTime();
  if (!Number.isFinite(issuedAt) || !Number.isFinite(expiresAt) || received > expiresAt || received < issuedAt) {
    return fail('challenge_invalid', 'The challenge has expired or was not issued before this upload.');
  }
  const first = ordered[0]!.t;
  const last = ordered[ordered.length - 1]!.t;
  if (first < 0 || last > spec.maxDurationMs) {
    return fail(
      'liveness_timeout',
      `The frames span ${first}–${last} ms; the challenge allows 0–${spec.maxDurationMs} ms.`,
    );
  }
  if (last > received - issuedAt + th.clockSlackMs) {
    return fail('liveness_timeout', 'The frames claim more time than passed between the challenge and the upload.');
  }

  // Faces.
  const faceFrames = ordered.filter((fr) => fr.f.faceCount > 0 && fr.f.face);
  details.faceFrames = faceFrames.length;
  if (faceFrames.length < 3 || faceFrames.length < th.minFaceShare * ordered.length) {
    return fail('face_not_found', `A face was found in ${faceFrames.length} of ${ordered.length} frames.`);
  }
  const crowded = faceFrames.filter((fr) => fr.f.faceCount > 1).length;
  if (crowded >= Math.max(2, 0.2 * faceFrames.length)) {
    return fail('multiple_faces', `More than one face was found in ${crowded} frames.`);
  }

  const baseline = {
    yaw: median(faceFrames.map((fr) => fr.f.yaw)),
    pitch: median(faceFrames.map((fr) => fr.f.pitch)),
    eye: median(faceFrames.map((fr) => eyeOpenness(fr.f))),
    mouth: median(faceFrames.map((fr) => fr.f.mouth)),
    eyeClosedProb: faceFrames.every((fr) => fr.f.quality)
      ? median(faceFrames.map((fr) => openProbMax(fr.f)!))
      : undefined,
  };
  details.baseline = baseline;
  const best = chooseBestFrame(faceFrames, baseline);
  const bestFrameIndex = best.index;

  // Same face: every face frame against the best frame.
  const ref = best.f.embedding;
  if (ref) {
    let min = 1;
    for (const fr of faceFrames) {
      if (!fr.f.embedding) continue;
      min = Math.min(min, cosineSimilarity(ref, fr.f.embedding));
    }
    details.minSameFace = Math.round(min * 1000) / 1000;
    if (min < th.sameFace) {
      return fail('face_changed', 'The face changed during the capture.', bestFrameIndex);
    }
  }

  const pass = (message: string): VerifyResult => ({ passed: true, message, bestFrameIndex, details });
  switch (spec.mode) {
    case 'action': {
      const r = checkActions(spec, faceFrames, baseline, th, details);
      return r ? fail(r.code, r.message, bestFrameIndex) : pass('All actions were performed in order.');
    }
    case 'flash': {
      const r = checkFlash(spec, faceFrames, th, details);
      return r ? fail(r.code, r.message, bestFrameIndex) : pass('The face reflected the screen colours.');
    }
    case 'silent': {
      const motion = landmarkMotion(faceFrames);
      details.motion = Math.round(motion * 10000) / 10000;
      if (motion < th.silentMinMotion) {
        return fail('liveness_passive_failed', 'The frames show no natural movement (a still image).', bestFrameIndex);
      }
      return pass('One face with natural movement.');
    }
    default:
      return pass('One face throughout.');
  }
}

/** Frontal (yaw near 0, pitch near the person's baseline), eyes open, mouth as usual, sharp, large. */
function chooseBestFrame(
  faceFrames: OrderedFrame[],
  baseline: { pitch: number; eye: number; mouth: number },
): OrderedFrame {
  let best = faceFrames[0]!;
  let bestScore = -Infinity;
  for (const fr of faceFrames) {
    const f = fr.f;
    const pose = Math.max(0, 1 - Math.abs(f.yaw) / 45) * Math.max(0, 1 - Math.abs(f.pitch - baseline.pitch) / 45);
    const eyes =
      openProbMax(f) !== undefined
        ? 1 - openProbMax(f)! * 0.5
        : Math.min(1, baseline.eye > 0 ? eyeOpenness(f) / baseline.eye : 1);
    const clarity = f.quality?.face_clarity ?? 1;
    const size = f.face ? Math.min(1, Math.sqrt(Math.min(f.face.box.width, f.face.box.height) / 200)) : 0;
    const single = f.faceCount === 1 ? 1 : 0.5;
    const neutralMouth = Math.max(0, 1 - Math.max(0, f.mouth - baseline.mouth) / 0.3);
    const score = (0.1 + pose) * (0.1 + eyes) * (0.1 + clarity) * (0.1 + size) * (0.1 + neutralMouth) * single;
    if (score > bestScore) {
      bestScore = score;
      best = fr;
    }
  }
  return best;
}

interface Baseline {
  yaw: number;
  pitch: number;
  eye: number;
  mouth: number;
  eyeClosedProb?: number | undefined;
}

/**
 * Excursions of one kind: a run of frames where `on` holds, preceded by a frame where `off` holds (the person was
 * neutral) and followed by one (back toward neutral). `extent` ranks the frames of a run to find its peak.
 */
function excursions(
  frames: OrderedFrame[],
  action: Action,
  on: (f: FrameInput) => boolean,
  off: (f: FrameInput) => boolean,
  extent: (f: FrameInput) => number,
): DetectedEvent[] {
  const events: DetectedEvent[] = [];
  let sawNeutral = false;
  let run: { start: number; peak: number; peakExtent: number } | undefined;
  for (const fr of frames) {
    if (on(fr.f)) {
      if (!sawNeutral) continue;
      const e = extent(fr.f);
      if (!run) run = { start: fr.t, peak: fr.t, peakExtent: e };
      else if (e > run.peakExtent) {
        run.peak = fr.t;
        run.peakExtent = e;
      }
    } else if (off(fr.f)) {
      if (run) events.push({ action, start: run.start, peak: run.peak, end: fr.t });
      run = undefined;
      sawNeutral = true;
    }
  }
  return events;
}

export function detectEvents(frames: OrderedFrame[], baseline: Baseline, th: ActionThresholds): DetectedEvent[] {
  const useProb = baseline.eyeClosedProb !== undefined && baseline.eyeClosedProb <= th.openEyeProb;
  const earShare = (f: FrameInput) => (baseline.eye > 0 ? eyeOpenness(f) / baseline.eye : 1);
  const blink = excursions(
    frames,
    'blink',
    (f) => earShare(f) <= th.blinkEarRatio || (useProb && (closedProb(f) ?? 0) >= th.blinkClosedProb),
    (f) => earShare(f) >= th.eyeRecoverRatio || (useProb && (openProbMax(f) ?? 1) <= th.openEyeProb),
    (f) => 1 - earShare(f) + (useProb ? (closedProb(f) ?? 0) : 0),
  );
  const mouth = excursions(
    frames,
    'mouth',
    (f) => f.mouth - baseline.mouth >= th.mouthRise,
    (f) => f.mouth - baseline.mouth <= th.mouthRise * th.returnShare,
    (f) => f.mouth,
  );
  const left = excursions(
    frames,
    'turn_left',
    (f) => f.yaw - baseline.yaw >= th.turnDegrees,
    (f) => f.yaw - baseline.yaw <= th.turnDegrees * th.returnShare,
    (f) => f.yaw,
  );
  const right = excursions(
    frames,
    'turn_right',
    (f) => f.yaw - baseline.yaw <= -th.turnDegrees,
    (f) => f.yaw - baseline.yaw >= -th.turnDegrees * th.returnShare,
    (f) => -f.yaw,
  );
  const nod = excursions(
    frames,
    'nod',
    (f) => f.pitch - baseline.pitch <= -th.nodDegrees,
    (f) => f.pitch - baseline.pitch >= -th.nodDegrees * th.returnShare,
    (f) => -f.pitch,
  );
  return [...blink, ...mouth, ...left, ...right, ...nod].sort((a, b) => a.peak - b.peak);
}

function checkActions(
  spec: ChallengeSpec,
  faceFrames: OrderedFrame[],
  baseline: Baseline,
  th: ActionThresholds,
  details: VerifyDetails,
): { code: LivenessCode; message: string } | undefined {
  const events = detectEvents(faceFrames, baseline, th);
  details.events = events;
  const ofType = (a: Action) => events.filter((e) => e.action === a);
  for (const a of spec.actions) {
    if (ofType(a).length === 0) return { code: 'liveness_action_missing', message: `The action ${a} was not seen.` };
  }
  // Order, ignoring time windows: each action's event must come after the previous action's event.
  let prev = -Infinity;
  for (const a of spec.actions) {
    const e = ofType(a).find((x) => x.peak > prev);
    if (!e) return { code: 'liveness_action_order', message: `The action ${a} was not done in the order asked.` };
    prev = e.peak;
  }
  // Time windows: action k is prompted during [LEAD + k·step, LEAD + (k+1)·step).
  const matched: (DetectedEvent | null)[] = [];
  details.matched = matched;
  prev = -Infinity;
  for (let k = 0; k < spec.actions.length; k++) {
    const a = spec.actions[k]!;
    const opens = LEAD_MS + k * spec.stepMs - th.earlyToleranceMs;
    const closes = LEAD_MS + (k + 1) * spec.stepMs + th.stepGraceShare * spec.stepMs;
    const e = ofType(a).find((x) => x.peak > prev && x.peak >= opens);
    if (!e) {
      matched.push(null);
      return { code: 'liveness_action_order', message: `The action ${a} was done before it was asked.` };
    }
    matched.push(e);
    if (e.peak > closes) {
      return { code: 'liveness_timeout', message: `The action ${a} was done too late.` };
    }
    prev = e.peak;
  }
  return undefined;
}

/** Centres a 3-vector (removes what all channels share: overall brightness). */
function centred(v: readonly number[]): [number, number, number] {
  const m = (v[0]! + v[1]! + v[2]!) / 3;
  return [v[0]! - m, v[1]! - m, v[2]! - m];
}

/**
 * Colour of the face relative to the frame border: per channel log(face) − log(border), centred. A camera's white
 * balance and exposure act as per-channel gains on the whole frame and cancel out; light that reaches the face more
 * than the background (a screen 30 cm away) does not.
 */
function faceTint(f: FrameInput): [number, number, number] {
  return centred([0, 1, 2].map((c) => Math.log(f.faceColour[c]! + 1) - Math.log(f.backgroundColour[c]! + 1)));
}

function hexColour(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new ShirenError('invalid_request', `Invalid colour ${hex}.`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

function cosine(a: number[], b: number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  const out: T[][] = [];
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

/** Differences between consecutive colour slots, stacked (3 values per change). */
function stackedChanges(slots: [number, number, number][]): number[] {
  const out: number[] = [];
  for (let j = 1; j < slots.length; j++) for (let c = 0; c < 3; c++) out.push(slots[j]![c]! - slots[j - 1]![c]!);
  return out;
}

/**
 * Flash: the face's colour, relative to the frame border (which cancels global white-balance and exposure
 * changes, and a whole-frame tint applied to a replayed video), must change between colour slots the way the issued
 * colours change — better than almost every other order of the same colours would explain it.
 */
export function checkFlash(
  spec: ChallengeSpec,
  faceFrames: OrderedFrame[],
  th: ActionThresholds,
  details: VerifyDetails,
): { code: LivenessCode; message: string } | undefined {
  const colours = spec.colours.map(hexColour);
  const slots: [number, number, number][] = [];
  for (let j = 0; j < colours.length; j++) {
    // The face needs time to light up (screen refresh, camera latency): use the last 60 % of each slot.
    const from = LEAD_MS + j * spec.colourMs + 0.4 * spec.colourMs;
    const to = LEAD_MS + (j + 1) * spec.colourMs;
    const inSlot = faceFrames.filter((fr) => fr.t >= from && fr.t < to);
    if (inSlot.length === 0) {
      return {
        code: 'liveness_flash_mismatch',
        message: `No face frame was captured while colour ${j + 1} was shown.`,
      };
    }
    const rel = inSlot.map((fr) => faceTint(fr.f));
    slots.push([median(rel.map((r) => r[0])), median(rel.map((r) => r[1])), median(rel.map((r) => r[2]))]);
  }
  const response = stackedChanges(slots);
  const sizes: number[] = [];
  for (let i = 0; i < response.length; i += 3) sizes.push(Math.hypot(response[i]!, response[i + 1]!, response[i + 2]!));
  const size = median(sizes);
  // To first order a screen colour s adds k·s/255 to log(face): the expected change is the centred colour change.
  const screen = (order: [number, number, number][]) =>
    stackedChanges(order.map((c) => centred(c.map((v) => v / 255))));
  const correlation = cosine(response, screen(colours));
  const others = permutations(colours.map((_, i) => i))
    .slice(1) // the first permutation is the issued order
    .map((p) => cosine(response, screen(p.map((i) => colours[i]!))));
  const share = others.filter((c) => c >= correlation).length / Math.max(1, others.length);
  details.flash = {
    correlation: Math.round(correlation * 1000) / 1000,
    permutationShare: Math.round(share * 1000) / 1000,
    response: Math.round(size * 10000) / 10000,
    slots: slots.length,
  };
  if (size < th.flashMinResponse) {
    return { code: 'liveness_flash_mismatch', message: 'The face did not react to the screen colours.' };
  }
  if (correlation < th.flashMinCorrelation || share > th.flashMaxPermutationShare) {
    return { code: 'liveness_flash_mismatch', message: 'The face colour did not follow the screen colours.' };
  }
  return undefined;
}

/** Largest mean landmark displacement from the first face frame, over the inter-ocular distance. */
export function landmarkMotion(faceFrames: OrderedFrame[]): number {
  const ref = faceFrames[0]!.f.face!;
  const pts = (f: FrameInput): Point[] => f.face!.landmarks68 ?? f.face!.landmarks5;
  const [a, b] = ref.landmarks5;
  const iod = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
  const p0 = pts(faceFrames[0]!.f);
  let max = 0;
  for (const fr of faceFrames.slice(1)) {
    const p = pts(fr.f);
    if (p.length !== p0.length) continue;
    let s = 0;
    for (let i = 0; i < p.length; i++) s += Math.hypot(p[i]![0] - p0[i]![0], p[i]![1] - p0[i]![1]);
    max = Math.max(max, s / p.length / iod);
  }
  return max;
}

/**
 * Liveness challenge generation: a single-use nonce plus what the H5 page must ask for (actions in a random order,
 * or a random sequence of screen colours) and the time line the frames are judged against (docs/liveness-challenges.md
 * has the time line; docs/sessions.md the wire format).
 */
import { randomBytes as nodeRandomBytes, randomInt as nodeRandomInt } from 'node:crypto';
import { ShirenError } from '../../errors.js';

export const ACTIONS = ['blink', 'mouth', 'turn_left', 'turn_right', 'nod'] as const;
export type Action = (typeof ACTIONS)[number];

export const LIVENESS_MODES = ['silent', 'action', 'flash', 'none'] as const;
export type LivenessMode = (typeof LIVENESS_MODES)[number];

/** Screen colours of a flash challenge: far apart in chromaticity, so each change tints the face differently. */
export const FLASH_COLOURS = ['#FF0000', '#00FF00', '#0000FF', '#FFFF00', '#FF00FF', '#00FFFF', '#FFFFFF'] as const;

/** Neutral lead-in before the first action or colour: the person looks at the camera (baseline frames). */
export const LEAD_MS = 1000;
/** Time each action is prompted for. */
export const ACTION_STEP_MS = 3000;
/** Time each flash colour is shown. */
export const FLASH_COLOUR_MS = 800;
/** Capture window of a silent (or no-liveness) challenge. */
export const SILENT_DURATION_MS = 6000;
/** Time allowed after the capture window for the upload to arrive (slow networks, camera start-up). */
export const UPLOAD_ALLOWANCE_MS = 60_000;

export interface ChallengePlan {
  mode: LivenessMode;
  /** Actions per challenge (1–4; used by the action mode). */
  actionCount: number;
  /** Actions to draw from (action mode). */
  actionPool: readonly Action[];
}

export interface ChallengeSpec {
  /** The nonce: 32 random bytes, base64url. */
  id: string;
  mode: LivenessMode;
  /** Action mode: what to do, in this order; action k is prompted from LEAD_MS + k·stepMs for stepMs. */
  actions: Action[];
  /** Flash mode: `#RRGGBB` colours in this order; colour j is shown from LEAD_MS + j·colourMs for colourMs. */
  colours: string[];
  stepMs: number;
  colourMs: number;
  /** Frames must have 0 ≤ t ≤ maxDurationMs (ms since the challenge was shown). */
  maxDurationMs: number;
  /** ISO 8601, server clock. */
  issuedAt: string;
  /** ISO 8601: uploads received later are rejected (challenge_invalid). */
  expiresAt: string;
}

/** Randomness source (node:crypto by default; tests pass a seeded one). */
export interface ChallengeRng {
  randomBytes(size: number): Uint8Array;
  /** Uniform integer in [0, max). */
  randomInt(max: number): number;
}

export const cryptoRng: ChallengeRng = {
  randomBytes: (size) => nodeRandomBytes(size),
  randomInt: (max) => nodeRandomInt(max),
};

function shuffled<T>(items: readonly T[], rng: ChallengeRng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Draws `count` actions: distinct while the pool allows it, otherwise with repeats but never the same action twice
 * in a row.
 */
function drawActions(pool: readonly Action[], count: number, rng: ChallengeRng): Action[] {
  const distinct = [...new Set(pool)];
  if (count <= distinct.length) return shuffled(distinct, rng).slice(0, count);
  const out: Action[] = [];
  while (out.length < count) {
    const choices = distinct.filter((a) => a !== out[out.length - 1]);
    out.push(choices[rng.randomInt(choices.length)]!);
  }
  return out;
}

export function createChallenge(
  plan: ChallengePlan,
  rng: ChallengeRng = cryptoRng,
  now: Date = new Date(),
): ChallengeSpec {
  if (!LIVENESS_MODES.includes(plan.mode)) {
    throw new ShirenError('invalid_request', `Unknown liveness mode ${String(plan.mode)}.`);
  }
  let actions: Action[] = [];
  let colours: string[] = [];
  let stepMs = 0;
  let colourMs = 0;
  let maxDurationMs = SILENT_DURATION_MS;
  if (plan.mode === 'action') {
    if (!Number.isInteger(plan.actionCount) || plan.actionCount < 1 || plan.actionCount > 4) {
      throw new ShirenError('invalid_request', 'actionCount must be an integer from 1 to 4.');
    }
    const pool = [...new Set(plan.actionPool)];
    if (pool.length === 0 || pool.some((a) => !ACTIONS.includes(a))) {
      throw new ShirenError('invalid_request', `actionPool must be a non-empty list of ${ACTIONS.join(', ')}.`);
    }
    if (pool.length === 1 && plan.actionCount > 1) {
      throw new ShirenError('invalid_request', 'Two or more actions need at least two actions in the pool.');
    }
    actions = drawActions(pool, plan.actionCount, rng);
    stepMs = ACTION_STEP_MS;
    // One extra step after the last prompt: the return to neutral and slow reactions.
    maxDurationMs = LEAD_MS + (actions.length + 1) * stepMs;
  } else if (plan.mode === 'flash') {
    const count = 4 + rng.randomInt(3);
    colours = shuffled(FLASH_COLOURS, rng).slice(0, count);
    colourMs = FLASH_COLOUR_MS;
    maxDurationMs = LEAD_MS + (colours.length + 1) * colourMs;
  }
  const id = Buffer.from(rng.randomBytes(32)).toString('base64url');
  return {
    id,
    mode: plan.mode,
    actions,
    colours,
    stepMs,
    colourMs,
    maxDurationMs,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + maxDurationMs + UPLOAD_ALLOWANCE_MS).toISOString(),
  };
}

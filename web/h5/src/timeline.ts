/**
 * The capture plan for one challenge (docs/sessions.md "Challenge spec and frame upload"): which instruction is
 * shown when, which colour fills the screen when, and when frames are taken. Pure, so it is unit-tested.
 */
export type LivenessMode = 'silent' | 'action' | 'flash' | 'none';
export type Action = 'blink' | 'mouth' | 'turn_left' | 'turn_right' | 'nod';

export interface ChallengeSpec {
  challengeId: string;
  mode: LivenessMode;
  actions: Action[];
  colours: string[];
  stepMs: number;
  colourMs: number;
  maxDurationMs: number;
  expiresAt: string;
}

export interface Segment {
  /** What the page asks for: 'neutral', an action, or 'flash:#RRGGBB' (the frame's `step`). */
  step: string;
  startMs: number;
  endMs: number;
  /** 1-based index among the instructed steps (actions or colours), 0 for the neutral lead-in and tail. */
  index: number;
  colour?: string;
  /** Time between two frames taken during this segment. */
  intervalMs: number;
}

export interface Timeline {
  segments: Segment[];
  /** Capture ends here (≤ maxDurationMs). */
  totalMs: number;
  /** Number of instructed steps shown as progress (actions or colours). */
  stepCount: number;
}

export const CAPTURE_LIMITS = {
  minFrames: 4,
  maxFrames: 40,
  /** Frames planned, leaving room for timer jitter below maxFrames. */
  plannedFrames: 34,
  /** Fastest capture: 10 fps. */
  minIntervalMs: 100,
  /**
   * Neutral lead-in before the first action or colour. The server's time line uses the same constant
   * (LEAD_MS in src/verify/liveness/challenge.ts): action k is prompted from leadInMs + k·stepMs.
   */
  leadInMs: 1000,
  /** Silent and no-liveness challenges: this long of neutral frames. */
  silentMs: 2000,
  /** After the last action / colour: back to neutral, catching slow reactions. */
  actionTailMs: 1000,
  flashTailMs: 400,
  /** Capture stops this long before maxDurationMs. */
  marginMs: 200,
} as const;

/**
 * Relative frame density per step: short movements (a blink lasts 100–400 ms) get more frames than long ones, the
 * neutral lead-in and tail fewer. The total stays under the frame limit.
 */
const WEIGHT: Record<string, number> = {
  neutral: 0.6,
  blink: 2,
  mouth: 1.3,
  nod: 1.3,
  turn_left: 1,
  turn_right: 1,
  flash: 1,
};

const COLOUR = /^#[0-9a-fA-F]{6}$/;

export function planTimeline(spec: ChallengeSpec, limits = CAPTURE_LIMITS): Timeline {
  const raw: Omit<Segment, 'intervalMs'>[] = [];
  let t = 0;
  const push = (step: string, ms: number, index: number, colour?: string) => {
    raw.push({ step, startMs: t, endMs: t + ms, index, ...(colour ? { colour } : {}) });
    t += ms;
  };
  let stepCount = 0;
  if (spec.mode === 'action' && spec.actions.length > 0) {
    push('neutral', limits.leadInMs, 0);
    spec.actions.forEach((a, i) => push(a, spec.stepMs, i + 1));
    push('neutral', limits.actionTailMs, 0);
    stepCount = spec.actions.length;
  } else if (spec.mode === 'flash' && spec.colours.length > 0) {
    push('neutral', limits.leadInMs, 0);
    spec.colours.forEach((c, i) => {
      if (!COLOUR.test(c)) throw new Error(`bad colour ${c}`);
      const hex = c.toUpperCase();
      push(`flash:${hex}`, spec.colourMs, i + 1, hex);
    });
    push('neutral', limits.flashTailMs, 0);
    stepCount = spec.colours.length;
  } else {
    push('neutral', limits.silentMs, 0);
  }
  // Never past the server's window: cut (not stretch) the plan, so prompts stay where the server expects them.
  const end = spec.maxDurationMs > 0 ? Math.min(t, spec.maxDurationMs - limits.marginMs) : t;
  const kept = raw
    .filter((s) => s.startMs < end)
    .map((s) => ({ ...s, endMs: Math.min(s.endMs, end) }))
    .filter((s) => s.endMs > s.startMs);
  const weightOf = (step: string) => WEIGHT[step.startsWith('flash:') ? 'flash' : step] ?? 1;
  const weighted = kept.reduce((sum, s) => sum + (s.endMs - s.startMs) * weightOf(s.step), 0);
  const base = weighted / limits.plannedFrames;
  const segments = kept.map((s) => ({
    ...s,
    intervalMs: Math.max(limits.minIntervalMs, Math.round(base / weightOf(s.step))),
  }));
  const totalMs = segments[segments.length - 1]?.endMs ?? 0;
  // Very short plans: still at least minFrames.
  const planned = segments.reduce((n, s) => n + Math.ceil((s.endMs - s.startMs) / s.intervalMs), 0);
  if (planned < limits.minFrames) {
    for (const s of segments) s.intervalMs = Math.max(1, Math.floor(totalMs / limits.minFrames));
  }
  return { segments, totalMs, stepCount };
}

export function segmentAt(timeline: Timeline, ms: number): Segment | undefined {
  return timeline.segments.find((s) => ms >= s.startMs && ms < s.endMs);
}

/**
 * Trims a captured frame list to the frame limit, keeping the first and last frame and spreading the rest evenly
 * (timers can bunch up; a slow device only produces fewer frames).
 */
export function limitFrames<T>(frames: T[], max: number = CAPTURE_LIMITS.maxFrames): T[] {
  if (frames.length <= max) return frames;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(frames[Math.round((i * (frames.length - 1)) / (max - 1))]!);
  return out;
}

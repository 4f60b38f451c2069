/**
 * The session service's LivenessChallenges port over src/verify/liveness (challenge generation with a crypto RNG and
 * the server clock, and the verifier of the captured sequence). `shiren serve` passes it to the session service
 * together with the engine's FrameAnalyser once frame analysis runs in the worker pool (integration step).
 */
import {
  createChallenge,
  cryptoRng,
  verifyChallenge,
  type ChallengePlan,
  type ChallengeSpec as Spec,
} from './liveness/index.js';
import type { ChallengeSpec, LivenessChallenges } from './sessions.js';

export const livenessChallenges: LivenessChallenges = {
  create(plan, now) {
    return { ...createChallenge(plan as ChallengePlan, cryptoRng, now) };
  },
  verify(spec: ChallengeSpec, frames, opts) {
    return verifyChallenge(spec as unknown as Spec, frames, { receivedAt: opts.receivedAt });
  },
};

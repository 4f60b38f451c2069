/**
 * The session service's FrameAnalyser over the face engine's worker pool: every uploaded frame is measured by the
 * engine (src/engine/frame-analysis.ts), at most one frame per worker at a time so that one attempt does not fill
 * the engine's queue and starve other callers.
 */
import type { FrameFeatures } from '../engine/types.js';
import type { FaceService } from './face-service.js';
import type { FrameAnalyser } from './sessions.js';

export function createEngineFrameAnalyser(faces: Pick<FaceService, 'engine'>): FrameAnalyser {
  return {
    async analyse(frames: Uint8Array[], signal?: AbortSignal): Promise<FrameFeatures[]> {
      const engine = faces.engine();
      const out: FrameFeatures[] = new Array(frames.length);
      let next = 0;
      const lanes = Math.max(1, Math.min(frames.length, engine.stats().workers));
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          while (next < frames.length) {
            const i = next++;
            out[i] = await engine.analyseFrame(frames[i]!, signal ? { signal } : {});
          }
        }),
      );
      return out;
    },
  };
}

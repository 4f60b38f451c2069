/**
 * Runs one challenge on the live video: walks the timeline (instruction, progress, flash colour) and takes raw,
 * unmirrored JPEG frames at the planned interval, each tagged with `t` (ms since the challenge was shown) and the
 * `step` on screen when it was taken.
 */
import type { AttemptFrame } from './api.js';
import { limitFrames, segmentAt, type Segment, type Timeline } from './timeline.js';

export interface CaptureHooks {
  /** Called when the segment on screen changes (show the instruction, fill the colour). */
  onSegment(segment: Segment): void;
  /** Called about every 16 ms with the elapsed fraction 0…1. */
  onProgress?(fraction: number): void;
}

const MAX_SIDE = 640;
const QUALITY = 0.85;

export async function captureChallenge(
  video: HTMLVideoElement,
  timeline: Timeline,
  hooks: CaptureHooks,
  signal?: AbortSignal,
): Promise<AttemptFrame[]> {
  const canvas = document.createElement('canvas');
  const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const ctx = canvas.getContext('2d')!;
  if (video.paused) await video.play().catch(() => undefined);
  const pending: Promise<AttemptFrame | null>[] = [];
  const start = performance.now();
  let current: Segment | undefined;
  let nextShot = 0;

  const take = (t: number, step: string): Promise<AttemptFrame | null> => {
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => {
      canvas.toBlob(
        (blob) => {
          if (!blob) return resolve(null);
          void blobToBase64(blob).then((image) => resolve({ t, step, image }));
        },
        'image/jpeg',
        QUALITY,
      );
    });
  };

  await new Promise<void>((resolve, reject) => {
    const tick = () => {
      if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
      const t = Math.round(performance.now() - start);
      if (t >= timeline.totalMs) return resolve();
      const seg = segmentAt(timeline, t);
      if (seg && seg !== current) {
        current = seg;
        // Every segment starts with a frame, whatever the previous segment's rate was.
        nextShot = Math.min(nextShot, seg.startMs);
        hooks.onSegment(seg);
      }
      hooks.onProgress?.(t / timeline.totalMs);
      // A colour needs a moment on screen (and in the camera's exposure) before its frames count.
      const settled = !seg?.colour || t - seg.startMs >= Math.min(150, (seg.endMs - seg.startMs) / 3);
      if (seg && t >= nextShot && settled) {
        pending.push(take(t, seg.step));
        nextShot = t + seg.intervalMs;
      }
      setTimeout(tick, 16);
    };
    // A timer rather than requestAnimationFrame: it also runs where rAF is paused (embedded web views, headless).
    tick();
  });
  const frames = (await Promise.all(pending)).filter((f): f is AttemptFrame => f !== null);
  return limitFrames(frames);
}

async function blobToBase64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

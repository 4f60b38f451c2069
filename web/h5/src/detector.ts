/**
 * In-browser face detection for live guidance: face-api's tiny face detector (190 kB of weights) on the tfjs wasm
 * backend, falling back to the CPU backend. Weights and wasm binaries are served by our own server under
 * /h5/vendor/ (see vite.config.ts). Each reading draws the video into a small canvas, detects faces there and
 * measures the brightness of the face region.
 */
import * as faceapi from '@vladmandic/face-api';
import { evaluateGuidance, meanLuma, type Box, type GuidanceCode } from './guidance.js';

export interface Reading {
  code: GuidanceCode;
  faces: Box[];
  luma: number;
  width: number;
  height: number;
  ms: number;
}

export interface Detector {
  backend: string;
  read(video: HTMLVideoElement): Promise<Reading>;
}

const WIDTH = 320;

export async function loadDetector(base: string): Promise<Detector> {
  const vendor = `${base}vendor/`;
  const tf = faceapi.tf as unknown as {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    getBackend(): string;
    wasm?: { setWasmPaths(prefix: string): void };
    setWasmPaths?(prefix: string): void;
    env(): { set(flag: string, v: unknown): void };
  };
  const setPaths = tf.setWasmPaths ?? tf.wasm?.setWasmPaths;
  let backend = 'cpu';
  try {
    if (typeof WebAssembly !== 'object' || !setPaths) throw new Error('no wasm');
    setPaths(vendor);
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend refused');
    await tf.ready();
    backend = 'wasm';
  } catch {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  await faceapi.nets.tinyFaceDetector.loadFromUri(`${vendor}tiny_face_detector_model-weights_manifest.json`);
  const options = new faceapi.TinyFaceDetectorOptions({ inputSize: 224, scoreThreshold: 0.4 });
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;

  return {
    backend,
    async read(video) {
      const started = performance.now();
      const w = WIDTH;
      const h = Math.max(1, Math.round((video.videoHeight / Math.max(1, video.videoWidth)) * WIDTH));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      ctx.drawImage(video, 0, 0, w, h);
      const found = await faceapi.detectAllFaces(canvas, options);
      const faces: Box[] = found.map((d) => ({
        x: d.box.x,
        y: d.box.y,
        width: d.box.width,
        height: d.box.height,
        score: d.score,
      }));
      const best = [...faces].sort((a, b) => b.height - a.height)[0];
      const region = best
        ? clampRect(best.x, best.y, best.width, best.height, w, h)
        : { x: 0, y: 0, width: w, height: h };
      const luma =
        region.width > 0 && region.height > 0
          ? meanLuma(ctx.getImageData(region.x, region.y, region.width, region.height).data, 2)
          : 0;
      const code = evaluateGuidance({ frameWidth: w, frameHeight: h, faces, luma });
      return { code, faces, luma, width: w, height: h, ms: Math.round(performance.now() - started) };
    },
  };
}

function clampRect(x: number, y: number, width: number, height: number, w: number, h: number) {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(w, Math.ceil(x + width));
  const y1 = Math.min(h, Math.ceil(y + height));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

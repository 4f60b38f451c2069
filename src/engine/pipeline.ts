/**
 * In-process face pipeline: image input → upright RGB → faces (detector + landmarks, rotations tried when needed)
 * → policy checks (min face size, single face) → embedding of the largest face.
 *
 * This is what each pool worker runs; tools (benchmarks, calibration) may also use it directly.
 */
import { ShirenError } from '../errors.js';
import { createFaceDetector, type DetectorOptions } from './detector.js';
import { createFaceMesh, meshFivePoints, type FaceMeshOptions } from './face-mesh.js';
import {
  DEFAULT_IMAGE_LIMITS,
  loadImage,
  rotateRgb,
  type ImageFormat,
  type ImageInput,
  type ImageLimits,
} from './image.js';
import { faceModelPath, openSession } from './models.js';
import { createRecogniser, defaultRecogniserSpec, type RecogniserSpec } from './recogniser.js';
import type { DetectedFace, FaceBox, RgbImage } from './types.js';

export type Rotation = 0 | 90 | 180 | 270;

export interface FacePipelineOptions {
  limits?: Partial<ImageLimits>;
  /** Minimum size (px, shorter side of the detector box) of the largest face; smaller → face_too_small. Default 40. */
  minFaceSize?: number;
  /** Try 90/180/270° rotations when no face is found upright or it looks implausible (default true). */
  tryRotations?: boolean;
  /** Raw feature norm above which the upright face is accepted without trying rotations (default 3.0). */
  confidentNorm?: number;
  detector?: DetectorOptions;
  /**
   * Source of the five alignment points: `mesh` (default) refines fr_landmark's points with the 468-point face mesh
   * on tfjs-wasm; `fr_landmark` uses the 68-point model alone (no tfjs).
   */
  landmarks?: 'mesh' | 'fr_landmark';
  mesh?: FaceMeshOptions;
  recogniser?: RecogniserSpec;
  /** ONNX Runtime intra-op threads per session (default 1). */
  threads?: number;
}

export interface AnalyseOptions {
  crop?: FaceBox;
  /** Fail with multiple_faces when more than one face (of at least the minimum size) is present. */
  requireSingleFace?: boolean;
}

export interface ImageSummary {
  width: number;
  height: number;
  /** Clockwise rotation (degrees) applied to the upright image before the face was found. */
  rotation: Rotation;
  format: ImageFormat;
}

/** Wall-clock milliseconds per stage of one `locate`/`analyse` call (stages run inside the orientation search too). */
export interface StageTimings {
  /** Byte checks, header read, decode, EXIF rotation, crop. */
  decode: number;
  /** fr_detect, including its resize and normalisation. */
  detect: number;
  /** fr_landmark and, when used, the face mesh. */
  landmarks: number;
  /** Similarity warp to the recogniser template. */
  align: number;
  /** Recogniser forward passes (face and mirror). */
  embed: number;
  /** Part of the above spent on rotated copies of the image (0 when the upright face was accepted). */
  orientation: number;
  total: number;
}

export interface AnalyseResult {
  /** Faces, largest first, in the coordinates of the analysed (EXIF-applied, rotated, cropped) image. */
  faces: DetectedFace[];
  faceCount: number;
  image: ImageSummary;
  /** L2-normalised embedding of `faces[0]` (always computed: it also decides the orientation). */
  embedding: Float32Array;
  timings: StageTimings;
}

export interface LocateResult {
  rgb: RgbImage;
  faces: DetectedFace[];
  image: ImageSummary;
  /** L2-normalised embedding of `faces[0]` (computed while choosing the orientation). */
  embedding: Float32Array;
  timings: StageTimings;
}

export interface FacePipeline {
  /** Loads, validates and finds faces; enforces face_not_found / face_too_small / multiple_faces. */
  locate(input: ImageInput, opts?: AnalyseOptions): Promise<LocateResult>;
  /** Embedding (L2-normalised) of one face of an analysed image. */
  embedFace(rgb: RgbImage, face: DetectedFace): Promise<Float32Array>;
  analyse(input: ImageInput, opts?: AnalyseOptions): Promise<AnalyseResult>;
  readonly info: {
    detector: string;
    landmarks: string;
    recogniser: string;
    calibrationId: string;
    dimensions: number;
  };
  readonly limits: ImageLimits;
  readonly minFaceSize: number;
  close(): Promise<void>;
}

const ROTATIONS: Rotation[] = [90, 180, 270];
/**
 * Raw feature norm (fr_feature, mean of face and mirror) above which an upright face is accepted without trying
 * rotations; a rotated candidate must beat the upright norm by ROTATION_MARGIN. See docs/engine.md for the measurement.
 */
const CONFIDENT_NORM = 3.0;
const ROTATION_MARGIN = 1.2;

export async function createFacePipeline(options: FacePipelineOptions = {}): Promise<FacePipeline> {
  const limits: ImageLimits = { ...DEFAULT_IMAGE_LIMITS, ...options.limits };
  const minFaceSize = options.minFaceSize ?? 40;
  const tryRotations = options.tryRotations ?? true;
  const confidentNorm = options.confidentNorm ?? CONFIDENT_NORM;
  const sessionOptions = { threads: options.threads ?? 1 };
  const spec = options.recogniser ?? defaultRecogniserSpec();

  const useMesh = (options.landmarks ?? 'mesh') === 'mesh';

  const [detectSession, landmarkSession, recogniser, mesh] = await Promise.all([
    openSession(faceModelPath('fr_detect'), sessionOptions),
    openSession(faceModelPath('fr_landmark'), sessionOptions),
    createRecogniser(spec, sessionOptions),
    useMesh ? createFaceMesh(options.mesh) : Promise.resolve(undefined),
  ]);
  const detector = createFaceDetector({ detectSession, landmarkSession }, options.detector);

  const faceSize = (f: DetectedFace) => Math.min(f.box.width, f.box.height);

  /** Replaces each face's five points with the mesh's (when the mesh is enabled). */
  async function refine(rgb: RgbImage, faces: DetectedFace[], clock: StageTimings): Promise<DetectedFace[]> {
    if (!mesh) return faces;
    const t0 = performance.now();
    const refined: DetectedFace[] = [];
    for (const face of faces) {
      const { points } = await mesh.run(rgb, face.landmarks5);
      refined.push({ ...face, landmarks5: meshFivePoints(points) });
    }
    clock.landmarks += performance.now() - t0;
    return refined;
  }

  async function locate(input: ImageInput, opts: AnalyseOptions = {}): Promise<LocateResult> {
    const start = performance.now();
    const clock: StageTimings = { decode: 0, detect: 0, landmarks: 0, align: 0, embed: 0, orientation: 0, total: 0 };
    const loaded = await loadImage(input, limits, opts.crop);
    clock.decode = performance.now() - start;
    // Orientation: the detector and landmark model fire on sideways and upside-down faces too (scores ≈ 1, landmarks
    // drawn as if upright), so the rotation is chosen by the recogniser's raw feature norm, which is clearly larger
    // for upright faces. Rotations are only tried when no face is found upright or its norm is low.
    let rgb = loaded.rgb;
    let rotation: Rotation = 0;
    let faces = await refine(rgb, await detector.detect(rgb, clock), clock);
    let first = faces[0] ? await recogniser.embedWithNorm(rgb, faces[0].landmarks5, clock) : undefined;
    if (tryRotations && (!first || first.norm < confidentNorm)) {
      // Each rotation is probed with fr_landmark's points and one recogniser pass (no mirror, no mesh); only the
      // winner gets the mesh and the full embedding.
      const t0 = performance.now();
      const uprightNorm = first?.norm ?? 0;
      let best: { faces: DetectedFace[]; rgb: RgbImage; rotation: Rotation; norm: number } | undefined;
      for (const r of ROTATIONS) {
        const rotated = rotateRgb(loaded.rgb, r);
        const found = await detector.detect(rotated, clock);
        if (!found[0]) continue;
        const t1 = performance.now();
        const norm = await recogniser.probeNorm(rotated, found[0].landmarks5);
        clock.embed += performance.now() - t1;
        if (norm > uprightNorm * ROTATION_MARGIN && norm > (best?.norm ?? 0)) {
          best = { faces: found, rgb: rotated, rotation: r, norm };
        }
      }
      if (best) {
        rgb = best.rgb;
        rotation = best.rotation;
        faces = await refine(rgb, best.faces, clock);
        first = await recogniser.embedWithNorm(rgb, faces[0]!.landmarks5, clock);
      }
      clock.orientation = performance.now() - t0;
    }
    const image: ImageSummary = {
      width: rgb.width,
      height: rgb.height,
      rotation,
      format: loaded.format,
    };
    if (faces.length === 0)
      throw new ShirenError('face_not_found', undefined, {
        details: { image },
      });
    const largest = faces[0]!;
    if (faceSize(largest) < minFaceSize) {
      throw new ShirenError(
        'face_too_small',
        `The largest face is ${Math.round(faceSize(largest))} px; at least ${minFaceSize} px is required.`,
        {
          details: { faceSize: Math.round(faceSize(largest)), minFaceSize },
        },
      );
    }
    if (opts.requireSingleFace) {
      const counted = faces.filter((f) => faceSize(f) >= minFaceSize).length;
      if (counted > 1) {
        throw new ShirenError('multiple_faces', `${counted} faces were found; exactly one is required.`, {
          details: { faceCount: counted },
        });
      }
    }
    clock.total = performance.now() - start;
    return { rgb, faces, image, embedding: first!.embedding, timings: roundTimings(clock) };
  }

  function embedFace(rgb: RgbImage, face: DetectedFace): Promise<Float32Array> {
    return recogniser.embed(rgb, face.landmarks5);
  }

  return {
    locate,
    embedFace,
    async analyse(input, opts = {}) {
      const { faces, image, embedding, timings } = await locate(input, opts);
      return { faces, faceCount: faces.length, image, embedding, timings };
    },
    info: {
      detector: 'faceplugin-fr_detect',
      landmarks: mesh ? 'faceplugin-fr_landmark+human-facemesh' : 'faceplugin-fr_landmark',
      recogniser: spec.id,
      calibrationId: spec.calibrationId,
      dimensions: 512,
    },
    limits,
    minFaceSize,
    async close() {
      await Promise.all([detectSession.release(), landmarkSession.release(), recogniser.close(), mesh?.close()]);
    },
  };
}

function roundTimings(t: StageTimings): StageTimings {
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    decode: r(t.decode),
    detect: r(t.detect),
    landmarks: r(t.landmarks),
    align: r(t.align),
    embed: r(t.embed),
    orientation: r(t.orientation),
    total: r(t.total),
  };
}

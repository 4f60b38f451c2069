/**
 * In-process face pipeline: image input → upright RGB → faces (detector + landmarks, rotations tried when needed)
 * → policy checks (min face size, single face) → embedding of the largest face.
 *
 * This is what each pool worker runs; tools (benchmarks, calibration) may also use it directly.
 */
import { ShirenError } from '../errors.js';
import { createFaceDetector, type DetectorOptions } from './detector.js';
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

export interface AnalyseResult {
  /** Faces, largest first, in the coordinates of the analysed (EXIF-applied, rotated, cropped) image. */
  faces: DetectedFace[];
  faceCount: number;
  image: ImageSummary;
  /** L2-normalised embedding of `faces[0]` (always computed: it also decides the orientation). */
  embedding: Float32Array;
}

export interface LocateResult {
  rgb: RgbImage;
  faces: DetectedFace[];
  image: ImageSummary;
  /** L2-normalised embedding of `faces[0]` (computed while choosing the orientation). */
  embedding: Float32Array;
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

  const [detectSession, landmarkSession, recogniser] = await Promise.all([
    openSession(faceModelPath('fr_detect'), sessionOptions),
    openSession(faceModelPath('fr_landmark'), sessionOptions),
    createRecogniser(spec, sessionOptions),
  ]);
  const detector = createFaceDetector({ detectSession, landmarkSession }, options.detector);

  const faceSize = (f: DetectedFace) => Math.min(f.box.width, f.box.height);

  async function locate(input: ImageInput, opts: AnalyseOptions = {}): Promise<LocateResult> {
    const loaded = await loadImage(input, limits, opts.crop);
    // Orientation: the detector and landmark model fire on sideways and upside-down faces too (scores ≈ 1, landmarks
    // drawn as if upright), so the rotation is chosen by the recogniser's raw feature norm, which is clearly larger
    // for upright faces. Rotations are only tried when no face is found upright or its norm is low.
    let rgb = loaded.rgb;
    let rotation: Rotation = 0;
    let faces = await detector.detect(rgb);
    let first = faces[0] ? await recogniser.embedWithNorm(rgb, faces[0].landmarks5) : undefined;
    if (tryRotations && (!first || first.norm < confidentNorm)) {
      const uprightNorm = first?.norm ?? 0;
      for (const r of ROTATIONS) {
        const rotated = rotateRgb(loaded.rgb, r);
        const found = await detector.detect(rotated);
        if (!found[0]) continue;
        const e = await recogniser.embedWithNorm(rotated, found[0].landmarks5);
        if (e.norm > (first?.norm ?? 0) && e.norm > uprightNorm * ROTATION_MARGIN) {
          faces = found;
          rgb = rotated;
          rotation = r;
          first = e;
        }
      }
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
    return { rgb, faces, image, embedding: first!.embedding };
  }

  function embedFace(rgb: RgbImage, face: DetectedFace): Promise<Float32Array> {
    return recogniser.embed(rgb, face.landmarks5);
  }

  return {
    locate,
    embedFace,
    async analyse(input, opts = {}) {
      const { faces, image, embedding } = await locate(input, opts);
      return { faces, faceCount: faces.length, image, embedding };
    },
    info: {
      detector: 'faceplugin-fr_detect',
      landmarks: 'faceplugin-fr_landmark',
      recogniser: spec.id,
      calibrationId: spec.calibrationId,
      dimensions: 512,
    },
    limits,
    minFaceSize,
    async close() {
      await Promise.all([detectSession.release(), landmarkSession.release(), recogniser.close()]);
    },
  };
}

/**
 * Plain data shapes the face engine exchanges with its callers. No HTTP, no database.
 * Coordinates are pixels in the upright (EXIF-applied, rotation-corrected) image the engine analysed.
 */

/** A decoded image: tightly packed RGB, 3 bytes a pixel, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Point = [x: number, y: number];

/** Five landmarks in ArcFace order: left eye, right eye, nose tip, left mouth corner, right mouth corner (as seen in the image). */
export type Landmarks5 = [Point, Point, Point, Point, Point];

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One face as found by the detector (coordinates in the analysed upright image). */
export interface DetectedFace {
  box: FaceBox;
  /** Detector confidence 0–1. */
  score: number;
  landmarks5: Landmarks5;
  /** Dense landmarks when the landmark model ran (68-point iBUG order), else undefined. */
  landmarks68?: Point[];
}

/**
 * Per-face quality with the field names and ranges of Volcengine's `image_face_detail`.
 * Each field's rule is documented in docs/quality.md.
 */
export interface FaceQuality {
  /** 0–100, overall suitability for comparison. */
  comprehensive_score: number;
  /** 0–1, sharpness of the face region. */
  face_clarity: number;
  /** 0–1, mean luminance of the face region. */
  brightness: number;
  /** 0–1, share of clipped (over- or under-exposed) pixels in the face region. */
  exposure: number;
  /** Degrees. */
  pose_pitch: number;
  pose_yaw: number;
  pose_roll: number;
  /** 0–1, probability that the part is occluded. */
  mouth_occlusion: number;
  left_eye_occlusion: number;
  right_eye_occlusion: number;
  /** 0–1, probability that the person wears a cap/hat. */
  have_cap: number;
}

/** Passive (single-image) liveness outcome for one face. */
export interface LivenessScore {
  /** 0–1 probability-like score that the face is a live person (higher = more live). */
  score: number;
  /** Per-model raw scores, for audit. */
  models: Record<string, number>;
}

/**
 * What the server measures on one frame of an H5 capture (src/engine/frame-analysis.ts). Directions are those of
 * the person: yaw > 0 when the person turns to their own left, pitch > 0 when they look up.
 */
export interface FrameFeatures {
  width: number;
  height: number;
  faceCount: number;
  /** The largest face; absent when faceCount is 0. */
  face?: DetectedFace;
  yaw: number;
  pitch: number;
  roll: number;
  /** Eye openness (eye aspect ratio from the landmarks; about 0.3 open, below 0.15 closed), the person's left/right. */
  leftEye: number;
  rightEye: number;
  /** Mouth opening: inner-lip gap divided by mouth width (about 0 closed, above 0.35 wide open). */
  mouth: number;
  /** Mean RGB (0–255) of the face's cheek/forehead region and of the frame border (for flash checks). */
  faceColour: [number, number, number];
  backgroundColour: [number, number, number];
  /** L2-normalised embedding of the largest face (same-face check across frames); absent without a face. */
  embedding?: Float32Array;
}

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

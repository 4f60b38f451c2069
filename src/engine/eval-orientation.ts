/**
 * Development check behind the orientation gate in docs/engine.md: for the face-api demo photos and 90 LFW images
 * (the first image of every 60th person), each rotated by 0/90/180/270°, prints the face mesh's face-presence score
 * and the recogniser's raw feature norm (mesh-aligned, face and mirror averaged) of the largest face found.
 *
 *   node --import tsx src/engine/eval-orientation.ts
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFaceDetector } from './detector.js';
import { createFaceMesh, meshFivePoints } from './face-mesh.js';
import { loadImage, rotateRgb } from './image.js';
import { faceModelPath, openSession } from './models.js';
import { createRecogniser, defaultRecogniserSpec } from './recogniser.js';

const [detectSession, landmarkSession] = await Promise.all([
  openSession(faceModelPath('fr_detect')),
  openSession(faceModelPath('fr_landmark')),
]);
const detector = createFaceDetector({ detectSession, landmarkSession });
const recogniser = await createRecogniser(defaultRecogniserSpec());
const mesh = await createFaceMesh();
const lfw = join(import.meta.dirname, '../../../shared/datasets/lfw/lfw-deepfunneled');
const lfwFiles = existsSync(lfw)
  ? readdirSync(lfw)
      .sort()
      .filter((_, i) => i % 60 === 0)
      .slice(0, 90)
      .map((p) => join(lfw, p, readdirSync(join(lfw, p))[0]!))
  : [];
const demo = [1, 2, 3, 4, 5, 6].map(
  (n) => new URL(`../../node_modules/@vladmandic/face-api/demo/sample${n}.jpg`, import.meta.url).pathname,
);

const rows: { rotation: number; meshScore: number; norm: number }[] = [];
for (const path of [...demo, ...lfwFiles]) {
  const { rgb } = await loadImage(readFileSync(path));
  for (const rotation of [0, 90, 180, 270] as const) {
    const img = rotateRgb(rgb, rotation);
    const face = (await detector.detect(img))[0];
    if (!face) continue;
    const m = await mesh.run(img, face.landmarks5);
    const { norm } = await recogniser.embedWithNorm(img, meshFivePoints(m.points));
    rows.push({ rotation, meshScore: m.faceScore, norm });
  }
}
const upright = rows.filter((r) => r.rotation === 0);
const rotated = rows.filter((r) => r.rotation !== 0);
const maxOf = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
console.log(
  JSON.stringify({
    images: demo.length + lfwFiles.length,
    uprightFaces: upright.length,
    uprightNormBelow3: upright.filter((r) => r.norm < 3).length,
    uprightMeshScoreAtLeast09: upright.filter((r) => r.meshScore >= 0.9).length,
    rotatedFaces: rotated.length,
    rotatedMeshScoreAtLeast09: rotated.filter((r) => r.meshScore >= 0.9).length,
    rotatedMeshScoreAtLeast09By180: rotated.filter((r) => r.meshScore >= 0.9 && r.rotation === 180).length,
    rotatedNormAtLeast3: rotated.filter((r) => r.norm >= 3).length,
    maxRotatedNorm: +maxOf(rotated.map((r) => r.norm)).toFixed(2),
  }),
);

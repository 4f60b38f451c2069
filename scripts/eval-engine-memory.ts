/**
 * Memory over many engine requests through the worker pool (the serving path): resident memory of the whole process
 * (worker threads included) is printed every 1,000 requests. A leak of tensors or buffers shows as steady growth.
 *
 *   npx tsx scripts/eval-engine-memory.ts [--requests 10000] [--workers 2] [--op detect|compare|frame]
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { createFaceEngine } from '../src/engine/index.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const requests = Number(arg('requests', '10000'));
const workers = Number(arg('workers', '2'));
const op = arg('op', 'detect');

// A 640×480 "selfie" made from a face of the face-api demo photo.
const photo = readFileSync(new URL('../node_modules/@vladmandic/face-api/demo/sample2.jpg', import.meta.url));
const selfie = await sharp(photo).resize(640, 480, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();
const other = await sharp(photo).flop().resize(640, 480, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer();

const engine = await createFaceEngine({ workers, queueLimit: 64 });
const mb = (n: number) => Math.round(n / 1048576);
const call = () =>
  op === 'compare'
    ? engine.compare(selfie, other)
    : op === 'frame'
      ? engine.analyseFrame(selfie)
      : engine.detect(selfie);

let done = 0;
const t0 = performance.now();
const samples: number[] = [];
async function lane() {
  while (done < requests) {
    done++;
    await call();
    if (done % 1000 === 0) {
      const rss = process.memoryUsage().rss;
      samples.push(rss);
      console.log(
        `${String(done).padStart(6)} requests  rss ${mb(rss)} MiB  heap ${mb(process.memoryUsage().heapUsed)} MiB  ` +
          `${((done / (performance.now() - t0)) * 1000).toFixed(1)} req/s`,
      );
    }
  }
}
await Promise.all(Array.from({ length: workers * 2 }, lane));
await engine.close();
if (samples.length >= 3) {
  const first = samples[1]!;
  const last = samples[samples.length - 1]!;
  console.log(
    `rss after 2,000 requests ${mb(first)} MiB, after ${requests} ${mb(last)} MiB (${mb(last - first)} MiB change)`,
  );
}

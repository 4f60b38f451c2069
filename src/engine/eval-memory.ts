/** Development check: resident memory stays flat over many pipeline calls.  node --import tsx src/engine/eval-memory.ts */
import { readFileSync } from 'node:fs';
import { createFacePipeline } from './pipeline.js';
const p = await createFacePipeline();
const img = readFileSync(new URL('../../node_modules/@vladmandic/face-api/demo/sample2.jpg', import.meta.url));
const rss = () => Math.round(process.memoryUsage().rss / 1e6);
for (let i = 0; i < 20; i++) await p.analyse(img);
const start = rss();
const t0 = performance.now();
for (let i = 1; i <= 200; i++) {
  await p.analyse(img);
  if (i % 50 === 0) console.log(`after ${i + 20} calls: rss ${rss()} MB`);
}
console.log(`rss after warm-up ${start} MB; ms/call ${((performance.now() - t0) / 200).toFixed(1)}`);
await p.close();

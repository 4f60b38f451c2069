/**
 * `npx tsx scripts/bench-console.ts`: the two in-process costs docs/console.md quotes, timed as they run.
 * - the per-app rate limiter: 2,000,000 takes over 100 limited apps (time per take);
 * - storage usage: 10,000 blobs written to a fresh filesystem blob store, then the one-pass usage walk (median of 5).
 * Prints a table; results go to docs/benchmarks.md ("Console: rate limiter and storage usage").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRateLimiter } from '../src/auth/rate-limiter.js';
import { createFsBlobStore } from '../src/store/blob-store.js';
import { createStorageUsage } from '../src/verify/storage-usage.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const limiter = createRateLimiter();
const limit = { perMinute: 600_000, burst: 1_000 };
const TAKES = 2_000_000;
let refused = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < TAKES; i++) if (limiter.take(`app-${i % 100}`, limit) > 0) refused++;
const perTake = Number(process.hrtime.bigint() - t0) / TAKES / 1000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'shiren-bench-storage-'));
const walks: number[] = [];
try {
  const blobs = await createFsBlobStore(dir);
  const body = Buffer.alloc(2048, 1);
  for (let i = 0; i < 10_000; i++) await blobs.put(`sessions/vs_${i % 2500}/frame-${i}.jpg`, body);
  const usage = createStorageUsage({
    blobs,
    databaseSize: async () => ({ kind: 'pglite' as const, bytes: 0, method: 'directory' as const, files: 0 }),
  });
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    await usage.get({ fresh: true });
    walks.push(performance.now() - s);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log('| measurement | result |');
console.log('|---|---|');
console.log(
  `| rate limiter, ${TAKES.toLocaleString('en')} takes over 100 apps | ${perTake.toFixed(2)} µs per take (${refused} refused) |`,
);
console.log(
  `| storage usage walk, 10,000 blobs (median of 5) | ${median(walks).toFixed(0)} ms (min ${Math.min(...walks).toFixed(0)}, max ${Math.max(...walks).toFixed(0)}) |`,
);

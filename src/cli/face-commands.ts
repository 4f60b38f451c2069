/**
 * CLI: `shiren detect FILE…`, `shiren compare FILE_A FILE_B`, `shiren liveness FILE…` on the local face engine.
 * Each prints a readable table, or JSON with `--json`. Errors are reported per file with their reason code.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isShirenError } from '../errors.js';
import { createFaceEngine, type FaceEngine } from '../engine/index.js';

type Failed = { file: string; error: { reason: string; message: string } };

interface CommonOpts {
  json?: boolean;
  single?: boolean;
  workers?: string;
  minFaceSize?: string;
}

async function withEngine<T>(opts: CommonOpts, fn: (engine: FaceEngine) => Promise<T>): Promise<T> {
  const engine = await createFaceEngine({
    workers: opts.workers ? Number(opts.workers) : 1,
    ...(opts.minFaceSize ? { minFaceSize: Number(opts.minFaceSize) } : {}),
  });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

function errorOf(err: unknown): { reason: string; message: string } {
  if (isShirenError(err)) return { reason: err.reason, message: err.message };
  return { reason: 'internal', message: err instanceof Error ? err.message : String(err) };
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

function common(cmd: Command): Command {
  return cmd
    .option('--json', 'print JSON')
    .option('--single', 'require exactly one face (multiple_faces otherwise)')
    .option('--workers <n>', 'engine worker threads', '1')
    .option('--min-face-size <px>', 'minimum face size in pixels');
}

/** Runs fn on each file's bytes; a failure is reported in its row (and sets exit code 1) without stopping the rest. */
async function perFile<T extends object>(
  files: string[],
  fn: (bytes: Buffer) => Promise<T>,
): Promise<Array<Failed | ({ file: string } & T)>> {
  const rows: Array<Failed | ({ file: string } & T)> = [];
  for (const file of files) {
    try {
      rows.push({ file, ...(await fn(await readFile(file))) });
    } catch (err) {
      process.exitCode = 1;
      rows.push({ file, error: errorOf(err) });
    }
  }
  return rows;
}

export function registerFaceCommands(program: Command): void {
  common(program.command('detect').description('Detect faces in image files').argument('<files...>')).action(
    async (files: string[], opts: CommonOpts) => {
      await withEngine(opts, async (engine) => {
        const rows = await perFile(files, (bytes) => engine.detect(bytes, { requireSingleFace: !!opts.single }));
        if (opts.json) {
          console.log(JSON.stringify(rows, null, 2));
          return;
        }
        for (const row of rows) {
          if ('error' in row) {
            console.log(`${row.file}: ${row.error.reason} (${row.error.message})`);
            continue;
          }
          console.log(
            `${row.file}: ${row.image.width}×${row.image.height}, rotation ${row.image.rotation}°, ${row.faceCount} face(s)`,
          );
          console.table(
            row.faces.map((f) => ({
              x: Math.round(f.box.x),
              y: Math.round(f.box.y),
              width: Math.round(f.box.width),
              height: Math.round(f.box.height),
              score: r3(f.score),
              ...(f.quality ? { quality: r1(f.quality.comprehensive_score) } : {}),
            })),
          );
        }
      });
    },
  );

  common(
    program
      .command('compare')
      .description('Compare the largest faces of two images')
      .argument('<fileA>')
      .argument('<fileB>'),
  ).action(async (fileA: string, fileB: string, opts: CommonOpts) => {
    await withEngine({ workers: '2', ...opts }, async (engine) => {
      try {
        const [a, b] = await Promise.all([readFile(fileA), readFile(fileB)]);
        const r = await engine.compare(a, b, { requireSingleFace: !!opts.single });
        if (opts.json) {
          console.log(JSON.stringify(r, null, 2));
          return;
        }
        console.table([
          { '': 'similarity', value: r3(r.similarity) },
          { '': 'score (0–100)', value: r1(r.score) },
          ...Object.entries(r.thresholds).map(([far, score]) => ({
            '': `same person at FAR ${far}`,
            value: r.score >= score ? `yes (≥ ${score})` : `no (< ${score})`,
          })),
          { '': 'faces in A / B', value: `${r.source.faceCount} / ${r.target.faceCount}` },
        ]);
      } catch (err) {
        process.exitCode = 1;
        const e = errorOf(err);
        console.log(opts.json ? JSON.stringify({ error: e }) : `${e.reason}: ${e.message}`);
      }
    });
  });

  common(
    program
      .command('liveness')
      .description('Passive (single-image) liveness of the largest face')
      .argument('<files...>'),
  ).action(async (files: string[], opts: CommonOpts) => {
    await withEngine(opts, async (engine) => {
      const rows = await perFile(files, (bytes) => engine.liveness(bytes, { requireSingleFace: !!opts.single }));
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      console.table(
        rows.map((row) =>
          'error' in row
            ? { file: row.file, result: row.error.reason }
            : {
                file: row.file,
                result: row.isLive ? 'live' : 'spoof',
                score: r3(row.liveness.score),
                threshold: row.threshold,
                faces: row.faceCount,
              },
        ),
      );
    });
  });
}

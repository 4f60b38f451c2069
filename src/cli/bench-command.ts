/**
 * `shiren bench [--data DIR] [--quick] [--calibrate]`: accuracy, East-Asian false-accept/genuine pass rates, latency
 * and throughput of the face engine (src/bench/run-bench.ts); with --calibrate it also rewrites the score calibration
 * table src/engine/calibration/<model>.json. Skips with a message when the datasets are absent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { repoRoot } from '../bench/calibrate.js';
import { hasDatasets } from '../bench/datasets.js';
import { formatReport, runBench } from '../bench/run-bench.js';

export interface BenchCommandOptions {
  data: string;
  cache: string;
  workers: string;
  quick?: boolean;
  calibrate?: boolean;
  json?: string;
}

export function defaultDataDir(): string {
  return path.resolve(repoRoot, '../shared/datasets');
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark the face engine on LFW and the East-Asian sets (see docs/benchmarks.md)')
    .option('--data <dir>', 'datasets root holding lfw/ and asian-faces/', defaultDataDir())
    .option(
      '--cache <dir>',
      'embedding cache directory (outside the repo’s tracked files)',
      path.join(repoRoot, 'data', 'bench-cache'),
    )
    .option('--workers <n>', 'worker threads for bulk embedding', '2')
    .option(
      '--quick',
      'small sample (60 LFW pairs per fold, ≤ 3 images per East-Asian identity); the table is not written',
    )
    .option('--calibrate', 'write src/engine/calibration/<model>.json from this run (ignored with --quick)')
    .option('--json <file>', 'also write the full report as JSON')
    .action(async (opts: BenchCommandOptions, cmd: Command) => {
      const dataDir = path.resolve(opts.data);
      const found = hasDatasets(dataDir);
      if (!found.lfw || !found.asian) {
        process.stdout.write(
          `shiren bench: skipped, datasets not found under ${dataDir} (need lfw/lfw-deepfunneled, lfw/protocol/pairs.txt and asian-faces/)\n`,
        );
        return;
      }
      const workers = Number(opts.workers);
      if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a positive integer');
      const args = cmd.parent ? cmd.parent.args.slice(1) : cmd.args;
      const command = `npm run bench --${args.length ? ' ' + args.join(' ') : ''}`;
      const report = await runBench({
        dataDir,
        cacheDir: path.resolve(opts.cache),
        workers,
        quick: opts.quick === true,
        calibrate: opts.calibrate === true,
        command,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(formatReport(report) + '\n');
      if (opts.json) {
        mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
        writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
      }
    });
}

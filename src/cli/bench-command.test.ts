import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { defaultDataDir, registerBenchCommand } from './bench-command.js';

test('shiren bench skips with a message when the datasets are absent', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'shiren-bench-'));
  const program = new Command('shiren').exitOverride();
  registerBenchCommand(program);
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'shiren', 'bench', '--data', empty, '--quick']);
  } finally {
    process.stdout.write = write;
    rmSync(empty, { recursive: true, force: true });
  }
  assert.match(out.join(''), /^shiren bench: skipped, datasets not found under /);
});

test('the default datasets directory is ../shared/datasets next to the repository', () => {
  assert.equal(path.basename(defaultDataDir()), 'datasets');
  assert.equal(path.basename(path.dirname(defaultDataDir())), 'shared');
});

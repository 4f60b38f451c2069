import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { configurationPage, errorsPage } from '../scripts/gen-docs.js';
import { REPO_ROOT } from '../test/helpers.js';

test('docs/errors.md and docs/configuration.md match the code (regenerate: npx tsx scripts/gen-docs.ts)', () => {
  assert.equal(readFileSync(path.join(REPO_ROOT, 'docs/errors.md'), 'utf8'), errorsPage());
  assert.equal(readFileSync(path.join(REPO_ROOT, 'docs/configuration.md'), 'utf8'), configurationPage());
});

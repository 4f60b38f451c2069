import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../../../test/helpers.js';
import { RULE_CODES } from './index.js';

test('docs/identity.md documents every rule code with its kind, and no other', () => {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs/identity.md'), 'utf8');
  assert.match(doc, /^## Rule checks$/m);
  const documented = new Map<string, string>();
  for (const m of doc.matchAll(/^\| `([a-z0-9_]+)` \| (reason|warning) \|/gm)) documented.set(m[1]!, m[2]!);
  assert.deepEqual(Object.fromEntries([...documented].sort()), Object.fromEntries(Object.entries(RULE_CODES).sort()));
});

test('codes are lower snake_case', () => {
  for (const code of Object.keys(RULE_CODES)) assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/);
});

/** `shiren plans create|list` in a child process on an embedded database. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runShiren, tempDir } from '../../test/helpers.js';

const shiren = (args: string[], dataDir: string) => runShiren(args, { DATA_DIR: dataDir });

test('plans create --json prints the id; list shows it; bad settings exit non-zero with one line', () => {
  const t = tempDir();
  try {
    const created = shiren(
      ['plans', 'create', '--name', 'kyc', '--app', 'shop', '--liveness', 'flash', '--far', '1e-5', '--json'],
      t.dir,
    );
    assert.equal(created.code, 0, created.stderr);
    const { planId } = JSON.parse(created.stdout);
    assert.ok(Number.isInteger(planId) && planId > 0);
    const listed = shiren(['plans', 'list', '--json'], t.dir);
    assert.equal(listed.code, 0, listed.stderr);
    const plans = JSON.parse(listed.stdout);
    const p = plans.find((x: { id: number }) => x.id === planId);
    assert.equal(p.name, 'kyc');
    assert.equal(p.appName, 'shop');
    assert.equal(p.livenessMode, 'flash');
    assert.equal(p.threshold.score, 80);
    const bad = shiren(['plans', 'create', '--actions', '9'], t.dir);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /^shiren: invalid_request: actionCount: must be a whole number from 1 to 4\n$/);
  } finally {
    t.cleanup();
  }
});

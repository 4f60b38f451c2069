/** `shiren registry import|list|delete` and `shiren identity-settings` in child processes on an embedded database. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runShiren, tempDir } from '../../test/helpers.js';
import { LI, ZHANG } from '../verify/identity/test-fixtures.js';

const shiren = (args: string[], dataDir: string) => runShiren(args, { DATA_DIR: dataDir });

test('registry import (photo path, bad rows), list masked, delete; identity-settings keeps the secret hidden', () => {
  const t = tempDir();
  try {
    const data = path.join(t.dir, 'data');
    writeFileSync(path.join(t.dir, 'face.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x01]));
    const csv = path.join(t.dir, 'people.csv');
    writeFileSync(
      csv,
      `姓名,身份证号,mobile,photo\n${ZHANG.name},${ZHANG.idNumber},${ZHANG.mobile},face.jpg\n${LI.name},${LI.idNumber},,missing.jpg\n`,
    );
    const imp = shiren(['registry', 'import', csv, '--app', 'shop', '--json'], data);
    assert.equal(imp.code, 0, imp.stderr);
    const report = JSON.parse(imp.stdout);
    assert.deepEqual([report.created, report.rejected.length], [1, 1]);
    assert.match(report.rejected[0].reason, /photo: cannot read missing\.jpg \(ENOENT\)/);
    const list = shiren(['registry', 'list', '--app', 'shop', '--json'], data);
    assert.equal(list.code, 0, list.stderr);
    const page = JSON.parse(list.stdout);
    assert.equal(page.total, 1);
    assert.deepEqual(
      [page.people[0].name, page.people[0].idNumber, page.people[0].photo],
      ['张*', '110***********4514', true],
    );
    assert.ok(!list.stdout.includes(ZHANG.idNumber));
    assert.equal(
      JSON.parse(shiren(['registry', 'list', '--json'], data).stdout).total,
      0,
      'the default app is another registry',
    );

    const set = shiren(
      [
        'identity-settings',
        '--app',
        'shop',
        '--provider',
        'http',
        '--http-url',
        'http://127.0.0.1:9/check',
        '--http-authorization',
        'Bearer zz-top',
        '--http-failures',
        '2',
      ],
      data,
    );
    assert.equal(set.code, 0, set.stderr);
    const view = JSON.parse(set.stdout);
    assert.deepEqual(
      [view.defaultProvider, view.http.url, view.http.failureThreshold, view.http.authorizationSet],
      ['http', 'http://127.0.0.1:9/check', 2, true],
    );
    assert.ok(!set.stdout.includes('zz-top'));
    const cleared = JSON.parse(
      shiren(['identity-settings', '--app', 'shop', '--no-http', '--provider', 'registry'], data).stdout,
    );
    assert.deepEqual(cleared, { defaultProvider: 'registry', http: null });
    const bad = shiren(['identity-settings', '--provider', 'nobody'], data);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /^shiren: invalid_request: defaultProvider/);

    const del = shiren(['registry', 'delete', page.people[0].id, '--app', 'shop'], data);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /deleted rp_\w+ \(1 blob\)/);
    assert.match(shiren(['registry', 'delete', page.people[0].id, '--app', 'shop'], data).stderr, /not_found/);
  } finally {
    t.cleanup();
  }
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FAR_LEVELS, scoreFromSimilarity, type CalibrationDataset } from '../engine/calibration.js';
import { buildCalibrationTable, chooseThresholds } from './calibration-table.js';
import { hasDatasets, listAsianFaces, pairKey, parseCsv, parseLfwPairs } from './datasets.js';
import { renderProgress } from './progress.js';

test('parses LFW pairs.txt into folds of matched then mismatched pairs', () => {
  const text = '2\t2\nA_B\t1\t2\nC\t3\t14\nA_B\t1\tC\t2\nD\t1\tE\t1\nF\t1\t2\nF\t2\t3\nG\t1\tH\t1\nG\t2\tH\t2\n';
  const pairs = parseLfwPairs(text);
  assert.equal(pairs.length, 8);
  assert.deepEqual(pairs[0], {
    fold: 0,
    same: true,
    a: 'lfw/lfw-deepfunneled/A_B/A_B_0001.jpg',
    b: 'lfw/lfw-deepfunneled/A_B/A_B_0002.jpg',
  });
  assert.equal(pairs[1]!.b, 'lfw/lfw-deepfunneled/C/C_0014.jpg');
  assert.deepEqual(
    pairs.map((p) => [p.fold, p.same]),
    [
      [0, true],
      [0, true],
      [0, false],
      [0, false],
      [1, true],
      [1, true],
      [1, false],
      [1, false],
    ],
  );
  assert.throws(() => parseLfwPairs('2\t2\nA\t1\t2\n'), /expected 8 pairs/);
});

test('parses quoted CSV fields', () => {
  const rows = parseCsv('a,b,c\n"x, y","say ""hi""",3\r\nplain,,\n');
  assert.deepEqual(rows, [
    { a: 'x, y', b: 'say "hi"', c: '3' },
    { a: 'plain', b: '', c: '' },
  ]);
});

test('lists asian-faces identities, excludes the Thai identity, reads near-duplicates and cross-source people', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'shiren-ds-'));
  try {
    const base = path.join(root, 'asian-faces');
    const put = (rel: string, body = 'x'): void => {
      mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
      writeFileSync(path.join(base, rel), body);
    };
    put('tapankarnik_kpop_idols/KR_Yeji/1.jpg');
    put('tapankarnik_kpop_idols/KR_Yeji/2.png');
    put('tapankarnik_kpop_idols/KR_Yeji/notes.txt');
    put('tapankarnik_kpop_idols/TH_Lisa/1.jpg');
    put('hannahguo_kpop_idols/KR_ITZY_YEJI/a.jpg');
    put(
      'hannahguo_kpop_idols/near_duplicates_dhash.csv',
      'identity_a,file_a,identity_b,file_b,dhash_hamming,relation\nKR_ITZY_YEJI,a.jpg,KR_ITZY_YEJI,b.jpg,1,same_identity\n',
    );
    put(
      'CROSS_SOURCE_IDENTITIES.csv',
      'person,folder_1,folder_2,folder_3,note\n"Hwang Ye-ji (ITZY)",hannahguo_kpop_idols/KR_ITZY_YEJI,tapankarnik_kpop_idols/KR_Yeji,,x\n',
    );
    const a = listAsianFaces(root);
    assert.deepEqual(
      a.images.map((i) => i.key),
      [
        'asian-faces/hannahguo_kpop_idols/KR_ITZY_YEJI/a.jpg',
        'asian-faces/tapankarnik_kpop_idols/KR_Yeji/1.jpg',
        'asian-faces/tapankarnik_kpop_idols/KR_Yeji/2.png',
      ],
    );
    assert.ok(
      a.nearDuplicates.has(
        pairKey(
          'asian-faces/hannahguo_kpop_idols/KR_ITZY_YEJI/b.jpg',
          'asian-faces/hannahguo_kpop_idols/KR_ITZY_YEJI/a.jpg',
        ),
      ),
    );
    assert.equal(
      a.person.get('asian-faces/hannahguo_kpop_idols/KR_ITZY_YEJI'),
      a.person.get('asian-faces/tapankarnik_kpop_idols/KR_Yeji'),
    );
    assert.deepEqual(hasDatasets(root), { lfw: false, asian: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const ds = (name: string, values: number[]): CalibrationDataset => ({
  name,
  description: name,
  images: 1,
  embedded: 1,
  identities: 1,
  impostorPairs: 1000,
  thresholds: Object.fromEntries(FAR_LEVELS.map((f, i) => [f, values[i]!])) as CalibrationDataset['thresholds'],
});

test('the table takes the stricter threshold per FAR and keeps them strictly increasing', () => {
  const lfw = ds('lfw', [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  const asian = ds('asian', [0.15, 0.18, 0.35, 0.35, 0.45, 0.7]);
  const { thresholds, lifted } = chooseThresholds([lfw, asian]);
  assert.deepEqual(thresholds, { '1e-1': 0.15, '1e-2': 0.2, '1e-3': 0.35, '1e-4': 0.4, '1e-5': 0.5, '1e-6': 0.7 });
  assert.deepEqual(lifted, []);
  const tie = chooseThresholds([ds('x', [0.1, 0.2, 0.3, 0.3, 0.5, 0.6])]);
  assert.equal(tie.thresholds['1e-4'], 0.300001);
  assert.deepEqual(tie.lifted, ['1e-4']);
  const table = buildCalibrationTable({
    id: 't',
    version: 1,
    provisional: false,
    model: 'm',
    pipeline: 'p',
    command: 'c',
    datasets: [lfw, asian],
  });
  assert.equal(scoreFromSimilarity(0.4, table), 70);
  assert.equal(scoreFromSimilarity(0.7, table), 90);
});

test('progress line shows count, rate and ETA', () => {
  assert.equal(renderProgress('emb', 50, 100, 10, 10), 'emb [#####.....] 50/100 50.0% 5.0/s ETA 10s');
  assert.match(renderProgress('emb', 0, 100, 0, 4), /ETA \?$/);
});

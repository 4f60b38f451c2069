import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FAR_LEVELS,
  loadCalibration,
  parseCalibrationTable,
  scoreFromSimilarity,
  scoreThresholds,
  similarityForScore,
  similarityThresholds,
  type CalibrationTable,
} from './calibration.js';

const thresholds = { '1e-1': 0.1, '1e-2': 0.2, '1e-3': 0.3, '1e-4': 0.35, '1e-5': 0.4, '1e-6': 0.5 };
const table: CalibrationTable = parseCalibrationTable({
  id: 'test',
  version: 1,
  provisional: true,
  model: 'test-model',
  pipeline: 'synthetic',
  createdAt: '2026-01-01T00:00:00Z',
  command: 'none',
  rule: 'synthetic',
  thresholds,
  datasets: [{ name: 'synthetic', impostorPairs: 10, thresholds }],
});

test('scores hit 60/70/80/90 exactly at the FAR thresholds, 40/50 below, 0 and 100 at the ends', () => {
  assert.equal(scoreFromSimilarity(0.3, table), 60);
  assert.equal(scoreFromSimilarity(0.35, table), 70);
  assert.equal(scoreFromSimilarity(0.4, table), 80);
  assert.equal(scoreFromSimilarity(0.5, table), 90);
  assert.equal(scoreFromSimilarity(0.2, table), 50);
  assert.equal(scoreFromSimilarity(0.1, table), 40);
  assert.equal(scoreFromSimilarity(-1, table), 0);
  assert.equal(scoreFromSimilarity(1, table), 100);
  assert.equal(scoreFromSimilarity(-3, table), 0);
  assert.equal(scoreFromSimilarity(1.5, table), 100);
  assert.deepEqual(scoreThresholds(table), { '1e-3': 60, '1e-4': 70, '1e-5': 80, '1e-6': 90 });
  assert.deepEqual(similarityThresholds(table), { '1e-3': 0.3, '1e-4': 0.35, '1e-5': 0.4, '1e-6': 0.5 });
});

test('score is linear between anchors, strictly increasing and inverted by similarityForScore', () => {
  assert.ok(Math.abs(scoreFromSimilarity(0.325, table) - 65) < 1e-9);
  assert.ok(Math.abs(scoreFromSimilarity(0.75, table) - 95) < 1e-9);
  let prev = -1;
  for (let s = -1; s <= 1; s += 0.001) {
    const score = scoreFromSimilarity(s, table);
    assert.ok(score > prev, `not increasing at ${s}`);
    prev = score;
    assert.ok(Math.abs(similarityForScore(score, table) - s) < 1e-9);
  }
  for (const far of FAR_LEVELS)
    assert.equal(similarityForScore(scoreFromSimilarity(thresholds[far], table), table), thresholds[far]);
  assert.equal(similarityForScore(70, table), 0.35);
  // just below a threshold stays below its score
  assert.ok(scoreFromSimilarity(0.35 - 1e-9, table) < 70);
});

test('rejects tables whose thresholds do not rise strictly', () => {
  const bad = { ...thresholds, '1e-5': 0.35 };
  assert.throws(() =>
    parseCalibrationTable({ ...table, thresholds: bad, datasets: [{ name: 'x', impostorPairs: 1, thresholds: bad }] }),
  );
  assert.throws(() => parseCalibrationTable({ ...table, thresholds: { ...thresholds, '1e-6': 1 } }));
  assert.throws(() => parseCalibrationTable({ ...table, command: '' }));
});

test('loads the shipped faceplugin table and rejects unknown ids', () => {
  const t = loadCalibration('faceplugin-fr_feature');
  assert.equal(t.model, 'faceplugin-fr_feature');
  assert.equal(scoreFromSimilarity(t.thresholds['1e-4'], t), 70);
  assert.throws(() => loadCalibration('../../etc/passwd'), /No score calibration table/);
});

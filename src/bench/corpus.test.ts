import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  buildCorpus,
  genuineSimilarities,
  identityCount,
  impostorStats,
  labelSuspects,
  subCorpus,
  topImpostorPairs,
} from './corpus.js';
import { pairKey, type BenchImage } from './datasets.js';
import { EmbeddingCache } from './embed-all.js';
import { mergeReviewed } from './reviewed-labels.js';

const unit = (angle: number): Float32Array => Float32Array.from([Math.cos(angle), Math.sin(angle), 0, 0]);

test('corpus: cache round trip, cross-source people are not impostors, near-duplicates are not genuine pairs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shiren-cache-'));
  try {
    const img = (set: string, id: string, f: string): BenchImage => ({
      file: `/x/${set}/${id}/${f}`,
      key: `asian-faces/${set}/${id}/${f}`,
      identity: `asian-faces/${set}/${id}`,
      set,
    });
    const images = [
      img('a', 'P', '1.jpg'),
      img('a', 'P', '2.jpg'),
      img('a', 'P', '3.jpg'),
      img('b', 'P2', '1.jpg'),
      img('b', 'Q', '1.jpg'),
      img('b', 'R', '1.jpg'),
    ];
    const cache = new EmbeddingCache(dir, 'k', 4);
    const angles = [0, 0.1, 0.2, 0.05, 1.5, 3];
    images.forEach((im, i) =>
      i === 5
        ? cache.put(im.key, undefined, { reason: 'face_not_found', ms: 1 })
        : cache.put(im.key, unit(angles[i]!), { ms: 1 }),
    );
    cache.save();
    const reloaded = new EmbeddingCache(dir, 'k', 4);
    assert.deepEqual(reloaded.get(images[1]!.key), unit(0.1));
    assert.equal(reloaded.entries.get(images[5]!.key)!.reason, 'face_not_found');
    assert.deepEqual(new EmbeddingCache(dir, 'other-pipeline', 4).entries.size, 0);

    // P (folder a) and P2 (folder b) are the same person
    const person = (id: string): string => (id.endsWith('/P2') ? 'asian-faces/a/P' : id);
    const c = buildCorpus(images, reloaded, person);
    assert.equal(c.images.length, 5);
    assert.deepEqual(c.failures, { face_not_found: 1 });
    assert.equal(identityCount(c), 2);
    // impostors: only pairs with Q: 4 (P×3, P2)
    assert.equal(impostorStats(c).total, 4);
    // genuine: within identity P of folder a: 3 pairs, one of which is a near-duplicate
    const dups = new Set([pairKey(images[0]!.key, images[1]!.key)]);
    const gen = genuineSimilarities(c, dups);
    assert.equal(gen.length, 2);
    assert.ok(Math.abs(gen[0]! - Math.cos(0.2)) < 1e-6);
    const top = topImpostorPairs(c, 1);
    assert.equal(top[0]!.b, images[4]!.key);
    assert.ok(Math.abs(top[0]!.similarity - Math.cos(1.3)) < 1e-6);
    assert.equal(subCorpus(c, (i) => i.set === 'b').images.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reviewed same-person pairs are merged into one person, also across existing groups', () => {
  const person = new Map([
    ['asian-faces/x/A', 'person:1'],
    ['asian-faces/y/A', 'person:1'],
    ['asian-faces/z/B', 'person:2'],
  ]);
  mergeReviewed(person, [
    { a: 'x/A', b: 'z/B', why: 'test' },
    { a: 'w/C', b: 'w/D', why: 'test' },
  ]);
  assert.equal(person.get('asian-faces/z/B'), 'person:1');
  assert.equal(person.get('asian-faces/y/A'), 'person:1');
  assert.equal(person.get('asian-faces/w/C'), person.get('asian-faces/w/D'));
  assert.notEqual(person.get('asian-faces/w/C'), 'person:1');
});

test('labelSuspects flags an image that is closer to another identity of its folder', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shiren-cache-'));
  try {
    const cache = new EmbeddingCache(dir, 'k', 4);
    const images: BenchImage[] = [];
    const add = (id: string, n: number, angle: number): void => {
      const im: BenchImage = {
        file: '',
        key: `asian-faces/s/${id}/${n}.jpg`,
        identity: `asian-faces/s/${id}`,
        set: 's',
      };
      images.push(im);
      cache.put(im.key, unit(angle), { ms: 1 });
    };
    [0, 0.05, 0.1].forEach((a, i) => add('A', i, a));
    [1.5, 1.55, 1.6].forEach((a, i) => add('B', i, a));
    add('A', 9, 1.52); // filed under A, looks like B
    const suspects = labelSuspects(buildCorpus(images, cache));
    assert.deepEqual(
      suspects.map((s) => [s.key, s.other]),
      [['asian-faces/s/A/9.jpg', 'asian-faces/s/B']],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

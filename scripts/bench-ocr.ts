/**
 * ID-card OCR benchmark on synthetic cards (src/verify/identity/ocr/card-synth.ts): per-field exact-match and
 * character accuracy, cards with every field right, false reason codes on consistent cards, and time per image.
 *
 *   npx tsx scripts/bench-ocr.ts --cards 100 [--seed 1] [--working-side 1024] [--threads 1] [--clean] [--show-errors]
 *
 * Every card gets a front and a back; times are the worker's (decode + detection + recognition) per image,
 * rendering excluded.
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { renderBack, renderFront, rng, synthPerson, type SynthPerson } from '../src/verify/identity/ocr/card-synth.js';
import { birthDateOf, createIdCardOcr } from '../src/verify/identity/ocr/index.js';

const { values } = parseArgs({
  options: {
    cards: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    'working-side': { type: 'string', default: '1024' },
    threads: { type: 'string', default: '1' },
    clean: { type: 'boolean', default: false },
    'show-errors': { type: 'boolean', default: false },
  },
});
const cards = Number(values.cards);
const seed = Number(values.seed);
const TODAY = '2026-06-01';

/** Levenshtein distance over code points. */
function distance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

type Field =
  'name' | 'sex' | 'ethnicity' | 'birthDate' | 'address' | 'idNumber' | 'authority' | 'validFrom' | 'validTo';
const FIELDS: Field[] = [
  'name',
  'sex',
  'ethnicity',
  'birthDate',
  'address',
  'idNumber',
  'authority',
  'validFrom',
  'validTo',
];
const stats = new Map<Field, { exact: number; chars: number; charErrors: number; missing: number }>(
  FIELDS.map((f) => [f, { exact: 0, chars: 0, charErrors: 0, missing: 0 }]),
);

const ocr = await createIdCardOcr({
  workingSide: Number(values['working-side']),
  threads: Number(values.threads),
  now: () => new Date(`${TODAY}T00:00:00Z`),
});
const times: number[] = [];
let allRight = 0;
let falseReasons = 0;
const falseCodes = new Map<string, number>();
const r = rng(seed);
const t0 = performance.now();
for (let i = 0; i < cards; i++) {
  const person: SynthPerson = synthPerson(r, { today: TODAY });
  const front = await renderFront(person, { seed: seed * 100_000 + 2 * i, clean: values.clean });
  const back = await renderBack(person, { seed: seed * 100_000 + 2 * i + 1, clean: values.clean });
  const f = await ocr.readFront(front);
  const b = await ocr.readBack(back, { birthDate: birthDateOf(f) });
  times.push(f.durationMs, b.durationMs);
  const read: Partial<Record<Field, string>> = { ...f.fields, ...b.fields };
  let right = true;
  for (const field of FIELDS) {
    const s = stats.get(field)!;
    const truth = person[field];
    const got = read[field];
    if (got === undefined) s.missing++;
    if (got === truth) s.exact++;
    else {
      right = false;
      // Synthetic people only: printing their fields is harmless.
      if (values['show-errors'])
        process.stderr.write(`card ${i} ${field}: read ${JSON.stringify(got)}, printed ${JSON.stringify(truth)}\n`);
    }
    s.chars += [...truth].length;
    s.charErrors += Math.min([...truth].length, distance(got ?? '', truth));
  }
  if (right) allRight++;
  const reasons = [...f.reasons, ...b.reasons];
  if (reasons.length > 0) falseReasons++;
  for (const x of reasons) falseCodes.set(x.code, (falseCodes.get(x.code) ?? 0) + 1);
  if ((i + 1) % 10 === 0) process.stderr.write(`${i + 1}/${cards} cards\n`);
}
const wall = (performance.now() - t0) / 1000;
await ocr.close();

const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)} %`;
const sorted = [...times].sort((a, b) => a - b);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(0);

console.log(
  `ID-card OCR on ${cards} synthetic cards (${2 * cards} images), seed ${seed}, working side ${values['working-side']}, ` +
    `${values.threads} onnx thread(s)${values.clean ? ', clean renders' : ''}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`,
);
console.log('');
console.log('| field | exact match | character accuracy | not read |');
console.log('| --- | --- | --- | --- |');
for (const field of FIELDS) {
  const s = stats.get(field)!;
  console.log(`| ${field} | ${pct(s.exact, cards)} | ${pct(s.chars - s.charErrors, s.chars)} | ${s.missing} |`);
}
console.log('');
console.log(`cards with all 9 fields exact: ${allRight}/${cards} (${pct(allRight, cards)})`);
console.log(
  `consistent cards given any reason code: ${falseReasons}/${cards}` +
    (falseCodes.size ? ` (${[...falseCodes].map(([c, n]) => `${c} ×${n}`).join(', ')})` : ''),
);
console.log(`time per image (worker): p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`);
console.log(`wall time including rendering: ${wall.toFixed(1)} s`);

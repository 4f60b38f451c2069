/**
 * Evaluates passive liveness on the small public sample set in ../shared/datasets/antispoof-samples.
 *
 *   npx tsx scripts/eval-liveness.ts [--data DIR] [--threshold T] [--scale 2.7] [--channels rgb|bgr] [--json]
 *
 * Faces of the full frames come from the engine's detector (createFacePipeline().locate, largest face); the
 * minivision frames are rotated 90° clockwise first (they are portrait frames stored landscape). The
 * pyimagesearch-style crops are already tight face crops from the source dataset, so the whole crop is the box.
 * Exits 0 with a message when the data directory is absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createFacePipeline } from '../src/engine/pipeline.js';
import { createLivenessScorer, DEFAULT_LIVENESS_THRESHOLD } from '../src/engine/liveness.js';
import type { DetectedFace, RgbImage } from '../src/engine/types.js';

type Kind = 'live' | 'print' | 'replay' | 'disguise' | 'deepfake';

interface Sample {
  set: 'frames' | 'crops';
  file: string;
  kind: Kind;
  rotate: 0 | 90;
}

const { values: args } = parseArgs({
  options: {
    data: {
      type: 'string',
      default: resolve('../shared/datasets/antispoof-samples'),
    },
    threshold: { type: 'string' },
    scale: { type: 'string', default: '2.7' },
    channels: { type: 'string', default: 'rgb' },
    json: { type: 'boolean', default: false },
  },
});

const dataDir = resolve(args.data!);
if (!existsSync(dataDir)) {
  console.log(`eval-liveness: data directory ${dataDir} not found; nothing to evaluate.`);
  process.exit(0);
}
const channels = args.channels === 'bgr' ? 'bgr' : 'rgb';
const scale = Number(args.scale);

/** Frame labels come from the dataset's SOURCE.md (folder names of the source repositories). */
const FRAMES: Sample[] = [
  {
    set: 'frames',
    file: 'minivision-silent-face/live/image_T1.jpg',
    kind: 'live',
    rotate: 90,
  },
  { set: 'frames', file: 'doubango/live/genuine.jpg', kind: 'live', rotate: 0 },
  {
    set: 'frames',
    file: 'minivision-silent-face/attack/image_F1.jpg',
    kind: 'print',
    rotate: 90,
  },
  {
    set: 'frames',
    file: 'minivision-silent-face/attack/image_F2.jpg',
    kind: 'replay',
    rotate: 90,
  },
  {
    set: 'frames',
    file: 'doubango/attack/spoof.jpg',
    kind: 'replay',
    rotate: 0,
  },
  {
    set: 'frames',
    file: 'insightface-inspireface/attack/rgb_fake.jpg',
    kind: 'replay',
    rotate: 0,
  },
  {
    set: 'frames',
    file: 'doubango/attack_disguise/disguise.jpg',
    kind: 'disguise',
    rotate: 0,
  },
  {
    set: 'frames',
    file: 'doubango/deepfake/deepfake.jpg',
    kind: 'deepfake',
    rotate: 0,
  },
];

function listCrops(): Sample[] {
  const out: Sample[] = [];
  for (const [folder, kind] of [
    ['real', 'live'],
    ['fake', 'replay'],
  ] as const) {
    const dir = join(dataDir, 'pyimagesearch-style-apfol', folder);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (/\.(png|jpe?g)$/i.test(f))
        out.push({
          set: 'crops',
          file: join('pyimagesearch-style-apfol', folder, f),
          kind,
          rotate: 0,
        });
    }
  }
  return out;
}

async function decode(path: string, rotate: 0 | 90): Promise<{ bytes: Uint8Array; rgb: RgbImage }> {
  const pipeline = sharp(readFileSync(path)).rotate().rotate(rotate);
  const png = await pipeline.png().toBuffer();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    bytes: new Uint8Array(png),
    rgb: {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    },
  };
}

interface Row extends Sample {
  score: number | null;
  note?: string;
}

const samples = [...FRAMES.filter((s) => existsSync(join(dataDir, s.file))), ...listCrops()];
const pipeline = await createFacePipeline({
  tryRotations: false,
  minFaceSize: 20,
  limits: { maxImageBytes: 64 << 20 },
});
const scorer = await createLivenessScorer({
  cropScale: scale,
  channelOrder: channels,
  ...(args.threshold ? { threshold: Number(args.threshold) } : {}),
});
const threshold = scorer.threshold;

const rows: Row[] = [];
for (const s of samples) {
  const { bytes, rgb } = await decode(join(dataDir, s.file), s.rotate);
  let face: DetectedFace;
  let image = rgb;
  if (s.set === 'frames') {
    try {
      const located = await pipeline.locate(bytes);
      face = located.faces[0]!;
      image = located.rgb;
    } catch (err) {
      rows.push({
        ...s,
        score: null,
        note: `no face: ${(err as Error).message}`,
      });
      continue;
    }
  } else {
    face = {
      box: { x: 0, y: 0, width: rgb.width, height: rgb.height },
      score: 1,
      landmarks5: [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    };
  }
  const r = await scorer.score(image, face);
  rows.push({ ...s, score: r.score });
}
await Promise.all([scorer.close(), pipeline.close()]);

function auc(pos: number[], neg: number[]): number {
  let s = 0;
  for (const p of pos) for (const n of neg) s += p > n ? 1 : p === n ? 0.5 : 0;
  return pos.length && neg.length ? s / (pos.length * neg.length) : NaN;
}

const pct = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)}% (${k}/${n})` : 'n/a');
const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(3));

console.log(`# Passive liveness evaluation`);
console.log(
  `model ${scorer.info.version}, threshold ${threshold} (default ${DEFAULT_LIVENESS_THRESHOLD}), data ${dataDir}\n`,
);
console.log('## Full frames (face from the engine detector)\n');
console.log('| file | label | live score | decision |');
console.log('|---|---|---|---|');
for (const r of rows.filter((x) => x.set === 'frames')) {
  const decision = r.score === null ? r.note : r.score >= threshold ? 'live' : 'spoof';
  console.log(`| ${r.file} | ${r.kind} | ${fmt(r.score)} | ${decision} |`);
}

for (const set of ['frames', 'crops', 'all'] as const) {
  const rs = rows.filter((r) => (set === 'all' || r.set === set) && r.score !== null) as (Row & { score: number })[];
  if (!rs.length) continue;
  console.log(`\n## Error rates — ${set} (threshold ${threshold})\n`);
  console.log('| class | n | error | metric |');
  console.log('|---|---|---|---|');
  const live = rs.filter((r) => r.kind === 'live');
  console.log(
    `| live (bona fide) | ${live.length} | ${pct(live.filter((r) => r.score < threshold).length, live.length)} | BPCER |`,
  );
  for (const kind of ['print', 'replay', 'disguise', 'deepfake'] as const) {
    const a = rs.filter((r) => r.kind === kind);
    if (a.length)
      console.log(`| ${kind} | ${a.length} | ${pct(a.filter((r) => r.score >= threshold).length, a.length)} | APCER |`);
  }
  const attacks = rs.filter((r) => r.kind !== 'live' && r.kind !== 'deepfake');
  console.log(
    `| all presentation attacks | ${attacks.length} | ${pct(attacks.filter((r) => r.score >= threshold).length, attacks.length)} | APCER |`,
  );
  console.log(
    `\nAUC live vs presentation attacks: ${auc(
      live.map((r) => r.score),
      attacks.map((r) => r.score),
    ).toFixed(3)}; mean live score: live ${mean(live)} / attacks ${mean(attacks)}`,
  );
}

function mean(rs: { score: number }[]): string {
  return rs.length ? (rs.reduce((a, r) => a + r.score, 0) / rs.length).toFixed(3) : 'n/a';
}

// Threshold sweep on all scored samples (presentation attacks only; deepfake is not a presentation attack).
const scored = rows.filter((r) => r.score !== null) as (Row & {
  score: number;
})[];
const liveAll = scored.filter((r) => r.kind === 'live');
const attAll = scored.filter((r) => r.kind !== 'live' && r.kind !== 'deepfake');
console.log('\n## Threshold sweep (frames + crops)\n');
console.log('| threshold | BPCER | APCER |');
console.log('|---|---|---|');
for (const t of [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) {
  console.log(
    `| ${t} | ${pct(liveAll.filter((r) => r.score < t).length, liveAll.length)} | ${pct(attAll.filter((r) => r.score >= t).length, attAll.length)} |`,
  );
}
if (args.json) console.log('\n' + JSON.stringify(rows, null, 1));

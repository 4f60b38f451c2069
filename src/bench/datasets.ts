/**
 * Loaders for the benchmark datasets under `../shared/datasets` (never copied into the repo): LFW (deep-funneled
 * images + the 10-fold `pairs.txt` protocol) and the East-Asian `asian-faces` folders (identity labels, near-duplicate
 * pairs that must not be used as genuine pairs, and people who appear in several folders).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface BenchImage {
  /** Absolute path. */
  file: string;
  /** Path relative to the datasets root (the cache key). */
  key: string;
  /** Dataset-unique identity, e.g. `lfw/Aaron_Peirsol` or `asian-faces/shozend_nogizaka46/JP_N46_IkutaErika`. */
  identity: string;
  /** `lfw` or the asian-faces folder name. */
  set: string;
}

export interface LfwPair {
  fold: number;
  same: boolean;
  a: string;
  b: string;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|gif|jfif)$/i;

/** Parses LFW `pairs.txt` (first line: folds and pairs per class) into image keys relative to the datasets root. */
export function parseLfwPairs(text: string, imageDir = 'lfw/lfw-deepfunneled'): LfwPair[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines.shift()?.trim().split(/\s+/).map(Number);
  if (!header || header.length !== 2 || header.some((n) => !Number.isInteger(n))) {
    throw new Error('pairs.txt: bad header');
  }
  const [folds, per] = header as [number, number];
  const file = (name: string, n: string): string => `${imageDir}/${name}/${name}_${n.padStart(4, '0')}.jpg`;
  if (lines.length !== folds * per * 2)
    throw new Error(`pairs.txt: expected ${folds * per * 2} pairs, got ${lines.length}`);
  return lines.map((line, i) => {
    const f = line.trim().split(/\s+/);
    const fold = Math.floor(i / (2 * per));
    if (f.length === 3) return { fold, same: true, a: file(f[0]!, f[1]!), b: file(f[0]!, f[2]!) };
    if (f.length === 4)
      return {
        fold,
        same: false,
        a: file(f[0]!, f[1]!),
        b: file(f[2]!, f[3]!),
      };
    throw new Error(`pairs.txt line ${i + 2}: ${line}`);
  });
}

function sortedDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

function sortedImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => IMAGE_EXT.test(f))
    .sort();
}

/** Every LFW deep-funneled image, grouped by person. */
export function listLfw(root: string): BenchImage[] {
  const base = path.join(root, 'lfw', 'lfw-deepfunneled');
  const out: BenchImage[] = [];
  for (const person of sortedDirs(base)) {
    for (const f of sortedImages(path.join(base, person))) {
      out.push({
        file: path.join(base, person, f),
        key: `lfw/lfw-deepfunneled/${person}/${f}`,
        identity: `lfw/${person}`,
        set: 'lfw',
      });
    }
  }
  return out;
}

export function readLfwPairs(root: string): LfwPair[] {
  return parseLfwPairs(readFileSync(path.join(root, 'lfw', 'protocol', 'pairs.txt'), 'utf8'));
}

/** Minimal RFC-4180 CSV parser (quoted fields, doubled quotes). */
export function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [head, ...body] = rows.filter((r) => r.length > 1 || r[0] !== '');
  if (!head) return [];
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ''])));
}

export interface AsianFaces {
  images: BenchImage[];
  /** Unordered near-duplicate image key pairs (`a|b` with a < b): never genuine pairs. */
  nearDuplicates: Set<string>;
  /** identity → person id for identities listed together in CROSS_SOURCE_IDENTITIES.csv (same person). */
  person: Map<string, string>;
  /** Folders read, in order. */
  folders: string[];
}

/** Folders whose identities are not East Asian (excluded from the East-Asian-only set). */
export const NON_EAST_ASIAN = new Set(['tapankarnik_kpop_idols/TH_Lisa', 'weiming_kpop_singletons/TH_lisa']);

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Every image of every `asian-faces` folder (non-East-Asian identities excluded), with the pair exclusions. */
export function listAsianFaces(root: string): AsianFaces {
  const base = path.join(root, 'asian-faces');
  const folders = sortedDirs(base);
  const images: BenchImage[] = [];
  const nearDuplicates = new Set<string>();
  for (const folder of folders) {
    for (const id of sortedDirs(path.join(base, folder))) {
      if (NON_EAST_ASIAN.has(`${folder}/${id}`)) continue;
      for (const f of sortedImages(path.join(base, folder, id))) {
        images.push({
          file: path.join(base, folder, id, f),
          key: `asian-faces/${folder}/${id}/${f}`,
          identity: `asian-faces/${folder}/${id}`,
          set: folder,
        });
      }
    }
    const dupFile = path.join(base, folder, 'near_duplicates_dhash.csv');
    if (existsSync(dupFile)) {
      for (const r of parseCsv(readFileSync(dupFile, 'utf8'))) {
        const a = `asian-faces/${folder}/${r.identity_a}/${r.file_a}`;
        const b = `asian-faces/${folder}/${r.identity_b}/${r.file_b}`;
        nearDuplicates.add(pairKey(a, b));
      }
    }
  }
  const person = new Map<string, string>();
  const crossFile = path.join(base, 'CROSS_SOURCE_IDENTITIES.csv');
  if (existsSync(crossFile)) {
    for (const r of parseCsv(readFileSync(crossFile, 'utf8'))) {
      const members = [r.folder_1, r.folder_2, r.folder_3].filter((f): f is string => !!f);
      for (const m of members) person.set(`asian-faces/${m}`, `person:${r.person}`);
    }
  }
  return { images, nearDuplicates, person, folders };
}

/** True when `dir` looks like the shared datasets root. */
export function hasDatasets(dir: string): { lfw: boolean; asian: boolean } {
  const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
  return {
    lfw: isDir(path.join(dir, 'lfw', 'lfw-deepfunneled')) && existsSync(path.join(dir, 'lfw', 'protocol', 'pairs.txt')),
    asian: isDir(path.join(dir, 'asian-faces')),
  };
}

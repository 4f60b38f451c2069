/**
 * Offline checks of identity document numbers: GB 11643 citizen identity numbers (18 characters, and the
 * first-generation 15-digit form), the residence permits of Hong Kong, Macau and Taiwan residents, the 2023
 * foreigner's permanent residence ID card, ID card validity periods, and the format of the travel permits.
 * Nothing here proves that a person exists or that the document was issued: see docs/identity.md.
 */
import { gb11643CheckChar, upgrade15To18 } from './gb11643.js';
import { lookupRegion, regionFullName } from './regions.js';
import type { RuleReason, RuleWarning } from './codes.js';
import { compact, result, type RuleResult } from './result.js';

export type IdKind = 'mainland' | 'mainland15' | 'hk_macau_tw_residence' | 'foreigner_permanent';

export interface IdNumberInfo {
  kind: IdKind;
  /** YYYY-MM-DD. */
  birthDate?: string;
  sex?: 'M' | 'F';
  regionCode?: string;
  /** Full name of the address code ("广东省汕头市潮阳县"), current or historic. */
  regionName?: string;
  regionRetired?: boolean;
  /** For a 15-digit number: the 18-character number it became. */
  upgraded18?: string;
  /** For a foreigner's permanent residence number: the numeric ISO 3166-1 nationality code (digits 4–6). */
  nationalityCode?: string;
}

/** Earliest birth year accepted: the GB 11643 example itself is a person born in 1880. */
const MIN_BIRTH_YEAR = 1850;

/** A real calendar date "YYYYMMDD" → "YYYY-MM-DD", or undefined (e.g. 19990229, 20231301). */
export function calendarDate(yyyymmdd: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(yyyymmdd);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Today's date in China (UTC+8) as YYYY-MM-DD: birth dates and validity periods are Beijing-time dates. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

function birthDateOk(iso: string | undefined, at: Date): iso is string {
  return iso !== undefined && Number(iso.slice(0, 4)) >= MIN_BIRTH_YEAR && iso <= chinaDate(at);
}

const RESIDENCE_PERMIT_REGIONS: Record<string, string> = {
  '810000': '香港特别行政区',
  '820000': '澳门特别行政区',
  '830000': '台湾',
};

/**
 * Checks an identity number. Accepted forms (case, spaces and hyphens ignored; "x" means "X"):
 * - 18 characters starting 1–8: a citizen identity number (address code, birth date, sequence, MOD 11-2 check);
 *   810000/820000/830000 as address code: a residence permit of Hong Kong/Macau/Taiwan residents;
 * - 18 characters starting 9: the 2023 foreigner's permanent residence number;
 * - 15 digits: a first-generation number (no check character), upgraded to 18 in `info.upgraded18`.
 */
export function checkIdNumber(value: string, opts: { at?: Date } = {}): RuleResult<IdNumberInfo> {
  const at = opts.at ?? new Date();
  const v = compact(value);
  const reasons: RuleReason[] = [];
  const warnings: RuleWarning[] = [];

  if (/^\d{15}$/.test(v)) {
    const info: IdNumberInfo = { kind: 'mainland15' };
    if (!/^[1-8]/.test(v)) reasons.push('id_format_invalid');
    const birth = calendarDate('19' + v.slice(6, 12));
    if (birthDateOk(birth, at)) info.birthDate = birth;
    else reasons.push('id_birth_date_invalid');
    info.sex = Number(v[14]) % 2 === 1 ? 'M' : 'F';
    if (reasons.length === 0) {
      info.upgraded18 = upgrade15To18(v)!;
      describeRegion(v.slice(0, 6), info, warnings);
    }
    warnings.push('id_first_generation');
    return result(reasons, warnings, info, v);
  }

  if (!/^\d{17}[\dX]$/.test(v)) return result(['id_format_invalid'], [], { kind: 'mainland' }, undefined);

  if (v.startsWith('9')) {
    const info: IdNumberInfo = { kind: 'foreigner_permanent', nationalityCode: v.slice(3, 6) };
    if (gb11643CheckChar(v.slice(0, 17)) !== v[17]) reasons.push('id_checksum_invalid');
    const birth = calendarDate(v.slice(6, 14));
    if (birthDateOk(birth, at)) info.birthDate = birth;
    else reasons.push('id_birth_date_invalid');
    // Digits 2–3: the province of the office that accepted the application.
    const province = lookupRegion(v.slice(1, 3) + '0000');
    if (province) {
      info.regionCode = province.code;
      info.regionName = province.name;
      info.regionRetired = province.retired;
    } else warnings.push('id_region_unknown');
    return result(reasons, warnings, info, v);
  }

  const regionCode = v.slice(0, 6);
  const info: IdNumberInfo = { kind: RESIDENCE_PERMIT_REGIONS[regionCode] ? 'hk_macau_tw_residence' : 'mainland' };
  if (v.startsWith('0')) reasons.push('id_format_invalid');
  if (gb11643CheckChar(v.slice(0, 17)) !== v[17]) reasons.push('id_checksum_invalid');
  const birth = calendarDate(v.slice(6, 14));
  if (birthDateOk(birth, at)) info.birthDate = birth;
  else reasons.push('id_birth_date_invalid');
  info.sex = Number(v[16]) % 2 === 1 ? 'M' : 'F';
  if (info.kind === 'hk_macau_tw_residence') {
    info.regionCode = regionCode;
    info.regionName = RESIDENCE_PERMIT_REGIONS[regionCode];
    info.regionRetired = false;
  } else if (!v.startsWith('0')) describeRegion(regionCode, info, warnings);
  return result(reasons, warnings, info, v);
}

function describeRegion(code: string, info: IdNumberInfo, warnings: RuleWarning[]): void {
  info.regionCode = code;
  const region = lookupRegion(code);
  if (!region) {
    warnings.push('id_region_unknown');
    return;
  }
  info.regionName = regionFullName(code);
  info.regionRetired = region.retired;
  if (region.retired) warnings.push('id_region_retired');
}

// ---------------------------------------------------------------------------------------------------------------
// Validity periods

export interface IdValidityInfo {
  start?: string;
  end?: string;
  /** Whole years of age on the start date. */
  ageAtIssue?: number;
  /** The term the law gives for that age: 5, 10, 20 years or "long_term" (长期). */
  expectedTerm?: 5 | 10 | 20 | 'long_term';
  /** The term the period shows. */
  actualTerm?: number | 'long_term';
  expired?: boolean;
}

const LONG_TERM = new Set(['长期', 'LONGTERM', 'LONG_TERM', '长期有效']);

/** "2015.03.07", "2015-03-07", "20150307" → "2015-03-07" when it is a real date. */
function parseDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const digits = value.trim().replace(/[.\-/年月日\s]/g, '');
  return calendarDate(digits);
}

function addYears(iso: string, years: number): string[] {
  const y = Number(iso.slice(0, 4)) + years;
  const md = iso.slice(5);
  // A period starting on 29 February ends on 28 February or 1 March when the end year is not a leap year.
  if (md === '02-29' && !calendarDate(`${y}0229`)) return [`${y}-02-28`, `${y}-03-01`];
  return [`${y}-${md}`];
}

/** Whole years from birth to a date (both YYYY-MM-DD). */
export function ageOn(birth: string, on: string): number {
  let age = Number(on.slice(0, 4)) - Number(birth.slice(0, 4));
  if (on.slice(5) < birth.slice(5)) age--;
  return age;
}

/**
 * The validity period the Resident Identity Card Law (art. 5) gives a card issued at this age: under 16 → 5 years,
 * 16–25 → 10, 26–45 → 20, 46 and over → long-term.
 */
export function validityYearsForAge(age: number): 5 | 10 | 20 | 'long_term' {
  if (age < 16) return 5;
  if (age <= 25) return 10;
  if (age <= 45) return 20;
  return 'long_term';
}

/**
 * Checks a resident ID card's validity period (有效期限) against the holder's birth date, by the Resident Identity
 * Card Law art. 5: under 16 at issue → 5 years; 16–25 → 10 years; 26–45 → 20 years; 46 and over → 长期 (long-term).
 * Dates may be written 2015.03.07, 2015-03-07 or 20150307. An expired period is a warning (`validity_expired`):
 * whether an expired card is acceptable is the caller's decision.
 */
export function checkIdValidity(
  period: { start: string; end: string | '长期' },
  birthDate: string,
  opts: { at?: Date } = {},
): RuleResult<IdValidityInfo> {
  const reasons: RuleReason[] = [];
  const warnings: RuleWarning[] = [];
  const info: IdValidityInfo = {};
  const birth = parseDate(birthDate);
  const start = parseDate(period.start);
  const longTerm = LONG_TERM.has(compact(period.end));
  const end = longTerm ? undefined : parseDate(period.end);
  if (!birth || !start || (!longTerm && !end)) return result(['validity_date_invalid'], [], info);
  info.start = start;
  info.end = longTerm ? '长期' : end;
  if (start < birth || (end !== undefined && end <= start)) return result(['validity_date_invalid'], [], info);

  const today = chinaDate(opts.at ?? new Date());
  if (start > today) reasons.push('validity_start_in_future');
  const age = ageOn(birth, start);
  info.ageAtIssue = age;
  info.expectedTerm = validityYearsForAge(age);
  if (longTerm) info.actualTerm = 'long_term';
  else {
    const years = Number(end!.slice(0, 4)) - Number(start.slice(0, 4));
    info.actualTerm = years;
  }
  const matches =
    info.expectedTerm === 'long_term' ? longTerm : !longTerm && addYears(start, info.expectedTerm).includes(end!);
  if (!matches) reasons.push('validity_period_mismatch');
  info.expired = !longTerm && end! < today;
  if (info.expired) warnings.push('validity_expired');
  return result(reasons, warnings, info);
}

// ---------------------------------------------------------------------------------------------------------------
// Travel permits (format only: there is no check character to verify)

export type TravelPermitDocument =
  | 'hk_macau_home_return_permit'
  | 'mainland_hk_macau_travel_permit'
  | 'taiwan_compatriot_permit'
  | 'mainland_taiwan_travel_permit';

export interface TravelPermitInfo {
  document?: TravelPermitDocument;
  /** For a Home Return Permit: H (Hong Kong) or M (Macau) resident. */
  residentOf?: 'hong_kong' | 'macau';
}

/**
 * Checks the format of a travel permit number. `hk_macau` accepts the Home Return Permit of Hong Kong/Macau
 * residents (港澳居民来往内地通行证: H or M + 8 digits, or + 10 digits on the card form whose last two digits count
 * the issues) and the mainland residents' permit to Hong Kong and Macau (往来港澳通行证: C + 8 characters, digits
 * or a letter then digits). `taiwan` accepts the Taiwan compatriot permit (台湾居民来往大陆通行证: 8 digits, or 10 on
 * older booklets, sometimes with a letter in brackets) and the mainland residents' permit to Taiwan (大陆居民往来台湾通行证: L + 8 digits).
 */
export function checkTravelPermit(value: string, kind: 'hk_macau' | 'taiwan'): RuleResult<TravelPermitInfo> {
  const v = compact(value).replace(/[()（）]/g, '');
  const info: TravelPermitInfo = {};
  if (kind === 'hk_macau') {
    if (/^[HM](\d{8}|\d{10})$/.test(v)) {
      info.document = 'hk_macau_home_return_permit';
      info.residentOf = v.startsWith('H') ? 'hong_kong' : 'macau';
    } else if (/^C[A-HJ-NP-Z0-9]\d{7}$/.test(v)) info.document = 'mainland_hk_macau_travel_permit';
  } else if (kind === 'taiwan') {
    if (/^(\d{8}|\d{10}[A-Z]?)$/.test(v)) info.document = 'taiwan_compatriot_permit';
    else if (/^L\d{8}$/.test(v)) info.document = 'mainland_taiwan_travel_permit';
  } else {
    return result(['permit_kind_unknown'], [], info);
  }
  if (!info.document) return result(['permit_format_invalid'], [], info);
  return result([], [], info, v);
}

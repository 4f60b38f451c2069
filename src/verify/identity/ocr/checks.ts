/**
 * Cross-field checks of a read card, reported as OCR reason codes (types.ts OCR_REASONS). Pure functions: the
 * OCR service runs them on every read, and callers holding both sides may run checkBack again with the front's
 * birth date.
 */
import { ageOn, calendarDate, validityYearsForAge } from '../rules/id-number.js';
import { decodeMainlandId } from './id-number.js';
import type { IdCardBackFields, IdCardFrontFields, OcrReason } from './types.js';

const FRONT_KEYS: (keyof IdCardFrontFields)[] = ['name', 'sex', 'ethnicity', 'birthDate', 'address', 'idNumber'];
const BACK_KEYS: (keyof IdCardBackFields)[] = ['authority', 'validFrom', 'validTo'];

function isIsoCalendarDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && calendarDate(s.replaceAll('-', '')) !== undefined;
}

function todayIso(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function checkFront(fields: Partial<IdCardFrontFields>, now: Date = new Date()): OcrReason[] {
  const reasons: OcrReason[] = [];
  const missing = FRONT_KEYS.filter((k) => fields[k] === undefined);
  if (missing.length > 0) reasons.push({ code: 'ocr_field_missing', fields: missing });

  const printedBirthOk =
    fields.birthDate !== undefined && isIsoCalendarDate(fields.birthDate) && fields.birthDate <= todayIso(now);
  if (fields.birthDate !== undefined && !printedBirthOk)
    reasons.push({ code: 'ocr_birth_date_invalid', fields: ['birthDate'] });

  if (fields.idNumber !== undefined) {
    const info = decodeMainlandId(fields.idNumber);
    if (!info || info.birthDate === null) {
      reasons.push({ code: 'ocr_number_format_invalid', fields: ['idNumber'] });
    }
    if (info && !info.checksumOk) reasons.push({ code: 'ocr_number_checksum_invalid', fields: ['idNumber'] });
    if (info?.birthDate && fields.birthDate !== undefined && info.birthDate !== fields.birthDate)
      reasons.push({ code: 'ocr_birth_mismatch', fields: ['birthDate', 'idNumber'] });
    if (info && fields.sex !== undefined && info.sex !== fields.sex)
      reasons.push({ code: 'ocr_sex_mismatch', fields: ['sex', 'idNumber'] });
  }
  return reasons;
}

function addYears(iso: string, years: number): string {
  const y = Number(iso.slice(0, 4)) + years;
  return `${String(y).padStart(4, '0')}${iso.slice(4)}`;
}

export interface BackCheckOptions {
  /** Birth date (YYYY-MM-DD) from the front or the ID number: enables the validity-length-for-age check. */
  birthDate?: string;
  /** Reference date for `ocr_card_expired` (default: now). */
  now?: Date;
}

export function checkBack(fields: Partial<IdCardBackFields>, options: BackCheckOptions = {}): OcrReason[] {
  const reasons: OcrReason[] = [];
  const missing = BACK_KEYS.filter((k) => fields[k] === undefined);
  if (missing.length > 0) reasons.push({ code: 'ocr_field_missing', fields: missing });

  const { validFrom, validTo } = fields;
  if (validFrom === undefined || validTo === undefined) return reasons;
  if (!isIsoCalendarDate(validFrom) || (validTo !== 'long_term' && !isIsoCalendarDate(validTo))) {
    reasons.push({ code: 'ocr_validity_invalid', fields: ['validFrom', 'validTo'] });
    return reasons;
  }

  // The end is the start plus 5, 10 or 20 years, same month and day (29 February may end on 28 February or 1 March).
  let years: number | 'long_term' | null = null;
  if (validTo === 'long_term') years = 'long_term';
  else {
    const n = Number(validTo.slice(0, 4)) - Number(validFrom.slice(0, 4));
    const sameDay =
      validTo.slice(4) === validFrom.slice(4) ||
      (validFrom.slice(5) === '02-29' && (validTo.slice(5) === '02-28' || validTo.slice(5) === '03-01'));
    if (n <= 0 || !sameDay) {
      reasons.push({ code: 'ocr_validity_invalid', fields: ['validFrom', 'validTo'] });
      return reasons;
    }
    years = n;
  }

  let lengthOk = years === 'long_term' || years === 5 || years === 10 || years === 20;
  if (lengthOk && options.birthDate !== undefined && isIsoCalendarDate(options.birthDate)) {
    const age = ageOn(options.birthDate, validFrom);
    lengthOk = age >= 0 && validityYearsForAge(age) === years;
  }
  if (!lengthOk) reasons.push({ code: 'ocr_validity_length_mismatch', fields: ['validFrom', 'validTo'] });

  const today = todayIso(options.now ?? new Date());
  if (validTo !== 'long_term' && validTo < today) reasons.push({ code: 'ocr_card_expired', fields: ['validTo'] });
  return reasons;
}

/** Exported for the synthetic card generator: the end date of a card issued on `validFrom` for `years`. */
export function validityEnd(validFrom: string, years: 5 | 10 | 20 | 'long_term'): string {
  if (years === 'long_term') return 'long_term';
  const end = addYears(validFrom, years);
  return end.endsWith('-02-29') && !isIsoCalendarDate(end) ? `${end.slice(0, 5)}02-28` : end;
}

/**
 * GB 11643-1999 citizen identity numbers as printed on the second-generation resident ID card: 6-digit region code,
 * 8-digit birth date, 3-digit sequence (odd = male, even = female) and an ISO 7064 MOD 11-2 check character.
 * The arithmetic (check character, calendar dates) is the rules module's; this file only decodes for the OCR checks.
 */
import { mainlandIdChecksumOk } from '../rules/gb11643.js';
import { calendarDate } from '../rules/id-number.js';

/** 'YYYY-MM-DD' from numbers (no validation). */
export function isoDate(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export interface MainlandIdInfo {
  /** Birth date encoded in digits 7–14, 'YYYY-MM-DD', or null when those digits are not a calendar date. */
  birthDate: string | null;
  /** From the parity of digit 17. */
  sex: '男' | '女';
  checksumOk: boolean;
  region: string;
}

/** Decodes an 18-character number; null when it is not 17 digits followed by a digit or 'X'. */
export function decodeMainlandId(id: string): MainlandIdInfo | null {
  if (!/^\d{17}[\dX]$/.test(id)) return null;
  return {
    birthDate: calendarDate(id.slice(6, 14)) ?? null,
    sex: Number(id[16]) % 2 === 1 ? '男' : '女',
    checksumOk: mainlandIdChecksumOk(id),
    region: id.slice(0, 6),
  };
}

/**
 * GB 11643-1999 citizen identity numbers as printed on the second-generation resident ID card: 6-digit region code,
 * 8-digit birth date, 3-digit sequence (odd = male, even = female) and an ISO 7064 MOD 11-2 check character.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** The check character ('0'–'9' or 'X') for the first 17 digits. */
export function gb11643CheckDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error('gb11643CheckDigit: 17 digits expected');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

/** True when y-m-d is a real Gregorian calendar date. */
export function isCalendarDate(y: number, m: number, d: number): boolean {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return false;
  if (m < 1 || m > 12 || d < 1) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

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
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  return {
    birthDate: isCalendarDate(y, m, d) ? isoDate(y, m, d) : null,
    sex: Number(id[16]) % 2 === 1 ? '男' : '女',
    checksumOk: gb11643CheckDigit(id.slice(0, 17)) === id[17],
    region: id.slice(0, 6),
  };
}

/** Whole years from birth (YYYY-MM-DD) to date (YYYY-MM-DD). */
export function ageOn(birthDate: string, date: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age--;
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

/**
 * Client-side format checks of the identity form (the server validates again): a plausible name and an
 * 18-character PRC resident ID number with a valid GB 11643-1999 check digit and birth date.
 */
const NAME = /^[\p{Script=Han}A-Za-z][\p{Script=Han}A-Za-z·•. -]{0,48}[\p{Script=Han}A-Za-z.]$/u;

export function validName(name: string): boolean {
  return NAME.test(name.trim());
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export function normaliseIdNumber(v: string): string {
  return v.replace(/\s+/g, '').toUpperCase();
}

export function validIdNumber(raw: string): boolean {
  const v = normaliseIdNumber(raw);
  if (!/^\d{17}[\dX]$/.test(v)) return false;
  const y = Number(v.slice(6, 10));
  const m = Number(v.slice(10, 12));
  const d = Number(v.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(v[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11] === v[17];
}

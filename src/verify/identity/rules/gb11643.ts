/**
 * GB 11643-1999 citizen identity number arithmetic: the ISO 7064 MOD 11-2 check character and the 15 → 18 upgrade.
 * The same check character is used by the residence permits of Hong Kong, Macau and Taiwan residents (2018) and the
 * 2023 foreigner's permanent residence ID card.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** The MOD 11-2 check character ('0'–'9' or 'X') of the first 17 digits. */
export function gb11643CheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('gb11643CheckChar needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

/** GB 11643 check digit of an 18-character number (17 digits and a digit or upper-case X). */
export function mainlandIdChecksumOk(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  return gb11643CheckChar(id.slice(0, 17)) === id[17];
}

/**
 * Upgrades a first-generation 15-digit number (address, YYMMDD, sequence) to 18 characters: the century "19" is
 * inserted before the year (15-digit numbers were issued only to people born in the 1900s) and the check character
 * appended. Returns undefined for anything that is not 15 digits.
 */
export function upgrade15To18(id15: string): string | undefined {
  if (!/^\d{15}$/.test(id15)) return undefined;
  const first17 = id15.slice(0, 6) + '19' + id15.slice(6);
  return first17 + gb11643CheckChar(first17);
}

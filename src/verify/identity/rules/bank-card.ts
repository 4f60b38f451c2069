/**
 * Bank card numbers: Luhn (ISO/IEC 7812) and an offline BIN look-up in the `bankcard` package's table (about
 * 1,700 BINs of Chinese issuers; pure data, no network). Luhn failure is only a warning: some UnionPay debit cards
 * issued in China do not satisfy it.
 */
import { cards, type CardInfo } from 'bankcard';
import type { RuleWarning } from './codes.js';
import { result, type RuleResult } from './result.js';

export type CardType = 'debit' | 'credit' | 'prepaid' | 'semi_credit' | 'unknown';
export type CardScheme = 'unionpay' | 'visa' | 'mastercard' | 'amex' | 'jcb' | 'discover' | 'unknown';

export interface BankCardInfo {
  bankCode?: string;
  bankName?: string;
  cardType?: CardType;
  luhn: boolean;
  /** The BIN (issuer prefix) that matched, 3–10 digits. */
  bin?: string;
  /** Card scheme from the IIN ranges (62 and 81 are UnionPay). */
  scheme?: CardScheme;
}

const TYPES: Record<string, CardType> = { DC: 'debit', CC: 'credit', SCC: 'semi_credit', PC: 'prepaid' };

/** Luhn (mod 10) check of a digit string. */
export function luhnOk(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The digit that makes `partial` + digit pass Luhn (used to generate test numbers). */
export function luhnCheckDigit(partial: string): string {
  for (let d = 0; d <= 9; d++) if (luhnOk(partial + d)) return String(d);
  throw new RangeError('unreachable');
}

export function cardScheme(pan: string): CardScheme {
  const p2 = Number(pan.slice(0, 2));
  const p4 = Number(pan.slice(0, 4));
  if (p2 === 62 || p2 === 81) return 'unionpay';
  if (pan.startsWith('4')) return 'visa';
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return 'mastercard';
  if (p2 === 34 || p2 === 37) return 'amex';
  if (p4 >= 3528 && p4 <= 3589) return 'jcb';
  if (p4 === 6011 || p2 === 65) return 'discover';
  return 'unknown';
}

let byLength: CardInfo[] | undefined;

/** The most specific BIN entry: the longest matching BIN, preferring one whose card length matches. */
function lookupBin(pan: string): { entry: CardInfo; lengthOk: boolean } | undefined {
  byLength ??= [...cards].sort((a, b) => b.cardBin.length - a.cardBin.length);
  let fallback: CardInfo | undefined;
  for (const c of byLength) {
    if (!pan.startsWith(c.cardBin)) continue;
    if (c.len === pan.length) return { entry: c, lengthOk: true };
    fallback ??= c;
  }
  return fallback ? { entry: fallback, lengthOk: false } : undefined;
}

/**
 * Checks a bank card number (spaces and hyphens ignored): 12–19 digits not starting with 0. Reasons:
 * `bank_card_format_invalid`. Warnings: `bank_card_luhn_failed`, `bank_card_bin_unknown`,
 * `bank_card_length_unexpected` (the BIN is known but its cards have another length).
 */
export function checkBankCard(value: string): RuleResult<BankCardInfo> {
  if (typeof value !== 'string') return result(['bank_card_format_invalid'], [], { luhn: false });
  const v = value.normalize('NFKC').replace(/[\s-]/g, '');
  if (!/^[1-9]\d{11,18}$/.test(v)) return result(['bank_card_format_invalid'], [], { luhn: false });
  const warnings: RuleWarning[] = [];
  const info: BankCardInfo = { luhn: luhnOk(v), scheme: cardScheme(v) };
  if (!info.luhn) warnings.push('bank_card_luhn_failed');
  const hit = lookupBin(v);
  if (!hit) {
    warnings.push('bank_card_bin_unknown');
    info.cardType = 'unknown';
  } else {
    info.bin = hit.entry.cardBin;
    info.bankCode = hit.entry.bankCode;
    info.bankName = hit.entry.bankName;
    info.cardType = TYPES[hit.entry.cardType] ?? 'unknown';
    if (!hit.lengthOk) warnings.push('bank_card_length_unexpected');
  }
  return result([], warnings, info, v);
}

/**
 * Input validation of the personal fields an identity check takes (plain values): a bad check digit or an impossible
 * value is refused as invalid_request before any provider is asked. md5-form values are checked for their shape only.
 */
import { ShirenError } from '../../errors.js';
import { checkBankCard, checkIdNumber, checkMobile, checkPlate, checkVin, originalCarrier } from './rules/index.js';
import type { RuleResult } from './rules/index.js';
import { requestForms, type FieldName } from './md5-forms.js';

export interface FieldCheck {
  valid: boolean;
  reasons: string[];
  warnings: string[];
  normalised?: string;
}

const ok = (normalised: string, warnings: string[] = []): FieldCheck => ({
  valid: true,
  reasons: [],
  warnings,
  normalised,
});
const no = (...reasons: string[]): FieldCheck => ({ valid: false, reasons, warnings: [] });

/** Validates and normalises one plain field value (the offline rules of ./rules, plus a name check). */
export function checkPlainField(field: FieldName, raw: string): FieldCheck {
  const fromRule = (r: RuleResult<unknown>): FieldCheck => ({
    valid: r.valid,
    reasons: r.reasons,
    warnings: r.warnings,
    ...(r.valid && r.normalised !== undefined ? { normalised: r.normalised } : {}),
  });
  switch (field) {
    case 'name': {
      const v = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
      if (v.length === 0) return no('name_empty');
      if ([...v].length > 64) return no('name_too_long');
      if (/[\p{Cc}<>\d]/u.test(v)) return no('name_invalid_characters');
      return ok(v);
    }
    case 'idNumber':
      return fromRule(checkIdNumber(raw));
    case 'mobile':
      return fromRule(checkMobile(raw));
    case 'bankCard':
      return fromRule(checkBankCard(raw));
    case 'plate':
      return fromRule(checkPlate(raw));
    case 'vin':
      return fromRule(checkVin(raw));
  }
}

/** Validates a field of a request in normal or md5 form; throws invalid_request naming the field. */
export function requireField(
  field: FieldName,
  raw: string | undefined,
  paramType: 'normal' | 'md5',
  wireName: string = field,
): { value: string; check: FieldCheck } {
  if (raw === undefined || raw.trim() === '')
    throw new ShirenError('invalid_request', `${wireName}: is required`, { details: { field: wireName } });
  if (paramType === 'md5') {
    const forms = requestForms(field, raw);
    if (forms.length === 0)
      throw new ShirenError('invalid_request', `${wireName}: not in a documented md5 form (docs/identity.md)`, {
        details: { field: wireName },
      });
    return { value: raw.trim(), check: { valid: true, reasons: [], warnings: [] } };
  }
  const check = checkPlainField(field, raw);
  if (!check.valid)
    throw new ShirenError('invalid_request', `${wireName}: ${check.reasons.join('; ')}`, {
      details: { field: wireName, reasons: check.reasons },
    });
  return { value: check.normalised!, check };
}

const ISP: Record<string, 'CMCC' | 'CUCC' | 'CTCC' | 'CBN'> = {
  china_mobile: 'CMCC',
  china_unicom: 'CUCC',
  china_telecom: 'CTCC',
  china_broadnet: 'CBN',
};

/** Cloudauth IspName of a mobile number's original carrier (a virtual operator's host network); number portability
 * means the number may have moved since. */
export function carrierOf(mobile: string): 'CMCC' | 'CUCC' | 'CTCC' | 'CBN' | undefined {
  const e = originalCarrier(mobile);
  return e ? ISP[e.host ?? e.carrier] : undefined;
}

/**
 * Mainland China mobile numbers: allocated ranges from libphonenumber-js (Google's libphonenumber metadata, bundled
 * in the package, no network), original carrier from our own prefix table (carrier-prefixes.ts).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { originalCarrier, type Carrier } from './carrier-prefixes.js';
import type { RuleReason, RuleWarning } from './codes.js';
import { result, type RuleResult } from './result.js';

export interface MobileInfo {
  /** +86 and the 11 national digits. */
  e164?: string;
  /** The carrier the number range was allocated to. Number portability means it may have moved since. */
  originalCarrier?: Carrier | 'unknown';
  /** For virtual operators (MVNOs): the carrier whose network hosts the range. */
  hostCarrier?: Exclude<Carrier, 'virtual'>;
}

/**
 * Checks a mainland mobile number: "13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000" and
 * "8613800138000" are all the same number. `normalised` is the 11-digit national number.
 */
export function checkMobile(value: string): RuleResult<MobileInfo> {
  if (typeof value !== 'string') return result(['mobile_format_invalid'], [], {});
  let v = value.normalize('NFKC').replace(/[\s\-().]/g, '');
  if (v.startsWith('00')) v = '+' + v.slice(2);
  else if (/^86\d{11}$/.test(v)) v = '+' + v;
  if (!/^\+?\d{5,15}$/.test(v)) return result(['mobile_format_invalid'], [], {});
  const phone = parsePhoneNumberFromString(v, 'CN');
  if (!phone) return result(['mobile_format_invalid'], [], {});
  if (phone.countryCallingCode !== '86') return result(['mobile_country_unsupported'], [], {});
  const national = String(phone.nationalNumber);
  if (!/^1\d{10}$/.test(national)) {
    const type = phone.isValid() ? phone.getType() : undefined;
    return result([type === 'FIXED_LINE' ? 'mobile_fixed_line' : 'mobile_format_invalid'], [], {});
  }
  const info: MobileInfo = { e164: '+86' + national };
  const entry = originalCarrier(national);
  info.originalCarrier = entry?.carrier ?? 'unknown';
  if (entry?.host) info.hostCarrier = entry.host;
  const type = phone.isValid() ? phone.getType() : undefined;
  const reasons: RuleReason[] = type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE' ? [] : ['mobile_not_allocated'];
  const warnings: RuleWarning[] = reasons.length === 0 && !entry ? ['mobile_carrier_unknown'] : [];
  return result(reasons, warnings, info, national);
}

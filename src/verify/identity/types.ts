/**
 * Identity information checks: what is asked, what a provider answers (docs/identity.md). The console page bundles
 * CHECK_KINDS from here (web/console/src/checks.ts): keep this file free of imports.
 */

export const CHECK_KINDS = [
  'id2',
  'id2_period',
  'id3',
  'mobile2',
  'mobile3',
  'mobile_detect',
  'mobile_online_time',
  'mobile_online_status',
  'mobile_recycled',
  'bank_card',
  'vehicle_meta',
  'vehicle_query',
  'vehicle_insure',
  'credential',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export type ParamType = 'normal' | 'md5';

/** A validated check request: plain values are normalised, md5 values are in a documented md5 form. */
export interface CheckRequest {
  kind: CheckKind;
  paramType: ParamType;
  name?: string;
  idNumber?: string;
  mobile?: string;
  bankCard?: string;
  plate?: string;
  /** Cloudauth VehicleType (号牌种类, e.g. "02"), compared as given. */
  vehicleType?: string;
  vin?: string;
  /** ID card validity period, yyyyMMdd; `validTo` may be "长期" (no end). */
  validFrom?: string;
  validTo?: string;
  /** mobile_recycled: the date the person registered the number with you, yyyyMMdd. */
  registerDate?: string;
  /** id3: the person's face photo. */
  face?: Buffer;
  /** bank_card: 2 = card + name, 3 = + ID number, 4 = + mobile. vehicle_meta: 2 = plate + name, 3 = + ID number. */
  elements?: 2 | 3 | 4;
  signal?: AbortSignal;
}

export type CheckResult = 'consistent' | 'inconsistent' | 'no_record';

export interface CheckAnswer {
  result: CheckResult;
  /** The fields that differ from the source's record (empty unless inconsistent). */
  mismatched: string[];
  /** Carrier of the mobile number: CMCC, CUCC, CTCC, CBN. */
  isp?: string;
  /** mobile_online_time: 1 [0,3) 2 [3,6) 3 [6,12) 4 [12,24) 5 [24,+) months (from an upstream only). */
  timeCode?: string;
  /** Source-specific detail code (http upstreams may give one; the registry does not). */
  subCode?: string;
  /** vehicle_query / vehicle_meta: what the source knows about the vehicle. */
  vehicle?: Record<string, unknown>;
  /** id3: the face comparison with the source's photo. */
  face?: { score: number; threshold: number; passed: boolean };
}

export interface IdentityProvider {
  readonly name: 'registry' | 'http';
  /** Answers a check, or throws not_supported when this source cannot answer this kind of check. */
  check(appId: string, req: CheckRequest): Promise<CheckAnswer>;
}

/**
 * Every reason and warning code the rule checks can return, with its kind. A reason makes the value invalid; a
 * warning never does. Codes are stable and never renamed; docs/identity.md describes each one (a test keeps the two
 * in sync).
 */
export const RULE_CODES = {
  id_format_invalid: 'reason',
  id_checksum_invalid: 'reason',
  id_birth_date_invalid: 'reason',
  id_region_unknown: 'warning',
  id_region_retired: 'warning',
  id_first_generation: 'warning',
  validity_date_invalid: 'reason',
  validity_start_in_future: 'reason',
  validity_period_mismatch: 'reason',
  validity_expired: 'warning',
  permit_format_invalid: 'reason',
  permit_kind_unknown: 'reason',
  mobile_format_invalid: 'reason',
  mobile_country_unsupported: 'reason',
  mobile_fixed_line: 'reason',
  mobile_not_allocated: 'reason',
  mobile_carrier_unknown: 'warning',
  bank_card_format_invalid: 'reason',
  bank_card_luhn_failed: 'warning',
  bank_card_bin_unknown: 'warning',
  bank_card_length_unexpected: 'warning',
  plate_format_invalid: 'reason',
  vin_format_invalid: 'reason',
  vin_check_digit_invalid: 'reason',
  vin_check_digit_not_used: 'warning',
} as const;

type Codes = typeof RULE_CODES;
export type RuleCode = keyof Codes;
export type RuleReason = { [K in RuleCode]: Codes[K] extends 'reason' ? K : never }[RuleCode];
export type RuleWarning = { [K in RuleCode]: Codes[K] extends 'warning' ? K : never }[RuleCode];

/**
 * Exact, offline rule checks for identity data (issue #7, part 1). Every check returns a RuleResult whose reasons
 * and warnings are stable codes documented in docs/identity.md. A value that passes is well-formed, nothing more:
 * it does not prove that the document, card, number or vehicle exists or belongs to the person presenting it.
 */
export type { RuleResult } from './result.js';
export { checkIdNumber, checkIdValidity, checkTravelPermit, calendarDate } from './id-number.js';
export type { IdKind, IdNumberInfo, IdValidityInfo, TravelPermitInfo, TravelPermitDocument } from './id-number.js';
export { checkMobile } from './mobile.js';
export type { MobileInfo } from './mobile.js';
export { CARRIER_PREFIXES, originalCarrier, type Carrier, type CarrierEntry } from './carrier-prefixes.js';
export { checkBankCard, luhnOk, luhnCheckDigit, cardScheme } from './bank-card.js';
export type { BankCardInfo, CardScheme, CardType } from './bank-card.js';
export { checkPlate, checkVin, vinCheckChar } from './vehicle.js';
export type { PlateInfo, VinInfo } from './vehicle.js';
export { gb11643CheckChar, mainlandIdChecksumOk, upgrade15To18 } from './gb11643.js';
export { lookupRegion, regionFullName, regionTableStats, type Region } from './regions.js';
export { RULE_CODES, type RuleCode, type RuleReason, type RuleWarning } from './codes.js';

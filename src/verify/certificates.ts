/**
 * Identity document types a session's identity may name, with the number format of each. The codes 0–5 are the
 * ones Chinese verification services use (Baidu faceprint's `certificate_type`); the core stores the code with the
 * identity (verify_session.identity_type) and checks the number against the type's format.
 */
import { ShirenError } from '../errors.js';
import { mainlandIdChecksumOk } from './identity.js';

export type CertificateType = 0 | 1 | 2 | 3 | 4 | 5;

export const CERTIFICATE_TYPES: Record<
  CertificateType,
  { name: string; format: string; test: (n: string) => boolean }
> = {
  0: {
    name: '大陆居民二代身份证 (mainland resident ID card)',
    format: '18 characters, 17 digits and a check digit (0-9 or X), region code not 81/82/83',
    test: (n) => /^[1-6]\d{16}[\dX]$/.test(n) && mainlandIdChecksumOk(n),
  },
  1: {
    name: '港澳台居民来往内地通行证 (Hong Kong/Macau/Taiwan residents’ travel permit)',
    format: 'H or M and 8 or 10 digits (Hong Kong/Macau), or 8 or 10 digits (Taiwan)',
    test: (n) => /^[HM](\d{8}|\d{10})$/.test(n) || /^\d{8}$|^\d{10}$/.test(n),
  },
  2: {
    name: '外国人永久居留证 (foreigner’s permanent residence ID card)',
    format: '3 letters and 12 digits (before 2017), or 18 characters starting with 9 and a valid check digit',
    test: (n) => /^[A-Z]{3}\d{12}$/.test(n) || (/^9\d{16}[\dX]$/.test(n) && mainlandIdChecksumOk(n)),
  },
  3: {
    name: '定居国外的中国公民护照 (passport of a Chinese citizen settled abroad)',
    format: 'a letter (E, G, D, S, P) and 8 digits, or EA–EZ and 7 digits',
    test: (n) => /^[EGDSP]\d{8}$/.test(n) || /^E[A-Z]\d{7}$/.test(n),
  },
  4: {
    name: '港澳台居民居住证 (Hong Kong/Macau/Taiwan residents’ residence permit)',
    format: '18 characters starting with 810000, 820000 or 830000 and a valid check digit',
    test: (n) => /^8[123]0000\d{11}[\dX]$/.test(n) && mainlandIdChecksumOk(n),
  },
  5: {
    name: '港澳居民来往内地通行证（非中国籍）(travel permit of non-Chinese Hong Kong/Macau residents)',
    format: 'H or M and 8 or 10 digits',
    test: (n) => /^[HM](\d{8}|\d{10})$/.test(n),
  },
};

export function isCertificateType(v: unknown): v is CertificateType {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 5;
}

/**
 * Checks an (already normalised: trimmed, upper-case) ID number against the format of its document type.
 * invalid_request with details.field "idNumber" when it does not fit.
 */
export function checkCertificateNumber(type: CertificateType, idNumber: string): void {
  const t = CERTIFICATE_TYPES[type];
  if (!t.test(idNumber))
    throw new ShirenError(
      'invalid_request',
      `idNumber: not a valid number for certificate type ${type} (${t.format})`,
      {
        details: { field: 'idNumber', certificateType: type },
      },
    );
}

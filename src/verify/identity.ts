/**
 * Personal identity fields of a session (name and ID number): validation and masking. The values are stored only as
 * ciphertext (keyring purpose "identity") with a keyed digest of the number for look-ups, and shown only masked:
 * "110***********1234", "张*".
 */
import { ShirenError } from '../errors.js';
import { mainlandIdChecksumOk } from './identity/rules/gb11643.js';

export { mainlandIdChecksumOk };

export interface IdentityInputValue {
  name: string;
  idNumber: string;
}

/** Trims and checks the fields; an 18-character mainland number must have a valid check digit. */
export function normaliseIdentity(input: { name?: unknown; idNumber?: unknown }): IdentityInputValue {
  const name = typeof input.name === 'string' ? input.name.normalize('NFC').trim() : '';
  if (name.length === 0 || [...name].length > 64 || /[\p{Cc}<>]/u.test(name))
    throw new ShirenError('invalid_request', 'name: must be 1–64 characters', { details: { field: 'name' } });
  const idNumber = typeof input.idNumber === 'string' ? input.idNumber.trim().toUpperCase() : '';
  if (!/^[0-9A-Z]{6,32}$/.test(idNumber))
    throw new ShirenError('invalid_request', 'idNumber: must be 6–32 letters or digits', {
      details: { field: 'idNumber' },
    });
  if (/^\d{17}[\dX]$/.test(idNumber) && !mainlandIdChecksumOk(idNumber))
    throw new ShirenError('invalid_request', "idNumber: the ID number's check digit is wrong", {
      details: { field: 'idNumber' },
    });
  return { name, idNumber };
}

/** "110101199003074514" → "110***********4514": first 3 and last 4 characters kept. */
export function maskIdNumber(id: string): string {
  if (id.length <= 7) return id.slice(0, 1) + '*'.repeat(Math.max(0, id.length - 1));
  return id.slice(0, 3) + '*'.repeat(id.length - 7) + id.slice(-4);
}

/** "张三" → "张*", "欧阳娜娜" → "欧***": the first character kept. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}

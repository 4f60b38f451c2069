/**
 * The md5 forms in which Cloudauth's information checks accept personal fields (ParamType md5), and the look-up kind
 * each form is indexed under in the registry. All md5 text is 32 lowercase hex characters of the UTF-8 bytes.
 *
 * - ID number: first 6 digits + md5(the 8 birth-date digits) + last 4 characters (Id2Meta*, Id3Meta), or md5 of the
 *   whole number (Mobile3Meta*, Mobile2Meta).
 * - Name: md5(first character) + the rest of the name (Id2Meta*, Id3Meta, BankMeta), or md5 of the whole name.
 * - Mobile, plate, VIN: md5 of the whole value.
 * - Bank card: the card number up to its last 6 digits in plain + md5(last 6 digits).
 *
 * A request field is matched by its shape, so any documented form of a field works with every Action.
 */
import { createHash } from 'node:crypto';

export const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

export type FieldName = 'name' | 'idNumber' | 'mobile' | 'bankCard' | 'plate' | 'vin';

/** Registry key kinds of a field's plain value and md5 forms. */
export const KEY_KINDS = {
  idNumber: ['id', 'id_md5', 'id_md5full'],
  name: ['name', 'name_md5', 'name_md5full'],
  mobile: ['mobile', 'mobile_md5'],
  bankCard: ['card', 'card_md5'],
  plate: ['plate', 'plate_md5'],
  vin: ['vin', 'vin_md5'],
} as const satisfies Record<FieldName, readonly string[]>;

/** Every (kind, text) a normalised plain value is indexed under; the texts are digested before storing. */
export function indexForms(field: FieldName, value: string): { kind: string; text: string }[] {
  switch (field) {
    case 'idNumber': {
      const out = [
        { kind: 'id', text: value },
        { kind: 'id_md5full', text: md5(value) },
      ];
      if (value.length === 18)
        out.push({ kind: 'id_md5', text: value.slice(0, 6) + md5(value.slice(6, 14)) + value.slice(14) });
      return out;
    }
    case 'name': {
      const chars = [...value];
      return [
        { kind: 'name', text: value },
        { kind: 'name_md5', text: md5(chars[0] ?? '') + chars.slice(1).join('') },
        { kind: 'name_md5full', text: md5(value) },
      ];
    }
    case 'mobile':
      return [
        { kind: 'mobile', text: value },
        { kind: 'mobile_md5', text: md5(value) },
      ];
    case 'bankCard':
      return [
        { kind: 'card', text: value },
        { kind: 'card_md5', text: value.slice(0, -6) + md5(value.slice(-6)) },
      ];
    case 'plate':
      return [
        { kind: 'plate', text: value },
        { kind: 'plate_md5', text: md5(value) },
      ];
    case 'vin':
      return [
        { kind: 'vin', text: value },
        { kind: 'vin_md5', text: md5(value) },
      ];
  }
}

const HEX32 = /^[0-9a-fA-F]{32}$/;

/**
 * The candidate (kind, text) pairs of an md5-form request value, told apart by shape; empty when the value is in no
 * documented md5 form of the field.
 */
export function requestForms(field: FieldName, raw: string): { kind: string; text: string }[] {
  const v = raw.trim();
  switch (field) {
    case 'idNumber': {
      if (HEX32.test(v)) return [{ kind: 'id_md5full', text: v.toLowerCase() }];
      const m = /^(\d{6})([0-9a-fA-F]{32})(\d{3}[\dXx])$/.exec(v);
      return m ? [{ kind: 'id_md5', text: m[1]! + m[2]!.toLowerCase() + m[3]!.toUpperCase() }] : [];
    }
    case 'name': {
      const m = /^([0-9a-fA-F]{32})(.*)$/su.exec(v);
      if (!m) return [];
      const head = m[1]!.toLowerCase();
      const rest = m[2]!.normalize('NFC');
      // A one-character name has the same text in both forms.
      return rest === ''
        ? [
            { kind: 'name_md5', text: head },
            { kind: 'name_md5full', text: head },
          ]
        : [{ kind: 'name_md5', text: head + rest }];
    }
    case 'mobile':
      return HEX32.test(v) ? [{ kind: 'mobile_md5', text: v.toLowerCase() }] : [];
    case 'bankCard': {
      const m = /^(\d{6,13})([0-9a-fA-F]{32})$/.exec(v);
      return m ? [{ kind: 'card_md5', text: m[1]! + m[2]!.toLowerCase() }] : [];
    }
    case 'plate':
      return HEX32.test(v) ? [{ kind: 'plate_md5', text: v.toLowerCase() }] : [];
    case 'vin':
      return HEX32.test(v) ? [{ kind: 'vin_md5', text: v.toLowerCase() }] : [];
  }
}

/** The keyring digest purpose of a key kind (each kind its own HMAC key). */
export const keyPurpose = (kind: string): string => `registry-key:${kind}`;

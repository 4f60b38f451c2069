/** Public types of the ID-card OCR (docs/identity.md, section "ID-card OCR"). */

/** One recognised text line: text, the recogniser's mean character probability, and its box (4 points, pixels). */
export interface OcrLine {
  text: string;
  score: number;
  box: [number, number][];
}

export interface IdCardFrontFields {
  name: string;
  sex: '男' | '女';
  /** As printed, without "族" ("汉", "蒙古"). */
  ethnicity: string;
  /** Printed birth date, 'YYYY-MM-DD'. */
  birthDate: string;
  address: string;
  /** 17 digits and a check digit or 'X' (upper case). */
  idNumber: string;
}

export interface IdCardBackFields {
  /** 签发机关, e.g. "杭州市公安局西湖分局". */
  authority: string;
  /** Start of 有效期限, 'YYYY-MM-DD'. */
  validFrom: string;
  /** End of 有效期限, 'YYYY-MM-DD', or 'long_term' for 长期. */
  validTo: string;
}

/**
 * Outcome codes of a read (not errors: the read itself succeeded). Stable, lower snake_case, listed in
 * docs/identity.md.
 */
export const OCR_REASONS = {
  ocr_not_id_card: 'No ID-card layout was recognised in the image (too few of the printed labels were read).',
  ocr_wrong_side: 'The image shows the other side of the card.',
  ocr_field_missing: 'One or more fields could not be read (listed in `fields`).',
  ocr_number_format_invalid: 'The ID number is not 17 digits and a check character, or its birth digits are no date.',
  ocr_number_checksum_invalid: "The ID number's GB 11643 check character does not match its first 17 digits.",
  ocr_birth_mismatch: 'The printed birth date differs from the birth date in the ID number.',
  ocr_sex_mismatch: 'The printed sex differs from the sex encoded in the ID number (digit 17 odd = male).',
  ocr_birth_date_invalid: 'The printed birth date is not a calendar date or lies in the future.',
  ocr_validity_invalid: 'The validity period is unreadable, ends before it starts, or its end is not on the same day.',
  ocr_validity_length_mismatch:
    'The validity length is not the one the law gives for the age at issue (<16: 5 y, 16–25: 10 y, 26–45: 20 y, 46+: long-term).',
  ocr_card_expired: 'The validity period ended before the reference date.',
} as const;

export type OcrReasonCode = keyof typeof OCR_REASONS;

export interface OcrReason {
  code: OcrReasonCode;
  /** The fields concerned. */
  fields: string[];
}

export interface IdCardRead<F> {
  side: 'front' | 'back';
  /** Only fields that were read; nothing is filled in from other fields. */
  fields: Partial<F>;
  /** Per read field, 0–1: the lowest recogniser score of the text lines the field came from. */
  confidence: Partial<Record<keyof F, number>>;
  /** Cross-field and completeness findings; empty when the card is consistent. */
  reasons: OcrReason[];
  /** Softer findings: `low_confidence:<field>`, `ethnicity_unknown`, `number_characters_corrected`. */
  warnings: string[];
  /** Wall time of the OCR in the worker (decode, detection, recognition), milliseconds. */
  durationMs: number;
}

export type IdCardFrontRead = IdCardRead<IdCardFrontFields>;
export type IdCardBackRead = IdCardRead<IdCardBackFields>;

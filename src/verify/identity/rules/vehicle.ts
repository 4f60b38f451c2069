/**
 * Vehicles: mainland licence plates (GA 36-2018: 7-character plates and 8-character new-energy plates) and VINs
 * (ISO 3779 / GB 16735, with the check digit of position 9). Format checks only: a well-formed plate or VIN is not
 * proof that it was registered.
 */
import { compact, result, type RuleResult } from './result.js';

const PROVINCES: Record<string, string> = {
  京: '北京市',
  津: '天津市',
  沪: '上海市',
  渝: '重庆市',
  冀: '河北省',
  晋: '山西省',
  蒙: '内蒙古自治区',
  辽: '辽宁省',
  吉: '吉林省',
  黑: '黑龙江省',
  苏: '江苏省',
  浙: '浙江省',
  皖: '安徽省',
  闽: '福建省',
  赣: '江西省',
  鲁: '山东省',
  豫: '河南省',
  鄂: '湖北省',
  湘: '湖南省',
  粤: '广东省',
  桂: '广西壮族自治区',
  琼: '海南省',
  川: '四川省',
  贵: '贵州省',
  云: '云南省',
  藏: '西藏自治区',
  陕: '陕西省',
  甘: '甘肃省',
  青: '青海省',
  宁: '宁夏回族自治区',
  新: '新疆维吾尔自治区',
};

/** Letters used on plates: A–Z without I and O (confusable with 1 and 0). */
const L = 'A-HJ-NP-Z';
// The issuing-authority letter may be O (police vehicles of some provinces, e.g. 粤O…警); never I.
const AUTHORITY = /^[A-HJ-Z]$/;
const ORDINARY = new RegExp(`^[${L}0-9]{5}$`);
const SPECIAL = new RegExp(`^[${L}0-9]{4}[挂学警港澳领试超]$`);
// Small new-energy cars: D/A/B/C/E (battery electric) or F/G/H/J/K (other new energy), then a letter or digit,
// then 4 digits. Large new-energy vehicles: 5 digits then D (battery electric) or F.
const NE_SMALL = new RegExp(`^[DABCEFGHJK][${L}0-9]\\d{4}$`);
const NE_LARGE = /^\d{5}[DF]$/;
const ELECTRIC = new Set(['D', 'A', 'B', 'C', 'E']);

const SPECIAL_KINDS: Record<string, string> = {
  挂: 'trailer',
  学: 'driving_school',
  警: 'police',
  港: 'hong_kong',
  澳: 'macau',
  领: 'consulate',
  试: 'test',
  超: 'oversize',
};

export interface PlateInfo {
  newEnergy: boolean;
  /** Province (or municipality, autonomous region) of the first character. */
  province?: string;
  /** New-energy plates: battery electric (D, A, B, C, E) or other new energy such as plug-in hybrids (F, G, H, J, K). */
  power?: 'battery_electric' | 'other_new_energy';
  /** 7-character plates ending in a special character (挂 学 警 港 澳 领 试 超). */
  special?: string;
}

/** Checks a mainland plate ("京A12345", "粤B·D12345", "粤B12345D"); spaces and the middle dot are ignored. */
export function checkPlate(value: string): RuleResult<PlateInfo> {
  const v = compact(value);
  const chars = [...v];
  const info: PlateInfo = { newEnergy: false };
  const province = PROVINCES[chars[0] ?? ''];
  if (!province || !AUTHORITY.test(chars[1] ?? '')) return result(['plate_format_invalid'], [], info);
  info.province = province;
  const serial = chars.slice(2).join('');
  if (chars.length === 7) {
    if (ORDINARY.test(serial)) return result([], [], info, v);
    if (SPECIAL.test(serial)) {
      info.special = SPECIAL_KINDS[chars[6]!];
      return result([], [], info, v);
    }
  } else if (chars.length === 8) {
    const small = NE_SMALL.test(serial);
    if (small || NE_LARGE.test(serial)) {
      info.newEnergy = true;
      const letter = small ? serial[0]! : serial[5]!;
      info.power = ELECTRIC.has(letter) ? 'battery_electric' : 'other_new_energy';
      return result([], [], info, v);
    }
  }
  return result(['plate_format_invalid'], [], info);
}

// ---------------------------------------------------------------------------------------------------------------
// VIN

const VIN_VALUES: Record<string, number> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8,
  J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
}; // prettier-ignore
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** The check character (position 9) of a 17-character VIN: '0'–'9' or 'X'. */
export function vinCheckChar(vin: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = vin[i]!;
    const n = /\d/.test(c) ? Number(c) : VIN_VALUES[c];
    if (n === undefined) throw new RangeError(`not a VIN character: ${c}`);
    sum += n * VIN_WEIGHTS[i]!;
  }
  const r = sum % 11;
  return r === 10 ? 'X' : String(r);
}

export interface VinInfo {
  /** World manufacturer identifier (positions 1–3). */
  wmi?: string;
  /** Where the check digit is mandatory: China (GB 16735; WMI starting L or H) and North America (1–5). */
  checkDigitRequired?: boolean;
  checkDigitOk?: boolean;
}

/**
 * Checks a VIN: 17 characters of digits and letters other than I, O and Q, and the check digit of position 9.
 * The check digit is mandatory for vehicles made in China (GB 16735) and North America; for other WMIs (e.g.
 * European makers, where ISO 3779 leaves it optional) a mismatch is only the warning `vin_check_digit_not_used`.
 */
export function checkVin(value: string): RuleResult<VinInfo> {
  const v = compact(value);
  if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(v)) return result(['vin_format_invalid'], [], {});
  const info: VinInfo = { wmi: v.slice(0, 3), checkDigitRequired: /^[LH1-5]/.test(v) };
  info.checkDigitOk = vinCheckChar(v) === v[8];
  if (info.checkDigitOk) return result([], [], info, v);
  if (info.checkDigitRequired) return result(['vin_check_digit_invalid'], [], info, v);
  return result([], ['vin_check_digit_not_used'], info, v);
}

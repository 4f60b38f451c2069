/**
 * Dimensions of a verification session for the console's statistics breakdowns (docs/console.md "Statistics"):
 * the province of the ID number (only its 2-digit code is kept, never the number), the device OS from the H5 page's
 * user agent, and the stage a failure belongs to (liveness, comparison, capture, …) from the result code.
 */

/** GB/T 2260 province-level codes: the first two digits of a mainland ID number (GB 11643). */
export const PROVINCES: Readonly<Record<string, { zh: string; en: string }>> = {
  '11': { zh: '北京市', en: 'Beijing' },
  '12': { zh: '天津市', en: 'Tianjin' },
  '13': { zh: '河北省', en: 'Hebei' },
  '14': { zh: '山西省', en: 'Shanxi' },
  '15': { zh: '内蒙古自治区', en: 'Inner Mongolia' },
  '21': { zh: '辽宁省', en: 'Liaoning' },
  '22': { zh: '吉林省', en: 'Jilin' },
  '23': { zh: '黑龙江省', en: 'Heilongjiang' },
  '31': { zh: '上海市', en: 'Shanghai' },
  '32': { zh: '江苏省', en: 'Jiangsu' },
  '33': { zh: '浙江省', en: 'Zhejiang' },
  '34': { zh: '安徽省', en: 'Anhui' },
  '35': { zh: '福建省', en: 'Fujian' },
  '36': { zh: '江西省', en: 'Jiangxi' },
  '37': { zh: '山东省', en: 'Shandong' },
  '41': { zh: '河南省', en: 'Henan' },
  '42': { zh: '湖北省', en: 'Hubei' },
  '43': { zh: '湖南省', en: 'Hunan' },
  '44': { zh: '广东省', en: 'Guangdong' },
  '45': { zh: '广西壮族自治区', en: 'Guangxi' },
  '46': { zh: '海南省', en: 'Hainan' },
  '50': { zh: '重庆市', en: 'Chongqing' },
  '51': { zh: '四川省', en: 'Sichuan' },
  '52': { zh: '贵州省', en: 'Guizhou' },
  '53': { zh: '云南省', en: 'Yunnan' },
  '54': { zh: '西藏自治区', en: 'Tibet (Xizang)' },
  '61': { zh: '陕西省', en: 'Shaanxi' },
  '62': { zh: '甘肃省', en: 'Gansu' },
  '63': { zh: '青海省', en: 'Qinghai' },
  '64': { zh: '宁夏回族自治区', en: 'Ningxia' },
  '65': { zh: '新疆维吾尔自治区', en: 'Xinjiang' },
  '71': { zh: '台湾省', en: 'Taiwan' },
  '81': { zh: '香港特别行政区', en: 'Hong Kong' },
  '82': { zh: '澳门特别行政区', en: 'Macao' },
  // The address code of the residence permits of Taiwan residents (830000).
  '83': { zh: '台湾居民居住证', en: 'Taiwan (residence permit)' },
};

/**
 * The 2-digit code stored with a session for its (normalised) ID number: the first two digits of a number shaped
 * like a mainland ID number or residence permit (18 characters, 17 digits and a digit or X; or the old 15 digits),
 * whether or not the table knows them (an unknown code reads "unknown" in the breakdown). Null for other documents
 * (passports, permits with letters), which have no province.
 */
export function provinceCode(idNumber: string): string | null {
  return /^\d{17}[\dX]$|^\d{15}$/.test(idNumber) ? idNumber.slice(0, 2) : null;
}

export const DEVICE_OSES = ['iOS', 'Android', 'HarmonyOS', 'Windows', 'macOS', 'Linux', 'other'] as const;
export type DeviceOs = (typeof DEVICE_OSES)[number];

/**
 * The device OS of a user agent, first match wins. HarmonyOS comes first: its Android-compatible browsers also say
 * "Android", and HarmonyOS NEXT says "OpenHarmony"/"ArkWeb". iOS before macOS: iPhone agents say "like Mac OS X".
 * iPadOS Safari presents itself as a Mac and reads macOS. Migration 0012 backfills with the same rules in SQL.
 */
const OS_RULES: [DeviceOs, RegExp][] = [
  ['HarmonyOS', /harmonyos|openharmony|arkweb/i],
  ['iOS', /iphone|ipad|ipod/i],
  ['Android', /android/i],
  ['Windows', /windows/i],
  ['macOS', /macintosh|mac os x/i],
  ['Linux', /linux/i],
];

export function deviceOs(userAgent: string): DeviceOs {
  for (const [os, re] of OS_RULES) if (re.test(userAgent)) return os;
  return 'other';
}

/** The session columns that go with a recorded user agent (sessions.ts: the H5 challenge and attempt). */
export function userAgentColumns(
  userAgent: string | undefined,
  row: { user_agent: string | null; device_os: string | null },
): { user_agent: string | null; device_os: string | null } {
  if (userAgent === undefined) return { user_agent: row.user_agent, device_os: row.device_os };
  const ua = userAgent.slice(0, 512);
  return { user_agent: ua, device_os: deviceOs(ua) };
}

/**
 * The stage of a session's outcome, from its effective status and result code (docs/sessions.md "Codes"):
 * `passed`; `open`; `expired` (also open sessions past their expiry); and for failed sessions `liveness`
 * (the liveness check: actions, timing, flash colours, passive liveness, a face change between frames, a verifier
 * failure without a code), `comparison` (`compare_failed`: not the same person as the reference), `capture`
 * (`face_not_found`, `multiple_faces`, `quality_too_low`: no usable face, before any decision), `other` (any
 * other code). Identity problems (no identity, a blacklisted or wrong-format ID number, no registry photo) are
 * refused before an attempt and never become a result, so no stage counts them.
 */
export const STAGES = ['passed', 'liveness', 'comparison', 'capture', 'other', 'expired', 'open'] as const;
export type Stage = (typeof STAGES)[number];
export const LIVENESS_CODES = [
  'liveness_action_missing',
  'liveness_action_order',
  'liveness_timeout',
  'liveness_flash_mismatch',
  'liveness_passive_failed',
  'face_changed',
  'liveness_failed',
  'challenge_invalid',
] as const;
export const COMPARISON_CODES = ['compare_failed'] as const;
export const CAPTURE_CODES = ['face_not_found', 'multiple_faces', 'quality_too_low'] as const;

export function failureStage(effectiveStatus: string, code: string | null): Stage {
  if (effectiveStatus === 'passed') return 'passed';
  if (effectiveStatus === 'expired') return 'expired';
  if (effectiveStatus !== 'failed') return 'open';
  if (code === null) return 'other';
  if ((LIVENESS_CODES as readonly string[]).includes(code)) return 'liveness';
  if ((COMPARISON_CODES as readonly string[]).includes(code)) return 'comparison';
  if ((CAPTURE_CODES as readonly string[]).includes(code)) return 'capture';
  return 'other';
}

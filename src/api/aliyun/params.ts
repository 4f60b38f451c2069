/** Reading Cloudauth Action parameters (the Action modules of src/api/aliyun): result 400 / 401 on bad input. */
import { AliyunResultError, RESULT_MESSAGES } from './errors.js';

export type Params = Record<string, string>;

/** Result 400 (参数不能为空): parameter `name` is missing. */
export const empty = (name: string) => new AliyunResultError('400', `${RESULT_MESSAGES['400']}: ${name}`);
/** Result 401 (参数非法). */
export const invalid = (message: string) => new AliyunResultError('401', `${RESULT_MESSAGES['401']}: ${message}`);
/** A parameter that is present and not empty. */
export const given = (v: string | undefined): v is string => v !== undefined && v !== '';

/** A positive integer parameter (CurrentPage, PageSize): `fallback` when absent, 401 when not 1 … `max`. */
export function positive(p: Params, name: string, fallback: number, max: number): number {
  const raw = p[name];
  if (!given(raw)) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw invalid(`${name} must be a positive integer`);
  if (Number(raw) > max) throw invalid(`${name} must be at most ${max}`);
  return Number(raw);
}

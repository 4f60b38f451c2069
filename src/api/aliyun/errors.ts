/**
 * How each Shiren reason is answered on the Cloudauth wire. Two kinds, as Alibaba Cloud does it:
 * - `gateway`: the OpenAPI gateway refuses the call (signature, key, throttling, server trouble): HTTP 4xx/5xx with
 *   `{RequestId, HostId, Code, Message, Recommend}` and a string code such as `SignatureDoesNotMatch`.
 * - `result`: Cloudauth answers HTTP 200 with `Code` set to one of its result codes (400 empty parameter,
 *   401 invalid parameter, 404 scene not found, 410 service not enabled, 419 image unusable, 420 duplicate input …).
 */
import type { Reason } from '../../errors.js';

export type AliyunAnswer = { kind: 'gateway'; status: number; code: string } | { kind: 'result'; code: ResultCode };

export type ResultCode = '400' | '401' | '402' | '404' | '410' | '411' | '412' | '419' | '420' | '500';

export const RESULT_MESSAGES: Record<ResultCode, string> = {
  '400': '参数不能为空',
  '401': '参数非法',
  '402': '应用配置不存在',
  '404': '认证场景配置不存在',
  '410': '未开通服务',
  '411': 'RAM 无权限',
  '412': '欠费中',
  '419': '传入图片不可用',
  '420': '数据重复',
  '500': '系统错误',
};

const gw = (status: number, code: string): AliyunAnswer => ({ kind: 'gateway', status, code });
const result = (code: ResultCode): AliyunAnswer => ({ kind: 'result', code });

export const ALIYUN_ERRORS: Record<Reason, AliyunAnswer> = {
  invalid_request: result('401'),
  payload_too_large: gw(413, 'RequestEntityTooLarge'),
  unsupported_media_type: gw(400, 'UnsupportedMediaType'),
  not_found: result('404'),
  method_not_allowed: gw(405, 'UnsupportedHTTPMethod'),
  conflict: result('401'),
  unauthorized: gw(400, 'MissingParameter'),
  access_key_invalid: gw(404, 'InvalidAccessKeyId.NotFound'),
  access_key_disabled: gw(400, 'InvalidAccessKeyId.Inactive'),
  signature_invalid: gw(400, 'SignatureDoesNotMatch'),
  timestamp_invalid: gw(400, 'InvalidTimeStamp.Expired'),
  nonce_reused: gw(400, 'SignatureNonceUsed'),
  forbidden: result('411'),
  invalid_image: result('419'),
  image_corrupt: result('419'),
  image_too_large: result('419'),
  image_too_many_pixels: result('419'),
  face_not_found: result('419'),
  face_too_small: result('419'),
  multiple_faces: result('419'),
  image_url_forbidden: result('419'),
  image_unavailable: result('419'),
  rate_limited: gw(429, 'Throttling.User'),
  engine_busy: gw(503, 'ServiceUnavailable'),
  timeout: gw(504, 'ServiceTimeout'),
  engine_unavailable: gw(503, 'ServiceUnavailable'),
  not_supported: result('410'),
  internal: gw(500, 'InternalError'),
  session_expired: result('401'),
  session_finished: result('401'),
  challenge_invalid: result('401'),
  too_many_failures: gw(429, 'Throttling.User'),
  reference_missing: result('401'),
  identity_missing: result('401'),
};

/** A refusal that only exists on this wire (no Shiren reason): missing Action, unknown Version, bad timestamp format. */
export class AliyunGatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AliyunGatewayError';
  }
}

/** A Cloudauth result code decided by the adapter itself (e.g. 420: more than one input mode). */
export class AliyunResultError extends Error {
  constructor(
    readonly code: ResultCode,
    message?: string,
  ) {
    super(message ?? RESULT_MESSAGES[code]);
    this.name = 'AliyunResultError';
  }
}

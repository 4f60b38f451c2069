/**
 * How each Shiren reason is answered on the Volcengine wire. Two kinds, as Volcengine does it:
 * - `gateway`: the OpenAPI gateway refuses the call before the service runs (signature, access key, timestamp,
 *   unknown Action): HTTP 4xx with `{"ResponseMetadata":{RequestId, Action, Version, Service, Region,
 *   Error:{CodeN, Code, Message}}}` and Volcengine's common error codes (SignatureDoesNotMatch 100010 …).
 * - `business`: the visual service (cv) answers `{code, message, data, request_id, time_elapsed}` with its numeric
 *   code: 50200 parameter error, 50201 missing parameter, 50205 image too large, 50207 image decode error,
 *   50213 body too large, 50215 verification failed (see `data.algorithm_base_resp.status_code`), 50400 no
 *   permission, 50429 throttled, 50500 internal error. `sub` is the algorithm_base_resp sub-code where one applies.
 */
import type { Reason } from '../../errors.js';

export type VolcAnswer =
  | { kind: 'gateway'; status: number; code: string; codeN: number }
  | { kind: 'business'; status: number; code: number; sub?: number };

/** algorithm_base_resp sub-codes used by Shiren (Volcengine's 认证子错误码 table). */
export const SUB_CODES = {
  ok: 0,
  internal: 100000,
  missingParameter: 201201,
  invalidParameter: 201202,
  imageEmpty: 201301,
  imageDecode: 201302,
  idNumberEmpty: 210201,
  faceTooSmall: 210303,
  noFace: 210305,
  multipleFaces: 210306,
  noSourcePhoto: 210309,
  faceMismatch: 210311,
  actionLivenessFailed: 210312,
  qualityTooLow: 210701,
  livenessScoreTooLow: 210702,
} as const;

export const SUB_MESSAGES: Record<number, string> = {
  0: '',
  100000: '服务内部错误',
  201201: '缺少输入参数或输入参数为空',
  201202: '输入参数不合法',
  201301: '输入图片为空',
  201302: '输入图片解码失败',
  210201: '身份证号为空',
  210303: '人脸图大小过小',
  210305: '人脸图中未检测到人脸',
  210306: '人脸图中存在多个人脸',
  210309: '数据源库中无该身份信息对应的底图',
  210311: '人脸图不匹配',
  210312: '服务端动作活体匹配不通过',
  210701: '人脸图质量分数过低',
  210702: '人脸图活体分数过低',
};

const gw = (status: number, code: string, codeN: number): VolcAnswer => ({ kind: 'gateway', status, code, codeN });
const biz = (status: number, code: number, sub?: number): VolcAnswer =>
  sub === undefined ? { kind: 'business', status, code } : { kind: 'business', status, code, sub };

export const VOLC_ERRORS: Record<Reason, VolcAnswer> = {
  invalid_request: biz(400, 50200, SUB_CODES.invalidParameter),
  payload_too_large: biz(400, 50213),
  unsupported_media_type: biz(400, 50200),
  not_found: biz(400, 50200, SUB_CODES.invalidParameter),
  method_not_allowed: gw(404, 'InvalidActionOrVersion', 100008),
  conflict: biz(400, 50200, SUB_CODES.invalidParameter),
  unauthorized: gw(401, 'MissingAuthenticationToken', 100003),
  access_key_invalid: gw(401, 'InvalidAccessKey', 100009),
  access_key_disabled: gw(403, 'AccessDenied', 100013),
  signature_invalid: gw(401, 'SignatureDoesNotMatch', 100010),
  timestamp_invalid: gw(400, 'InvalidTimestamp', 100006),
  nonce_reused: gw(401, 'SignatureDoesNotMatch', 100010),
  forbidden: biz(403, 50400),
  invalid_image: biz(400, 50207, SUB_CODES.imageDecode),
  image_corrupt: biz(400, 50207, SUB_CODES.imageDecode),
  image_too_large: biz(400, 50205),
  image_too_many_pixels: biz(400, 50205),
  image_url_forbidden: biz(400, 50200, SUB_CODES.invalidParameter),
  image_unavailable: biz(400, 50215, SUB_CODES.imageEmpty),
  face_not_found: biz(400, 50215, SUB_CODES.noFace),
  face_too_small: biz(400, 50215, SUB_CODES.faceTooSmall),
  multiple_faces: biz(400, 50215, SUB_CODES.multipleFaces),
  // The app's own rate limit is the gateway's flow control (common error FlowLimitExceeded), before cv runs.
  rate_limited: gw(429, 'FlowLimitExceeded', 100018),
  engine_busy: biz(429, 50429),
  timeout: biz(500, 50500, SUB_CODES.internal),
  engine_unavailable: biz(500, 50500, SUB_CODES.internal),
  // The registry comparison (cert_pro_src_verify) is the only not_supported path here: no registry photo.
  not_supported: biz(400, 50215, SUB_CODES.noSourcePhoto),
  internal: biz(500, 50500, SUB_CODES.internal),
  session_expired: biz(400, 50200, SUB_CODES.invalidParameter),
  session_finished: biz(400, 50200, SUB_CODES.invalidParameter),
  challenge_invalid: biz(400, 50200, SUB_CODES.invalidParameter),
  too_many_failures: biz(429, 50429),
  reference_missing: biz(400, 50215, SUB_CODES.imageEmpty),
  identity_missing: biz(400, 50215, SUB_CODES.idNumberEmpty),
};

/** Business code messages (the cv service's own). */
export const BUSINESS_MESSAGES: Record<number, string> = {
  10000: 'Success',
  50200: 'Invalid Parameter',
  50201: 'Missing Parameter',
  50205: 'Image Size Exceeds Limit',
  50207: 'Image Decode Error',
  50213: 'Request Body Too Large',
  50215: 'RPCProcess',
  50400: 'Access Denied',
  50429: 'Too Many Requests',
  50500: 'Internal Error',
};

/** A refusal of the gateway that has no Shiren reason (missing Action, unknown Version or Action, bad X-Date). */
export class VolcGatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly codeN: number,
    message: string,
  ) {
    super(message);
    this.name = 'VolcGatewayError';
  }
}

/** A cv business code decided by the adapter itself (missing body field, bad sdk_data, req_key mismatch). */
export class VolcBusinessError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly sub?: number,
  ) {
    super(message);
    this.name = 'VolcBusinessError';
  }
}

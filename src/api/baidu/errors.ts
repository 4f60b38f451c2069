/**
 * How each Shiren reason is answered on the Baidu faceprint wire (docs/baidu.md). Two kinds, as Baidu's AI platform
 * answers, both with HTTP 200:
 * - `gateway`: the API gateway refuses the call (access token, method, throttling, server trouble):
 *   `{"error_code": 110, "error_msg": "Access token invalid or no longer valid", "log_id": "…"}`.
 * - `solution`: the faceprint solution refuses the parameters or the token:
 *   `{"success": false, "result": null, "code": 216100, "message": "…", "log_id": "…"}`.
 */
import type { Reason } from '../../errors.js';
import type { QualityCheck } from '../../verify/reference-controls.js';

export type BaiduAnswer = { kind: 'gateway'; code: GatewayCode } | { kind: 'solution'; code: SolutionCode };

export const GATEWAY_MESSAGES = {
  1: 'Unknown error',
  2: 'Service temporarily unavailable',
  3: 'Unsupported openapi method',
  6: 'No permission to access data',
  18: 'Open api qps request limit reached',
  110: 'Access token invalid or no longer valid',
  111: 'Access token expired',
} as const;
export type GatewayCode = keyof typeof GATEWAY_MESSAGES;

/** The message every "this verify_token cannot be used" case carries, as the reference's FAQ words it. */
export const TOKEN_INVALID_MESSAGE = 'Token无效或者已过期';

export const SOLUTION_MESSAGES = {
  216100: 'invalid param',
  216101: 'not enough param',
  216201: 'image format error',
  216202: 'image size error',
  222200: 'request body should be json format',
  222202: 'pic not has face',
  222203: 'image check fail',
  222207: 'match user is not found',
  222301: 'get face fail',
  223113: 'face is covered',
  223114: 'face is fuzzy',
  223115: 'face light is not good',
  223116: 'incomplete face',
  223118: 'quality control error',
  223119: 'liveness control error',
  223120: 'liveness check fail',
  223129: 'face not forward',
  282808: TOKEN_INVALID_MESSAGE,
} as const;
export type SolutionCode = keyof typeof SOLUTION_MESSAGES;
export const TOKEN_INVALID: SolutionCode = 282808;

const gw = (code: GatewayCode): BaiduAnswer => ({ kind: 'gateway', code });
const sol = (code: SolutionCode): BaiduAnswer => ({ kind: 'solution', code });

export const BAIDU_ERRORS: Record<Reason, BaiduAnswer> = {
  invalid_request: sol(216100),
  payload_too_large: sol(216202),
  unsupported_media_type: sol(222200),
  not_found: sol(TOKEN_INVALID),
  method_not_allowed: gw(3),
  conflict: sol(216100),
  unauthorized: gw(110),
  access_key_invalid: gw(110),
  access_key_disabled: gw(110),
  signature_invalid: gw(110),
  timestamp_invalid: gw(110),
  nonce_reused: gw(110),
  forbidden: gw(6),
  invalid_image: sol(216201),
  image_corrupt: sol(216201),
  image_too_large: sol(216202),
  image_too_many_pixels: sol(216202),
  face_not_found: sol(222202),
  face_too_small: sol(222203),
  multiple_faces: sol(222203),
  image_url_forbidden: sol(216100),
  image_unavailable: sol(222301),
  rate_limited: gw(18),
  engine_busy: gw(2),
  timeout: gw(2),
  engine_unavailable: gw(2),
  not_supported: gw(3),
  internal: gw(1),
  session_expired: sol(TOKEN_INVALID),
  session_finished: sol(TOKEN_INVALID),
  challenge_invalid: sol(216100),
  too_many_failures: gw(18),
  reference_missing: sol(216101),
  identity_missing: sol(216101),
};

/** uploadMatchImage: the code of a photo refused by a quality or liveness control check. */
export const CONTROL_CODES: Record<QualityCheck | 'liveness', SolutionCode> = {
  resolution: 216202,
  completeness: 223116,
  clarity: 223114,
  brightness: 223115,
  exposure: 223115,
  occlusion: 223113,
  pose: 223129,
  liveness: 223120,
};

/**
 * The code of a decided attempt (Shiren attempt codes, docs/sessions.md): 0 passed (also `whitelisted`);
 * 223120 any liveness failure; 222202 no face; 222203 several faces or a face too small/unclear; 222207 the face
 * does not match the reference.
 */
export function attemptCode(code: string): { code: number; message: string } {
  if (code === 'ok') return { code: 0, message: '核验成功' };
  if (code === 'whitelisted') return { code: 0, message: '核验成功（白名单）(passed by a whitelist entry)' };
  if (code === 'compare_failed')
    return { code: 222207, message: '人脸比对未通过 (the face does not match the reference photo)' };
  if (code === 'face_not_found') return { code: 222202, message: '图片中没有人脸 (no face in the captured frames)' };
  if (code === 'multiple_faces') return { code: 222203, message: '检测到多张人脸 (more than one face in view)' };
  if (code === 'quality_too_low')
    return { code: 222203, message: '人脸过小或不清晰 (the face was too small or unclear)' };
  if (code === 'session_expired') return { code: TOKEN_INVALID, message: TOKEN_INVALID_MESSAGE };
  return { code: 223120, message: `活体检测未通过 (${code})` };
}

/** True when the attempt failed in capture or liveness (before any comparison). */
export function failedBeforeCompare(code: string): boolean {
  return code !== 'ok' && code !== 'compare_failed' && code !== 'whitelisted';
}

/** A refusal of the API gateway that has no Shiren reason (missing or expired access_token). */
export class BaiduGatewayError extends Error {
  constructor(
    readonly code: GatewayCode,
    message?: string,
  ) {
    super(message ?? GATEWAY_MESSAGES[code]);
    this.name = 'BaiduGatewayError';
  }
}

/** A faceprint solution refusal decided by the adapter (parameter checks, token states). */
export class BaiduSolutionError extends Error {
  constructor(
    readonly code: SolutionCode,
    message?: string,
  ) {
    super(message ?? SOLUTION_MESSAGES[code]);
    this.name = 'BaiduSolutionError';
  }
}

/** An OAuth 2.0 token-endpoint refusal (RFC 6749 §5.2, Baidu's `{"error","error_description"}`). */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type',
    description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

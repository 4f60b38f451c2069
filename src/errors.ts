/**
 * One error type for the whole service. A `Reason` is a stable, lower snake_case code: it is part of
 * every protocol's contract (native envelope, vendor code tables) and is never renamed. Outcomes such
 * as "different person" or "spoof" are results, not errors.
 *
 * This module has no dependencies so that every layer (engine, store, verify, api) can throw it.
 */

/** Every reason code with its default HTTP status and a short English description (documented in docs/errors.md). */
export const REASONS = {
  // request shape
  invalid_request: { status: 400, message: 'The request is malformed or a parameter is invalid.' },
  payload_too_large: { status: 413, message: 'The request body exceeds the configured limit.' },
  unsupported_media_type: { status: 415, message: 'The request content type is not supported.' },
  not_found: { status: 404, message: 'The resource does not exist.' },
  method_not_allowed: { status: 405, message: 'The method is not allowed on this resource.' },
  conflict: { status: 409, message: 'The resource is in a state that does not allow this operation.' },
  // authentication
  unauthorized: { status: 401, message: 'Credentials are missing.' },
  access_key_invalid: { status: 401, message: 'The access key does not exist or the secret does not match.' },
  access_key_disabled: { status: 403, message: 'The access key is disabled.' },
  signature_invalid: { status: 401, message: 'The request signature does not match.' },
  timestamp_invalid: { status: 401, message: 'The request timestamp is missing or outside the allowed window.' },
  nonce_reused: { status: 401, message: 'The request nonce was already used.' },
  forbidden: { status: 403, message: 'The caller may not perform this operation.' },
  // images and faces
  invalid_image: { status: 400, message: 'The data is not an image in a supported format (JPEG, PNG, WebP, BMP).' },
  image_corrupt: { status: 400, message: 'The image is truncated or corrupt.' },
  image_too_large: { status: 413, message: 'The image exceeds the byte limit.' },
  image_too_many_pixels: { status: 400, message: 'The image exceeds the pixel limit.' },
  face_not_found: { status: 422, message: 'No face was found in the image.' },
  face_too_small: { status: 422, message: 'The face is too small to be analysed.' },
  multiple_faces: { status: 422, message: 'More than one face was found where exactly one is required.' },
  image_url_forbidden: {
    status: 400,
    message:
      'The picture URL is not allowed: not http(s), its host is not on the allow-list, or it resolves to a non-public address.',
  },
  image_unavailable: {
    status: 422,
    message:
      'The picture could not be retrieved: the download failed, timed out or was too large, or the referenced object or verification has no picture.',
  },
  // capacity and availability
  rate_limited: { status: 429, message: 'Too many requests; retry later.' },
  engine_busy: { status: 503, message: 'The face engine queue is full; retry later.' },
  timeout: { status: 504, message: 'The operation did not finish in time.' },
  engine_unavailable: { status: 503, message: 'The face engine is not loaded.' },
  not_supported: { status: 501, message: 'This operation is not supported by this deployment.' },
  internal: { status: 500, message: 'An internal error occurred.' },
  // verification sessions (docs/sessions.md)
  session_expired: { status: 410, message: 'The verification session has expired.' },
  session_finished: { status: 409, message: 'The verification session already has a final result.' },
  challenge_invalid: {
    status: 409,
    message: 'The challenge is unknown, already used, expired or issued to another session.',
  },
  too_many_failures: { status: 429, message: 'Too many failed attempts from this network; retry later.' },
  reference_missing: { status: 409, message: 'The session has no reference image to compare with.' },
  identity_missing: { status: 409, message: 'The session needs the name and ID number first.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type Reason = keyof typeof REASONS;

export class ShirenError extends Error {
  readonly reason: Reason;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds after which a retry may succeed (engine_busy, rate_limited). */
  readonly retryAfter: number | undefined;

  constructor(
    reason: Reason,
    message?: string,
    options: { details?: Record<string, unknown>; cause?: unknown; retryAfter?: number } = {},
  ) {
    super(message ?? REASONS[reason].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShirenError';
    this.reason = reason;
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }

  get status(): number {
    return REASONS[this.reason].status;
  }
}

export function isShirenError(err: unknown): err is ShirenError {
  return err instanceof ShirenError;
}

/** `400 invalid_request` naming the refused field in `details.field` (and the message), as every validator answers. */
export function invalidField(field: string, message: string, details: Record<string, unknown> = {}): ShirenError {
  return new ShirenError('invalid_request', `${field}: ${message}`, { details: { field, ...details } });
}

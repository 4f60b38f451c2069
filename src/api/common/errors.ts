/**
 * The native error envelope: { "error": { "code", "message", "details"? }, "request_id" }, HTTP status from the reason.
 * Fastify's own errors (validation, body too large, bad JSON, wrong content type) are mapped to reasons too.
 * Unknown errors become `internal`: logged with the request id, their message never echoed.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { REASONS, ShirenError, isShirenError, type Reason } from '../../errors.js';

export interface NativeErrorBody {
  error: { code: Reason; message: string; details?: Record<string, unknown> };
  request_id: string;
}

/** Normalises anything thrown into a ShirenError. */
export function toShirenError(err: unknown): ShirenError {
  if (isShirenError(err)) return err;
  const fe = err as Partial<FastifyError> & { validation?: unknown[]; validationContext?: string };
  if (fe && Array.isArray(fe.validation)) {
    return new ShirenError('invalid_request', fe.message ?? 'invalid request', {
      details: { errors: fe.validation.map((v) => pickValidation(v, fe.validationContext)) },
    });
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ShirenError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ShirenError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ShirenError('invalid_request', 'the body is not valid JSON');
  }
  if (fe instanceof SyntaxError || (fe?.statusCode === 400 && typeof fe.message === 'string')) {
    return new ShirenError('invalid_request', 'the request could not be parsed');
  }
  return new ShirenError('internal', undefined, { cause: err });
}

function pickValidation(v: unknown, context: string | undefined) {
  const e = v as { instancePath?: string; message?: string; params?: Record<string, unknown> };
  const missing = typeof e.params?.missingProperty === 'string' ? `/${e.params.missingProperty}` : '';
  return { in: context ?? 'body', path: `${e.instancePath ?? ''}${missing}` || '/', message: e.message ?? 'invalid' };
}

export function nativeErrorBody(err: ShirenError, requestId: string): NativeErrorBody {
  return {
    error: {
      code: err.reason,
      message: err.reason === 'internal' ? REASONS.internal.message : err.message,
      ...(err.details ? { details: err.details } : {}),
    },
    request_id: requestId,
  };
}

export function sendNativeError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const e = toShirenError(err);
  if (e.reason === 'internal') request.log.error({ err: e.cause ?? err }, 'unhandled error');
  else request.log.info({ reason: e.reason }, 'request failed');
  request.shirenReason = e.reason;
  if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
  return reply.code(e.status).type('application/json; charset=utf-8').send(nativeErrorBody(e, request.id));
}

/** JSON schema of the envelope, for the OpenAPI document. */
export const errorEnvelopeSchema = {
  $id: 'ErrorEnvelope',
  type: 'object',
  required: ['error', 'request_id'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(REASONS) },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
    request_id: { type: 'string' },
  },
} as const;

/**
 * Logger options: pino JSON lines. Credentials, signatures, tokens and personal fields are redacted; bodies, images,
 * embeddings, ID numbers and names are never logged.
 */
import type { FastifyServerOptions } from 'fastify';

const SENSITIVE_QUERY =
  /^(access_token|signature|securitytoken|x-security-token|client_secret|accesskeysecret|token|verify_token|id_no|id_name|certno|certname|mobile|bankcard|name|idcardnumber)$/i;

/** Verification-session tokens in paths (/v1/sessions/:token, /h5/api/sessions/:token) are bearer capabilities. */
const SESSION_TOKEN_PATH = /(\/sessions\/)[A-Za-z0-9]{24}(?=[/?]|$)/g;

/** The URL with session tokens in the path and sensitive query values replaced, for logs. */
export function redactUrl(rawUrl: string): string {
  const url = rawUrl.replace(SESSION_TOKEN_PATH, '$1[token]');
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of [...params.keys()]) {
    if (SENSITIVE_QUERY.test(key)) {
      params.set(key, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-acs-signature"]',
  'req.headers["x-acs-security-token"]',
  'req.headers["x-security-token"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.accessKeySecret',
  '*.secret',
  '*.password',
  '*.image',
  '*.embedding',
  '*.idNumber',
  '*.id_no',
  '*.id_name',
  '*.client_secret',
  '*.access_token',
  '*.verify_token',
  '*.name',
];

export function loggerOptions(level: string): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }) {
        return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress };
      },
    },
  };
}

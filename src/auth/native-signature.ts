/**
 * Shiren's own HMAC request signature for the native API (documented in docs/api-auth.md):
 *
 *   Authorization: SHIREN-HMAC-SHA256 Credential=<AccessKeyId>, Timestamp=<unix seconds>, Nonce=<nonce>, Signature=<hex>
 *
 * StringToSign = "SHIREN-HMAC-SHA256\n" + Timestamp + "\n" + Nonce + "\n" + METHOD + "\n" + path + "\n"
 *              + canonical query + "\n" + hex(SHA-256(body bytes))
 * Signature    = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
 *
 * path is the request path exactly as sent (percent-encoded, no query). The canonical query is every query parameter
 * decoded, re-encoded per RFC 3986 (unreserved characters kept, everything else %XX upper-case), sorted by name then
 * value, joined as name=value with "&". The nonce (16–64 characters of [A-Za-z0-9_-]) is single-use per key, and the
 * timestamp must be within the configured window (default ±900 s) of the server clock.
 */
import { createHash, createHmac } from 'node:crypto';

export const NATIVE_SCHEME = 'SHIREN-HMAC-SHA256';
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function canonicalQuery(search: string): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of new URLSearchParams(search.startsWith('?') ? search.slice(1) : search)) pairs.push([k, v]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
}

export function stringToSign(p: {
  timestamp: string;
  nonce: string;
  method: string;
  url: string;
  body?: Uint8Array | string;
}) {
  const q = p.url.indexOf('?');
  const path = q < 0 ? p.url : p.url.slice(0, q);
  const search = q < 0 ? '' : p.url.slice(q + 1);
  const bodyHash = createHash('sha256')
    .update(p.body ?? '')
    .digest('hex');
  return [NATIVE_SCHEME, p.timestamp, p.nonce, p.method.toUpperCase(), path, canonicalQuery(search), bodyHash].join(
    '\n',
  );
}

export function computeSignature(secret: string, sts: string): string {
  return createHmac('sha256', secret).update(sts).digest('hex');
}

/** Client side: the Authorization header for a request (used by tests, the docs' example and SDK-less callers). */
export function signNativeRequest(p: {
  accessKeyId: string;
  accessKeySecret: string;
  method: string;
  url: string;
  body?: Uint8Array | string;
  timestamp?: number;
  nonce?: string;
}): string {
  const timestamp = String(p.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce =
    p.nonce ??
    createHash('sha256')
      .update(String(Math.random()) + process.hrtime.bigint())
      .digest('hex')
      .slice(0, 32);
  const signature = computeSignature(
    p.accessKeySecret,
    stringToSign({ timestamp, nonce, method: p.method, url: p.url, body: p.body }),
  );
  return `${NATIVE_SCHEME} Credential=${p.accessKeyId}, Timestamp=${timestamp}, Nonce=${nonce}, Signature=${signature}`;
}

export interface ParsedNativeAuth {
  accessKeyId: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

/** Parses the header's fields; undefined when a field is missing or malformed. */
export function parseNativeAuthorization(header: string): ParsedNativeAuth | undefined {
  if (!header.startsWith(NATIVE_SCHEME + ' ')) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(NATIVE_SCHEME.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const timestamp = fields.get('Timestamp');
  const nonce = fields.get('Nonce');
  const signature = fields.get('Signature');
  if (!accessKeyId || !timestamp || !nonce || !signature) return undefined;
  if (!/^\d{1,12}$/.test(timestamp) || !NONCE.test(nonce) || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  return { accessKeyId, timestamp, nonce, signature };
}

/**
 * Volcengine OpenAPI request signature (HMAC-SHA256, "V4"), verified the way the official signer computes it
 * (@volcengine/openapi lib/base/sign.js):
 *
 *   canonical  = METHOD \n path \n canonical query \n canonical headers \n\n signed header names \n body hash
 *   to sign    = "HMAC-SHA256" \n X-Date \n date/region/service/request \n hex(sha256(canonical))
 *   key        = HMAC(HMAC(HMAC(HMAC(secret, date), region), service), "request")
 *   signature  = hex(HMAC(key, to sign))
 *
 * The query is re-encoded strictly (RFC 3986, `!'()*` escaped too) with keys sorted; the headers are exactly those
 * named in SignedHeaders (the SDK signs every header except authorization, content-type, content-length,
 * user-agent, presigned-expires and expect), values trimmed with inner whitespace collapsed; the body hash is the
 * X-Content-Sha256 header, which must equal the SHA-256 of the body received.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const VOLC_ALGORITHM = 'HMAC-SHA256';

export interface VolcAuthorization {
  accessKeyId: string;
  /** YYYYMMDD of the credential scope. */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** `HMAC-SHA256 Credential=AK/20240101/cn-north-1/cv/request, SignedHeaders=a;b, Signature=hex` → parts. */
export function parseVolcAuthorization(value: string): VolcAuthorization | undefined {
  const m = /^HMAC-SHA256\s+(.*)$/s.exec(value.trim());
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const part of m[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const scope = (fields.Credential ?? '').split('/');
  if (scope.length !== 5 || scope[4] !== 'request' || scope.some((s) => s === '')) return undefined;
  const signedHeaders = (fields.SignedHeaders ?? '').split(';').filter((h) => h !== '');
  if (!fields.Signature || !/^[0-9a-fA-F]{64}$/.test(fields.Signature)) return undefined;
  return {
    accessKeyId: scope[0]!,
    date: scope[1]!,
    region: scope[2]!,
    service: scope[3]!,
    signedHeaders: signedHeaders.map((h) => h.toLowerCase()),
    signature: fields.Signature.toLowerCase(),
  };
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms, or undefined. */
export function parseXDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return t;
}

/** The signer's uriEscape: encodeURIComponent, then everything outside [A-Za-z0-9_.~-%] percent-encoded too. */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(
    /[^A-Za-z0-9_.~\-%]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Canonical query of a raw query string (without `?`): keys sorted, repeated keys' values sorted, strict escaping. */
export function canonicalQuery(rawQuery: string): string {
  const grouped = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    const list = grouped.get(key);
    if (list) list.push(value);
    else grouped.set(key, [value]);
  }
  return [...grouped.keys()]
    .sort()
    .filter((k) => uriEscape(k) !== '')
    .map((k) => {
      const values = grouped.get(k)!;
      const ek = uriEscape(k);
      return values.length === 1
        ? `${ek}=${uriEscape(values[0]!)}`
        : `${ek}=${values.map(uriEscape).sort().join(`&${ek}=`)}`;
    })
    .join('&');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(',') : String(v)).replace(/\s+/g, ' ').trim();
}

export interface SignedRequest {
  method: string;
  /** The path the client called (before any server-side rewrite). */
  path: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  signedHeaders: string[];
  payloadHash: string;
}

export function canonicalRequest(r: SignedRequest): string | undefined {
  const names = [...r.signedHeaders].sort();
  const lines: string[] = [];
  for (const n of names) {
    const v = headerValue(r.headers, n);
    if (v === undefined) return undefined;
    lines.push(`${n}:${v}`);
  }
  return [
    r.method.toUpperCase(),
    r.path || '/',
    canonicalQuery(r.rawQuery),
    `${lines.join('\n')}\n`,
    names.join(';'),
    r.payloadHash,
  ].join('\n');
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

export function volcSignature(
  secret: string,
  scope: { date: string; region: string; service: string },
  xDate: string,
  canonical: string,
): string {
  const stringToSign = [
    VOLC_ALGORITHM,
    xDate,
    `${scope.date}/${scope.region}/${scope.service}/request`,
    sha256Hex(canonical),
  ].join('\n');
  const kDate = hmac(secret, scope.date);
  const kRegion = hmac(kDate, scope.region);
  const kService = hmac(kRegion, scope.service);
  const kSigning = hmac(kService, 'request');
  return createHmac('sha256', kSigning).update(stringToSign).digest('hex');
}

/**
 * The two request signatures the Alibaba Cloud SDKs produce for RPC-style APIs, verified as the SDK computes them:
 *
 * - RPC v1 (`SignatureVersion=1.0`, `SignatureMethod=HMAC-SHA1`): every query and form-body parameter except
 *   `Signature`, sorted by name, percent-encoded (RFC 3986), joined as `k=v&…`; string to sign
 *   `METHOD&%2F&<encoded canonical string>`; HMAC-SHA1 keyed with `secret + "&"`, base64.
 * - ACS3-HMAC-SHA256 (`Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`): canonical request
 *   `METHOD\nPATH\nQUERY\nHEADERS\n\nSIGNED_HEADERS\nSHA256(body)`, string to sign
 *   `ACS3-HMAC-SHA256\n<hex sha256 of the canonical request>`, HMAC-SHA256 keyed with the secret, hex.
 *
 * Pure functions: no HTTP, no database. The adapter (index.ts) resolves the key and claims the nonce.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** Percent-encoding of the SDK: encodeURIComponent plus ! ' ( ) *. */
function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** RPC v1: the string to sign over all parameters (query ∪ body), `Signature` left out. */
export function rpcStringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort(byCodeUnit)
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

export function rpcSignature(secret: string, method: string, params: Record<string, string>): string {
  return createHmac('sha1', `${secret}&`).update(rpcStringToSign(method, params), 'utf8').digest('base64');
}

export function verifyRpcSignature(secret: string, method: string, params: Record<string, string>): boolean {
  const presented = params.Signature;
  if (!presented) return false;
  return constantTimeEqual(rpcSignature(secret, method, params), presented);
}

export interface Acs3Authorization {
  algorithm: string;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex`; undefined when malformed. */
export function parseAcs3Authorization(header: string): Acs3Authorization | undefined {
  const space = header.indexOf(' ');
  if (space <= 0) return undefined;
  const algorithm = header.slice(0, space);
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) return undefined;
  return { algorithm, accessKeyId, signedHeaders: signedHeaders.split(';'), signature };
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface Acs3RequestParts {
  method: string;
  /** The path as received (without the query). */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  signedHeaders: string[];
  /** Hex SHA-256 of the body, as presented in x-acs-content-sha256. */
  payloadHash: string;
}

export function acs3CanonicalRequest(p: Acs3RequestParts): string {
  const uri = p.path.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const query = Object.keys(p.query)
    .sort(byCodeUnit)
    .map((k) => `${k}=${percentEncode(p.query[k]!)}`)
    .join('&');
  const names = [...p.signedHeaders].sort(byCodeUnit);
  const headers = names
    .map((name) => {
      const v = p.headers[name];
      const values = (Array.isArray(v) ? v : [v ?? '']).map((x) => x.trim()).sort(byCodeUnit);
      return `${name}:${values.join(',')}\n`;
    })
    .join('');
  return [p.method.toUpperCase(), uri, query, headers, names.join(';'), p.payloadHash].join('\n');
}

export function acs3Signature(secret: string, p: Acs3RequestParts): string {
  const stringToSign = `${ACS3_ALGORITHM}\n${sha256Hex(acs3CanonicalRequest(p))}`;
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
}

export function verifyAcs3Signature(secret: string, p: Acs3RequestParts, presented: string): boolean {
  return constantTimeEqual(acs3Signature(secret, p), presented.toLowerCase());
}

/** `YYYY-MM-DDTHH:mm:ssZ` (the SDK's Timestamp / x-acs-date) → epoch ms; undefined when malformed. */
export function parseAliyunTimestamp(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

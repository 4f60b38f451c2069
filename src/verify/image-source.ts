/**
 * Where a picture handed to a face call comes from, besides inline base64: a URL (fetched under an SSRF guard), an
 * object in the operator's object area of the blob store (what Cloudauth calls an OSS bucket/object), or an earlier
 * passed verification session (its best captured frame). docs/image-sources.md describes each for operators.
 *
 * The URL guard: only http(s); the host must be on the allow-list; every address the name resolves to must be public
 * unless private addresses are allowed; the connection goes to the address that was checked (no second DNS look-up
 * that could answer differently); redirects are followed at most 3 times and each hop is checked again; the body is
 * cut off past the byte limit and the whole download past the deadline.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ShirenError } from '../errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { validateBlobKey } from '../store/blob-store.js';

export type PictureSource =
  | { kind: 'base64'; value: string }
  | { kind: 'url'; url: string }
  /** An object the operator put in the app's object area (Cloudauth OssBucketName + OssObjectName). */
  | { kind: 'object'; bucket: string; object: string }
  /** The best frame of an earlier passed verification session of the same app (Cloudauth CertifyId). */
  | { kind: 'session'; token: string };

export interface FetchPolicy {
  allowHosts: readonly string[];
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes: number;
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

export interface ImageSourceDeps {
  /** The guard's policy, or a function giving the live one (the console's settings, src/verify/settings.ts). */
  policy: FetchPolicy | (() => Promise<FetchPolicy>);
  blobs: Pick<BlobStore, 'get' | 'put' | 'delete' | 'list'>;
  /** Reads the best frame of a passed session of the app (SessionService.passedImage). */
  sessionImage?: (appId: string, token: string) => Promise<Buffer>;
  /** DNS look-up (tests inject one; default: the system resolver, all addresses). */
  lookup?: Lookup;
}

const MAX_REDIRECTS = 3;

// ---- address classification ------------------------------------------------------------------------------------

function ipv4Parts(a: string): number[] {
  return a.split('.').map(Number);
}

/** True for addresses that are not on the public internet (RFC 6890 special-purpose ranges, loopback, private, …). */
export function isNonPublicAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const [a, b, c] = ipv4Parts(address) as [number, number, number, number];
    return (
      a === 0 || // "this network"
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
      (a === 169 && b === 254) || // link-local, cloud metadata services
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
      (a === 192 && b === 88 && c === 99) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) || // benchmarking
      (a === 198 && b === 51 && c === 100) ||
      (a === 203 && b === 0 && c === 113) ||
      a >= 224 // multicast, reserved, broadcast
    );
  }
  if (net.isIPv6(address)) {
    const lower = address.toLowerCase();
    const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isNonPublicAddress(mapped[1]!);
    const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
    if (mappedHex) {
      const hi = parseInt(mappedHex[1]!, 16);
      const lo = parseInt(mappedHex[2]!, 16);
      return isNonPublicAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    if (lower === '::' || lower === '::1') return true;
    const first = parseInt(lower.split(':')[0] || '0', 16);
    return (
      (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
      (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
      (first & 0xff00) === 0xff00 || // multicast
      first === 0x2001 || // 2001::/23 special purpose incl. documentation 2001:db8::/32, Teredo
      first === 0x0064 || // 64:ff9b::/96 NAT64 (may reach private IPv4)
      first === 0x2002 // 6to4 (embeds an IPv4 address)
    );
  }
  return true;
}

/** Whether a host name matches an allow-list entry ("example.com" exactly, "*.example.com" any subdomain). */
export function hostAllowed(host: string, allowHosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return allowHosts.some((entry) => {
    if (entry.startsWith('*.')) return h.endsWith(entry.slice(1)) && h.length > entry.length - 1;
    return h === entry;
  });
}

// ---- the fetcher -----------------------------------------------------------------------------------------------

const forbidden = (url: string, why: string) =>
  new ShirenError('image_url_forbidden', `The picture URL is not allowed: ${why}.`, { details: { url: redact(url) } });
const unavailable = (url: string, why: string) =>
  new ShirenError('image_unavailable', `The picture could not be downloaded: ${why}.`, {
    details: { url: redact(url) },
  });

/** The URL without its query and credentials (signed object URLs carry secrets in the query). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

async function resolveChecked(
  u: URL,
  policy: FetchPolicy,
  lookup: Lookup,
): Promise<{ address: string; family: number }> {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const entryHost = net.isIPv6(host) ? `[${host}]` : host;
  if (!hostAllowed(entryHost, policy.allowHosts)) throw forbidden(u.href, `host ${entryHost} is not on the allow-list`);
  let addresses: { address: string; family: number }[];
  if (net.isIP(host)) addresses = [{ address: host, family: net.isIPv6(host) ? 6 : 4 }];
  else {
    try {
      addresses = await lookup(host);
    } catch {
      throw unavailable(u.href, `the host name ${host} does not resolve`);
    }
  }
  if (addresses.length === 0) throw unavailable(u.href, `the host name ${host} does not resolve`);
  if (!policy.allowPrivate) {
    const bad = addresses.find((a) => isNonPublicAddress(a.address));
    if (bad) throw forbidden(u.href, `${host} resolves to the non-public address ${bad.address}`);
  }
  return addresses[0]!;
}

function getOnce(
  u: URL,
  target: { address: string; family: number },
  policy: FetchPolicy,
  signal: AbortSignal,
): Promise<{ status: number; location?: string; body?: Buffer }> {
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: 'GET',
        signal,
        headers: { accept: 'image/*', 'user-agent': 'shiren-image-fetch' },
        // Connect to the address that was checked, whatever the resolver would say now.
        lookup: (_host, opts, cb) => {
          if ((opts as { all?: boolean }).all) cb(null, [{ address: target.address, family: target.family }]);
          else (cb as (e: null, a: string, f: number) => void)(null, target.address, target.family);
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          resolve({ status, location: res.headers.location });
          return;
        }
        if (status !== 200) {
          res.resume();
          resolve({ status });
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > policy.maxBytes) {
          res.destroy();
          reject(unavailable(u.href, `it is larger than ${policy.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxBytes) {
            res.destroy();
            reject(unavailable(u.href, `it is larger than ${policy.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
        res.on('error', (err) => reject(err));
      },
    );
    req.on('error', (err) => reject(err));
    req.end();
  });
}

/** Downloads a picture under the policy; ShirenError image_url_forbidden / image_unavailable on refusal or failure. */
export async function fetchImage(
  url: string,
  policy: FetchPolicy,
  opts: { lookup?: Lookup; signal?: AbortSignal } = {},
): Promise<Buffer> {
  const lookup: Lookup = opts.lookup ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw forbidden(url, 'it is not a valid URL');
  }
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline, opts.signal]) : deadline;
  for (let hop = 0; ; hop++) {
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw forbidden(u.href, 'only http and https are allowed');
    if (u.username || u.password) throw forbidden(u.href, 'credentials in the URL are not allowed');
    const target = await resolveChecked(u, policy, lookup);
    let answer: Awaited<ReturnType<typeof getOnce>>;
    try {
      answer = await getOnce(u, target, policy, signal);
    } catch (err) {
      if (err instanceof ShirenError) throw err;
      if (deadline.aborted) throw unavailable(u.href, `no answer within ${policy.timeoutMs} ms`);
      if (opts.signal?.aborted) throw err;
      throw unavailable(u.href, `the connection failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (answer.location !== undefined) {
      if (hop >= MAX_REDIRECTS) throw unavailable(u.href, `more than ${MAX_REDIRECTS} redirects`);
      try {
        u = new URL(answer.location, u);
      } catch {
        throw unavailable(u.href, 'the redirect location is not a URL');
      }
      continue;
    }
    if (answer.status !== 200 || !answer.body) throw unavailable(u.href, `the server answered HTTP ${answer.status}`);
    if (answer.body.length === 0) throw unavailable(u.href, 'the body is empty');
    return answer.body;
  }
}

// ---- the object area (Cloudauth OSS bucket/object) -------------------------------------------------------------

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Blob key of an object: oss/<appId>/<bucket>/<object path>. Each app has its own buckets. */
export function objectKey(appId: string, bucket: string, object: string): string {
  if (!BUCKET.test(bucket)) {
    throw new ShirenError('invalid_request', 'bucket names are 3–63 lower-case letters, digits and hyphens', {
      details: { field: 'bucket' },
    });
  }
  const key = `oss/${appId}/${bucket}/${object.replace(/^\/+/, '')}`;
  try {
    validateBlobKey(key);
  } catch {
    throw new ShirenError(
      'invalid_request',
      'object names are "/"-separated segments of letters, digits, ".", "_" and "-" (at most 13 segments)',
      { details: { field: 'object' } },
    );
  }
  return key;
}

export function createImageSources(deps: ImageSourceDeps) {
  const policy = async (): Promise<FetchPolicy> => (typeof deps.policy === 'function' ? deps.policy() : deps.policy);
  return {
    /** The picture's bytes (or the base64 text, which the face engine decodes itself). */
    async resolve(appId: string, source: PictureSource, signal?: AbortSignal): Promise<Buffer | string> {
      switch (source.kind) {
        case 'base64':
          return source.value;
        case 'url':
          return fetchImage(source.url, await policy(), {
            ...(deps.lookup ? { lookup: deps.lookup } : {}),
            ...(signal ? { signal } : {}),
          });
        case 'object': {
          const data = await deps.blobs.get(objectKey(appId, source.bucket, source.object));
          if (!data) {
            throw new ShirenError(
              'image_unavailable',
              `There is no object ${source.object} in bucket ${source.bucket}.`,
            );
          }
          return data;
        }
        case 'session': {
          if (!deps.sessionImage) throw new ShirenError('not_supported', 'session pictures are not available here');
          return deps.sessionImage(appId, source.token);
        }
      }
    },

    /** Stores an object for the app (the CLI's `shiren objects put`, the native API). */
    async putObject(
      appId: string,
      bucket: string,
      object: string,
      data: Uint8Array,
    ): Promise<{ key: string; size: number }> {
      if (data.length === 0) throw new ShirenError('invalid_request', 'the object is empty');
      const { maxBytes } = await policy();
      if (data.length > maxBytes) {
        throw new ShirenError('image_too_large', `objects are limited to ${maxBytes} bytes`);
      }
      return deps.blobs.put(objectKey(appId, bucket, object), data);
    },

    async deleteObject(appId: string, bucket: string, object: string): Promise<boolean> {
      return deps.blobs.delete(objectKey(appId, bucket, object));
    },

    async listObjects(appId: string, bucket: string): Promise<{ object: string; size: number }[]> {
      const prefix = objectKey(appId, bucket, 'x').slice(0, -1);
      return (await deps.blobs.list(prefix)).map((b) => ({ object: b.key.slice(prefix.length), size: b.size }));
    },
  };
}

export type ImageSources = ReturnType<typeof createImageSources>;

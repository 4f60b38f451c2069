/**
 * Configuration: read once from the environment (and an optional JSON file named by SHIREN_CONFIG), validated with a
 * message that names every bad setting, then frozen and passed down. Nothing else in the code base reads process.env.
 *
 * Precedence: environment variable > config file > default. The config file uses the same names as the environment
 * (e.g. {"PORT": 9000, "SHIREN_WORKERS": 2}).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Config {
  /** TCP port the HTTP server listens on. */
  port: number;
  host: string;
  /** Public base URL used in printed links and H5 URLs (default http://localhost:PORT). */
  publicUrl: string;
  /** Directory for the embedded database, blobs and the generated master key. */
  dataDir: string;
  /** PostgreSQL connection string; when unset the embedded PGlite database under dataDir is used. */
  databaseUrl: string | undefined;
  /** 32-byte master key (base64 or hex in the environment); undefined = generated into dataDir/master.key. */
  masterKey: Buffer | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted request body, bytes. */
  bodyLimit: number;
  /** Trust X-Forwarded-* and an inbound x-request-id from these proxies (Fastify trustProxy semantics); false = none. */
  trustProxy: boolean | string;
  /** Allowed clock skew for signed requests, seconds. */
  signatureWindowSeconds: number;
  /** Time allowed for in-flight requests to finish after SIGTERM, ms. */
  shutdownGraceMs: number;
  engine: {
    enabled: boolean;
    workers: number;
    queueLimit: number;
    maxImageBytes: number;
    maxPixels: number;
    minFaceSize: number;
    timeoutMs: number;
  };
  sessions: {
    /** Serve GET /h5/demo (a session on the built-in demo plan of the default app). */
    h5Demo: boolean;
    /** Demo sessions one client address may create per hour. */
    h5DemoPerHour: number;
    /** Failed attempts one client address may make within the window before too_many_failures. */
    ipFailureLimit: number;
    ipFailureWindowSeconds: number;
  };
  /** Fetching pictures by URL (Cloudauth *FaceContrastPictureUrl): docs/image-sources.md. */
  imageFetch: {
    /** Host names (exact, or "*.example.com" for subdomains) that may be fetched; empty = URL inputs refused. */
    allowHosts: string[];
    /** Allow addresses in private, loopback, link-local and other non-public ranges (off by default). */
    allowPrivate: boolean;
    timeoutMs: number;
  };
  /** Settings given by the environment or the SHIREN_CONFIG file (the rest have their default). */
  fromEnv: readonly SettingName[];
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The documented settings: name → description. docs/configuration.md lists the same. */
export const SETTINGS = {
  PORT: 'HTTP port (1–65535), default 8080',
  HOST: 'listen address, default 0.0.0.0',
  SHIREN_PUBLIC_URL: 'public base URL for printed links and H5 URLs, default http://localhost:PORT',
  DATA_DIR: 'data directory (embedded database, blobs, master key), default ./data',
  DATABASE_URL: 'postgres://… connection string; unset = embedded PGlite under DATA_DIR',
  SHIREN_MASTER_KEY:
    '32-byte key as 64 hex chars or base64; unset = generated once into DATA_DIR/master.key (mode 0600)',
  LOG_LEVEL: 'fatal|error|warn|info|debug|trace|silent, default info',
  SHIREN_BODY_LIMIT: 'largest request body in bytes, default 8388608 (8 MiB)',
  SHIREN_TRUST_PROXY: 'false (default), true, or a comma-separated list of proxy addresses/CIDRs',
  SHIREN_SIGNATURE_WINDOW: 'allowed clock skew of signed requests in seconds, default 900',
  SHIREN_SHUTDOWN_GRACE_MS: 'time for in-flight requests after SIGTERM, default 10000',
  SHIREN_ENGINE: 'on (default) or off: off starts the service without loading face models',
  SHIREN_WORKERS: 'face engine worker threads, default = number of CPU cores',
  SHIREN_QUEUE_LIMIT: 'face engine jobs allowed to wait before answering engine_busy, default 64',
  SHIREN_MAX_IMAGE_BYTES: 'largest decoded image input in bytes, default 5242880 (5 MiB)',
  SHIREN_MAX_PIXELS: 'largest image in pixels (width × height), default 40000000',
  SHIREN_MIN_FACE_SIZE: 'smallest face (box side in pixels) analysed, default 32',
  SHIREN_ENGINE_TIMEOUT_MS: 'deadline of one engine job including queueing, default 30000',
  SHIREN_H5_DEMO: 'on (default) or off: GET /h5/demo creates a session on a built-in demo plan of the default app',
  SHIREN_H5_DEMO_PER_HOUR: 'demo sessions one client address may create per hour, default 20',
  SHIREN_IP_FAILURE_LIMIT: 'failed verification attempts one client address may make per window, default 5',
  SHIREN_IP_FAILURE_WINDOW: 'that window in seconds, default 180',
  SHIREN_IMAGE_FETCH_HOSTS:
    'comma-separated host names pictures may be fetched from by URL ("*.example.com" = any subdomain); empty (default) = URL inputs refused (the console can override it)',
  SHIREN_IMAGE_FETCH_PRIVATE:
    'on or off (default): allow fetching from private, loopback and link-local addresses (the console can override it)',
  SHIREN_IMAGE_FETCH_TIMEOUT_MS: 'deadline of one picture download, default 5000 (the console can override it)',
  SHIREN_CONFIG: 'path of an optional JSON file holding any of these settings',
} as const;

export type SettingName = keyof typeof SETTINGS;

/** An image-fetch allow-list entry: a host name, "*.example.com", or a bracketed IPv6 address (lower case). */
export function isAllowHostEntry(h: string): boolean {
  return /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/.test(h);
}

/** Range of SHIREN_IMAGE_FETCH_TIMEOUT_MS (the console's settings page applies the same). */
export const IMAGE_FETCH_TIMEOUT_RANGE = { min: 100, max: 120_000, default: 5000 } as const;

function readConfigFile(file: string, problems: string[]): Env {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`SHIREN_CONFIG: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    problems.push(`SHIREN_CONFIG: ${file} is not valid JSON (${(err as Error).message})`);
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`SHIREN_CONFIG: ${file} must hold a JSON object`);
    return {};
  }
  const out: Env = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in SETTINGS) || key === 'SHIREN_CONFIG') {
      problems.push(`SHIREN_CONFIG: unknown setting "${key}" in ${file}`);
      continue;
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
    else problems.push(`${key}: must be a string, number or boolean in ${file}`);
  }
  return out;
}

/** Parse and validate the configuration. Throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Readonly<Config> {
  const problems: string[] = [];
  const fileEnv = env.SHIREN_CONFIG ? readConfigFile(path.resolve(cwd, env.SHIREN_CONFIG), problems) : {};
  const get = (name: SettingName): string | undefined => {
    const v = env[name] ?? fileEnv[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const int = (name: SettingName, def: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return def;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name}=${JSON.stringify(raw)} is not a whole number (${SETTINGS[name]})`);
      return def;
    }
    const n = Number(raw);
    if (n < min || n > max) {
      problems.push(`${name}=${raw} is out of range ${min}–${max}`);
      return def;
    }
    return n;
  };

  const bool = (name: SettingName, def: boolean): boolean => {
    const raw = get(name)?.toLowerCase();
    if (raw === undefined) return def;
    if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'off', 'no'].includes(raw)) return false;
    problems.push(`${name}=${JSON.stringify(raw)} must be on/off (true/false)`);
    return def;
  };

  const port = int('PORT', 8080, 1, 65535);
  const host = get('HOST') ?? '0.0.0.0';
  const dataDir = path.resolve(cwd, get('DATA_DIR') ?? './data');

  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl !== undefined) {
    let ok = false;
    try {
      const u = new URL(databaseUrl);
      ok = u.protocol === 'postgres:' || u.protocol === 'postgresql:';
    } catch {
      ok = false;
    }
    if (!ok) problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  let masterKey: Buffer | undefined;
  const rawKey = get('SHIREN_MASTER_KEY');
  if (rawKey !== undefined) {
    if (/^[0-9a-fA-F]{64}$/.test(rawKey)) masterKey = Buffer.from(rawKey, 'hex');
    else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(rawKey) && Buffer.from(rawKey, 'base64').length === 32)
      masterKey = Buffer.from(rawKey, 'base64');
    else problems.push('SHIREN_MASTER_KEY must be 32 bytes written as 64 hex characters or base64');
  }

  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const rawLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  const logLevel = (levels as readonly string[]).includes(rawLevel) ? (rawLevel as Config['logLevel']) : 'info';
  if (logLevel !== rawLevel) problems.push(`LOG_LEVEL=${JSON.stringify(rawLevel)} must be one of ${levels.join(', ')}`);

  const rawTrust = get('SHIREN_TRUST_PROXY');
  let trustProxy: boolean | string = false;
  if (rawTrust !== undefined) {
    const lower = rawTrust.toLowerCase();
    if (['true', 'on', '1', 'yes'].includes(lower)) trustProxy = true;
    else if (['false', 'off', '0', 'no'].includes(lower)) trustProxy = false;
    else trustProxy = rawTrust;
  }

  let publicUrl = get('SHIREN_PUBLIC_URL') ?? `http://localhost:${port}`;
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    publicUrl = publicUrl.replace(/\/+$/, '');
  } catch {
    problems.push(`SHIREN_PUBLIC_URL=${JSON.stringify(publicUrl)} must be an http(s) URL`);
  }

  const allowHosts = (get('SHIREN_IMAGE_FETCH_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h.length > 0);
  for (const h of allowHosts) {
    if (!isAllowHostEntry(h)) problems.push(`SHIREN_IMAGE_FETCH_HOSTS: ${JSON.stringify(h)} is not a host name`);
  }

  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const config: Config = {
    port,
    host,
    publicUrl,
    dataDir,
    databaseUrl,
    masterKey,
    logLevel,
    bodyLimit: int('SHIREN_BODY_LIMIT', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    trustProxy,
    signatureWindowSeconds: int('SHIREN_SIGNATURE_WINDOW', 900, 1, 86400),
    shutdownGraceMs: int('SHIREN_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    engine: {
      enabled: bool('SHIREN_ENGINE', true),
      workers: int('SHIREN_WORKERS', cores, 1, 256),
      queueLimit: int('SHIREN_QUEUE_LIMIT', 64, 0, 100_000),
      maxImageBytes: int('SHIREN_MAX_IMAGE_BYTES', 5 * 1024 * 1024, 1024, 512 * 1024 * 1024),
      maxPixels: int('SHIREN_MAX_PIXELS', 40_000_000, 10_000, 1_000_000_000),
      minFaceSize: int('SHIREN_MIN_FACE_SIZE', 32, 8, 4096),
      timeoutMs: int('SHIREN_ENGINE_TIMEOUT_MS', 30_000, 100, 600_000),
    },
    sessions: {
      h5Demo: bool('SHIREN_H5_DEMO', true),
      h5DemoPerHour: int('SHIREN_H5_DEMO_PER_HOUR', 20, 1, 1_000_000),
      ipFailureLimit: int('SHIREN_IP_FAILURE_LIMIT', 5, 1, 1_000_000),
      ipFailureWindowSeconds: int('SHIREN_IP_FAILURE_WINDOW', 180, 1, 86_400),
    },
    imageFetch: {
      allowHosts,
      allowPrivate: bool('SHIREN_IMAGE_FETCH_PRIVATE', false),
      timeoutMs: int(
        'SHIREN_IMAGE_FETCH_TIMEOUT_MS',
        IMAGE_FETCH_TIMEOUT_RANGE.default,
        IMAGE_FETCH_TIMEOUT_RANGE.min,
        IMAGE_FETCH_TIMEOUT_RANGE.max,
      ),
    },
    fromEnv: (Object.keys(SETTINGS) as SettingName[]).filter((n) => get(n) !== undefined),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...config,
    engine: Object.freeze(config.engine),
    sessions: Object.freeze(config.sessions),
    imageFetch: Object.freeze({ ...config.imageFetch, allowHosts: Object.freeze(allowHosts) as string[] }),
    fromEnv: Object.freeze(config.fromEnv),
  });
}

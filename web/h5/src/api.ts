/**
 * Client of the page's server API (docs/sessions.md): /h5/api/sessions/:token and its identity, challenge and
 * attempts sub-resources. Errors arrive in the native envelope {error:{code,message}} and become ApiError.
 */
import type { ChallengeSpec, LivenessMode } from './timeline.js';

export interface SessionView {
  status: 'created' | 'in_progress' | 'passed' | 'failed' | 'expired';
  livenessMode: LivenessMode;
  /** The page must ask for name and ID number before the challenge. */
  identityRequired: boolean;
  attemptsLeft: number;
  expiresAt: string;
  /** Where a finished session sends the person back to, if the operator set it. */
  redirectUrl: string | null;
  /** Retention of face images and of the result, when the server tells (shown on the consent screen). */
  mediaRetentionHours: number | null;
  resultRetentionHours: number | null;
}

export interface AttemptFrame {
  t: number;
  step: string;
  image: string;
}

export interface AttemptAnswer {
  outcome: 'passed' | 'failed' | 'retry';
  code: string;
  message: string;
  attemptsLeft?: number;
  redirectUrl?: string | null;
  /** Signed receipt of the attempt; the page hands it to the operator's app as sdk_data (docs/volcengine.md). */
  receipt?: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Api {
  session(): Promise<SessionView>;
  identity(name: string, idNumber: string): Promise<void>;
  challenge(): Promise<ChallengeSpec>;
  attempt(body: {
    challengeId: string;
    frames: AttemptFrame[];
    client: Record<string, string>;
  }): Promise<AttemptAnswer>;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Reads GET /h5/api/sessions/:token (src/api/h5/index.ts) into the page's view. */
export function toSessionView(raw: Record<string, unknown>): SessionView {
  return {
    status: raw.status as SessionView['status'],
    livenessMode: (raw.livenessMode ?? 'silent') as LivenessMode,
    identityRequired: raw.needsIdentity === true,
    attemptsLeft: num(raw.attemptsLeft) ?? 1,
    expiresAt: String(raw.expiresAt ?? ''),
    redirectUrl: typeof raw.redirectUrl === 'string' ? raw.redirectUrl : null,
    mediaRetentionHours: num(raw.mediaRetentionHours),
    resultRetentionHours: num(raw.resultRetentionHours),
  };
}

/** `device`: the page's device id (src/device.ts), sent on every call as x-shiren-device. */
export function createApi(base: string, token: string, fetchImpl: typeof fetch = fetch, device?: string): Api {
  const root = `${base}api/sessions/${encodeURIComponent(token)}`;
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    const headers: Record<string, string> = device ? { 'x-shiren-device': device } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      res = await fetchImpl(root + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('network', 'network error', 0);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(err?.code ?? `http_${res.status}`, err?.message ?? res.statusText, res.status);
    }
    return json as T;
  }
  return {
    session: async () => toSessionView(await call<Record<string, unknown>>('GET', '')),
    identity: async (name, idNumber) => {
      await call('POST', '/identity', { name, idNumber });
    },
    challenge: () => call<ChallengeSpec>('POST', '/challenge', {}),
    attempt: (body) => call<AttemptAnswer>('POST', '/attempts', body),
  };
}

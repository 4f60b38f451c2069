/**
 * The `http` identity provider: forwards a check to an upstream service the operator runs or buys (docs/identity.md
 * "Upstream protocol"), with a timeout, an Authorization header and a circuit breaker: after `failureThreshold`
 * consecutive failures (network error, timeout, HTTP 5xx, an answer that is not the protocol) the circuit opens and
 * checks fail at once for `cooldownMs`; then one trial call is let through (half-open): success closes the circuit,
 * failure opens it again.
 *
 * Request:  POST <url>  {"check": kind, "paramType": "normal"|"md5", "fields": {name, idNumber, …, face: base64}}
 * Answer:   200 {"result": "consistent"|"inconsistent"|"no_record"|"unsupported", "mismatched"?: [..],
 *               "isp"?, "timeCode"?, "subCode"?, "vehicle"?: {..}}
 */
import { ShirenError } from '../../errors.js';
import type { CheckAnswer, CheckRequest, IdentityProvider } from './types.js';

export interface HttpUpstreamSettings {
  url: string;
  /** Sent verbatim as the Authorization header (e.g. "Bearer …"). */
  authorization?: string;
  timeoutMs: number;
  failureThreshold: number;
  cooldownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface CircuitBreaker {
  state(): BreakerState;
  /** Throws when the circuit is open; returns a release function reporting the call's outcome. */
  enter(): (ok: boolean) => void;
}

export function createCircuitBreaker(
  opts: { failureThreshold: number; cooldownMs: number },
  now: () => number = () => Date.now(),
): CircuitBreaker {
  let failures = 0;
  let openedAt: number | undefined;
  let trial = false;
  const state = (): BreakerState => {
    if (openedAt === undefined) return 'closed';
    return now() - openedAt >= opts.cooldownMs ? 'half_open' : 'open';
  };
  return {
    state,
    enter() {
      const s = state();
      if (s === 'open' || (s === 'half_open' && trial)) {
        const retryAfter = Math.max(1, Math.ceil((openedAt! + opts.cooldownMs - now()) / 1000));
        throw new ShirenError(
          'engine_unavailable',
          `the identity upstream is failing; its circuit breaker is open (retry in ${retryAfter} s)`,
          { retryAfter, details: { provider: 'http', breaker: 'open' } },
        );
      }
      const isTrial = s === 'half_open';
      if (isTrial) trial = true;
      let done = false;
      return (ok) => {
        if (done) return;
        done = true;
        if (isTrial) trial = false;
        if (ok) {
          failures = 0;
          openedAt = undefined;
        } else if (isTrial || ++failures >= opts.failureThreshold) {
          openedAt = now();
        }
      };
    },
  };
}

const RESULTS = new Set(['consistent', 'inconsistent', 'no_record', 'unsupported']);

function parseAnswer(body: unknown): CheckAnswer | 'unsupported' | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.result !== 'string' || !RESULTS.has(b.result)) return undefined;
  if (b.result === 'unsupported') return 'unsupported';
  const str = (v: unknown) => (typeof v === 'string' && v.length <= 64 ? v : undefined);
  const mismatched = Array.isArray(b.mismatched) ? b.mismatched.filter((m) => typeof m === 'string').slice(0, 16) : [];
  const out: CheckAnswer = { result: b.result as CheckAnswer['result'], mismatched: mismatched as string[] };
  if (out.result === 'inconsistent' && out.mismatched.length === 0) out.mismatched = ['unspecified'];
  if (out.result !== 'inconsistent') out.mismatched = [];
  const isp = str(b.isp);
  const timeCode = str(b.timeCode);
  const subCode = str(b.subCode);
  if (isp) out.isp = isp;
  if (timeCode) out.timeCode = timeCode;
  if (subCode) out.subCode = subCode;
  if (b.vehicle && typeof b.vehicle === 'object' && !Array.isArray(b.vehicle))
    out.vehicle = b.vehicle as Record<string, unknown>;
  return out;
}

/** Failures counted by the breaker (the upstream's fault), as opposed to answers. */
class UpstreamFailure extends Error {}

export function createHttpProvider(
  settings: HttpUpstreamSettings,
  breaker: CircuitBreaker = createCircuitBreaker(settings),
): IdentityProvider & { breaker: CircuitBreaker } {
  return {
    name: 'http',
    breaker,
    async check(_appId: string, req: CheckRequest): Promise<CheckAnswer> {
      const release = breaker.enter();
      const fields: Record<string, string> = {};
      for (const k of [
        'name',
        'idNumber',
        'mobile',
        'bankCard',
        'plate',
        'vehicleType',
        'vin',
        'validFrom',
        'validTo',
        'registerDate',
      ] as const) {
        const v = req[k];
        if (v !== undefined) fields[k] = v;
      }
      if (req.face) fields.face = req.face.toString('base64');
      if (req.elements) fields.elements = String(req.elements);
      const signal = req.signal
        ? AbortSignal.any([req.signal, AbortSignal.timeout(settings.timeoutMs)])
        : AbortSignal.timeout(settings.timeoutMs);
      try {
        let res: Response;
        try {
          res = await fetch(settings.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json',
              ...(settings.authorization ? { authorization: settings.authorization } : {}),
            },
            body: JSON.stringify({ check: req.kind, paramType: req.paramType, fields }),
            signal,
            redirect: 'error',
          });
        } catch (err) {
          if (req.signal?.aborted) throw err;
          const e = err as Error;
          if (e.name === 'TimeoutError' || e.name === 'AbortError')
            throw new UpstreamFailure(`timeout after ${settings.timeoutMs} ms`);
          throw new UpstreamFailure(
            `cannot reach the upstream (${(e.cause as Error | undefined)?.message ?? e.message})`,
          );
        }
        if (res.status >= 500) throw new UpstreamFailure(`the upstream answered HTTP ${res.status}`);
        let body: unknown;
        try {
          body = await res.json();
        } catch {
          throw new UpstreamFailure(`the upstream answered HTTP ${res.status} without JSON`);
        }
        if (res.status >= 400) {
          // The upstream refused this request (not its fault): the circuit stays closed.
          release(true);
          const message = (body as { message?: unknown })?.message;
          throw new ShirenError(
            res.status === 501 ? 'not_supported' : 'invalid_request',
            `the identity upstream refused the check (HTTP ${res.status}${typeof message === 'string' ? `: ${message.slice(0, 200)}` : ''})`,
            { details: { provider: 'http', upstreamStatus: res.status } },
          );
        }
        const answer = parseAnswer(body);
        if (!answer) throw new UpstreamFailure('the upstream answer is not in the protocol (docs/identity.md)');
        release(true);
        if (answer === 'unsupported')
          throw new ShirenError('not_supported', `the identity upstream cannot answer ${req.kind}`, {
            details: { code: 'source_cannot_answer', check: req.kind, provider: 'http' },
          });
        return answer;
      } catch (err) {
        if (err instanceof UpstreamFailure) {
          release(false);
          const timeout = err.message.startsWith('timeout');
          throw new ShirenError(timeout ? 'timeout' : 'engine_unavailable', `identity upstream: ${err.message}`, {
            details: { provider: 'http', breaker: breaker.state() },
          });
        }
        release(true);
        throw err;
      }
    },
  };
}

/**
 * Attempt receipts: a signed, tamper-evident statement "attempt N of session T ended with outcome O / code C at time
 * F", issued by the server when it decides an H5 attempt and handed to the page (the attempt answer's `receipt`).
 * The page passes it on to the operator's app, whose server presents it back (Volcengine CertVerify's `sdk_data`).
 * The server then reads the recorded attempt it names; the receipt carries no score and decides nothing by itself.
 *
 * Format: `sr1.<base64url(JSON claims)>.<mac>`, mac = keyed HMAC-SHA256 (keyring digest, purpose `attempt-receipt`)
 * over `sr1.<payload>`. Only this server's master key can mint one; any changed byte fails the MAC.
 */
import { constantTimeEqual, type Keyring } from '../store/secret-box.js';
import type { AttemptView, SessionView } from './sessions.js';

const PREFIX = 'sr1';
const PURPOSE = 'attempt-receipt';
const MAX_LENGTH = 1024;

export interface ReceiptClaims {
  /** Session token. */
  token: string;
  /** Attempt order within the session, from 1. */
  order: number;
  outcome: 'passed' | 'failed' | 'retry';
  code: string;
  /** When the attempt was decided (ISO 8601, ms). */
  finishedAt: string;
}

export type ReceiptProblem =
  /** Not a receipt at all (wrong shape, not base64url JSON). */
  | 'malformed'
  /** Shaped like a receipt, but the MAC does not verify: changed, or minted with another key. */
  | 'tampered'
  /** Genuine, but issued for another session token. */
  | 'other_session'
  /** Genuine and for this token, but no such attempt is recorded (deleted, or purged by retention). */
  | 'unknown_attempt'
  /** Genuine, but a later attempt of the session has replaced this one's frames. */
  | 'superseded';

export class ReceiptError extends Error {
  constructor(
    readonly problem: ReceiptProblem,
    message: string,
  ) {
    super(message);
    this.name = 'ReceiptError';
  }
}

export function createAttemptReceipts(keyring: Pick<Keyring, 'digest'>) {
  const mac = (signed: string) => keyring.digest(PURPOSE, signed);

  return {
    issue(claims: ReceiptClaims): string {
      const payload = Buffer.from(
        JSON.stringify({ t: claims.token, n: claims.order, o: claims.outcome, c: claims.code, f: claims.finishedAt }),
      ).toString('base64url');
      const signed = `${PREFIX}.${payload}`;
      return `${signed}.${mac(signed)}`;
    },

    /** Checks the MAC and returns the claims; ReceiptError malformed / tampered otherwise. */
    open(receipt: unknown): ReceiptClaims {
      if (typeof receipt !== 'string' || receipt.length === 0 || receipt.length > MAX_LENGTH)
        throw new ReceiptError('malformed', 'not an attempt receipt of this server');
      const parts = receipt.split('.');
      if (parts.length !== 3 || parts[0] !== PREFIX || !/^[A-Za-z0-9_-]+$/.test(parts[1]!) || !parts[2])
        throw new ReceiptError('malformed', 'not an attempt receipt of this server');
      if (!constantTimeEqual(mac(`${PREFIX}.${parts[1]}`), parts[2]))
        throw new ReceiptError('tampered', 'the receipt signature does not verify (changed, or not issued here)');
      let raw: { t?: unknown; n?: unknown; o?: unknown; c?: unknown; f?: unknown };
      try {
        raw = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof raw;
      } catch {
        throw new ReceiptError('malformed', 'the receipt payload is not JSON');
      }
      if (
        typeof raw.t !== 'string' ||
        typeof raw.n !== 'number' ||
        !Number.isInteger(raw.n) ||
        (raw.o !== 'passed' && raw.o !== 'failed' && raw.o !== 'retry') ||
        typeof raw.c !== 'string' ||
        typeof raw.f !== 'string'
      )
        throw new ReceiptError('malformed', 'the receipt payload lacks its fields');
      return { token: raw.t, order: raw.n, outcome: raw.o, code: raw.c, finishedAt: raw.f };
    },
  };
}
export type AttemptReceipts = ReturnType<typeof createAttemptReceipts>;

/**
 * The recorded attempt a receipt names, checked against the session of `token` (already read for the caller's app):
 * the token must match, the attempt must exist with the same code, outcome and decision time, and it must be the
 * session's latest attempt (whose frames are the ones kept).
 */
export function attemptOfReceipt(
  receipts: AttemptReceipts,
  session: Pick<SessionView, 'token' | 'attempts' | 'status'>,
  receipt: unknown,
): { claims: ReceiptClaims; attempt: AttemptView } {
  const claims = receipts.open(receipt);
  if (claims.token !== session.token)
    throw new ReceiptError('other_session', 'the receipt was issued for another verification token');
  const attempt = session.attempts.find((a) => a.order === claims.order);
  if (
    !attempt ||
    attempt.code !== claims.code ||
    attempt.passed !== (claims.outcome === 'passed') ||
    new Date(attempt.finishedAt).getTime() !== new Date(claims.finishedAt).getTime()
  )
    throw new ReceiptError('unknown_attempt', 'no recorded attempt matches the receipt (deleted or purged)');
  const latest = Math.max(...session.attempts.map((a) => a.order));
  if (attempt.order !== latest)
    throw new ReceiptError(
      'superseded',
      `the receipt names attempt ${attempt.order}; attempt ${latest} has replaced it: present the latest receipt`,
    );
  return { claims, attempt };
}

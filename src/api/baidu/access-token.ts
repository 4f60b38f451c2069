/**
 * Baidu-style access tokens (`POST /oauth/2.0/token`, grant_type client_credentials): self-contained values signed
 * with the keyring, so nothing is stored. Shape, as Baidu's: `24.<signature>.<ttl seconds>.<issued unix s>.<AccessKeyId>`
 * with a 128-bit HMAC-SHA256 signature (hex) over the other parts. Every call re-resolves the access key, so a key
 * or app that is disabled stops its tokens at once.
 */
import { constantTimeEqual, type Keyring } from '../../store/secret-box.js';

export const ACCESS_TOKEN_TTL_SECONDS = 30 * 86_400;
const PURPOSE = 'baidu-access-token';
const TOKEN = /^24\.([0-9a-f]{32})\.(\d{1,10})\.(\d{1,12})\.([A-Za-z0-9]{1,64})$/;
/** Tokens issued this far in the future (clock skew between processes) are still accepted. */
const FUTURE_SKEW_SECONDS = 300;

export type TokenCheck =
  { ok: true; accessKeyId: string; expiresAt: number } | { ok: false; why: 'malformed' | 'signature' | 'expired' };

export function createAccessTokens(keyring: Keyring, now: () => Date) {
  const sign = (ttl: number, issued: number, accessKeyId: string) =>
    Buffer.from(keyring.digest(PURPOSE, `${ttl}.${issued}.${accessKeyId}`), 'base64url')
      .subarray(0, 16)
      .toString('hex');

  return {
    issue(accessKeyId: string): { accessToken: string; expiresIn: number } {
      const issued = Math.floor(now().getTime() / 1000);
      const ttl = ACCESS_TOKEN_TTL_SECONDS;
      return { accessToken: `24.${sign(ttl, issued, accessKeyId)}.${ttl}.${issued}.${accessKeyId}`, expiresIn: ttl };
    },

    /** Checks form, signature and age (not the key's status: the caller resolves the key). */
    check(token: string): TokenCheck {
      const m = TOKEN.exec(token);
      if (!m) return { ok: false, why: 'malformed' };
      const [, signature, ttlText, issuedText, accessKeyId] = m as unknown as [string, string, string, string, string];
      const ttl = Number(ttlText);
      const issued = Number(issuedText);
      if (!constantTimeEqual(signature, sign(ttl, issued, accessKeyId))) return { ok: false, why: 'signature' };
      const t = now().getTime() / 1000;
      if (issued > t + FUTURE_SKEW_SECONDS) return { ok: false, why: 'signature' };
      if (t >= issued + ttl) return { ok: false, why: 'expired' };
      return { ok: true, accessKeyId, expiresAt: (issued + ttl) * 1000 };
    },
  };
}
export type AccessTokens = ReturnType<typeof createAccessTokens>;

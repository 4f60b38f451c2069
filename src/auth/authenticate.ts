/**
 * Authenticates a native API request from its Authorization header: either the API-key style
 * "Bearer <AccessKeyId>:<AccessKeySecret>" or the HMAC signature of native-signature.ts. An authenticated key is
 * admitted through the app's rate limit (AccessKeyService.admit).
 */
import { ShirenError } from '../errors.js';
import { constantTimeEqual } from '../store/secret-box.js';
import type { NonceRepo } from '../store/repos/nonce-repo.js';
import type { AccessKeyService, Principal } from './access-keys.js';
import { computeSignature, NATIVE_SCHEME, parseNativeAuthorization, stringToSign } from './native-signature.js';

export interface NativeRequestParts {
  authorization: string | undefined;
  method: string;
  /** Path and query exactly as received. */
  url: string;
  rawBody: Uint8Array | undefined;
}

export function createNativeAuthenticator(deps: {
  keys: AccessKeyService;
  nonces: NonceRepo;
  windowSeconds: number;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return async function authenticate(req: NativeRequestParts): Promise<Principal> {
    const header = req.authorization?.trim();
    if (!header) throw new ShirenError('unauthorized', 'Authorization header is missing');
    if (/^bearer\s/i.test(header)) {
      const token = header.slice(header.indexOf(' ') + 1).trim();
      const colon = token.indexOf(':');
      if (colon <= 0 || colon === token.length - 1) {
        throw new ShirenError('unauthorized', 'Bearer credentials must be <AccessKeyId>:<AccessKeySecret>');
      }
      return deps.keys.admit(await deps.keys.verifySecret(token.slice(0, colon), token.slice(colon + 1)));
    }
    if (header.startsWith(NATIVE_SCHEME)) {
      const parsed = parseNativeAuthorization(header);
      if (!parsed) throw new ShirenError('unauthorized', `malformed ${NATIVE_SCHEME} Authorization header`);
      const skew = Math.abs(now().getTime() / 1000 - Number(parsed.timestamp));
      if (skew > deps.windowSeconds) throw new ShirenError('timestamp_invalid');
      const key = await deps.keys.resolve(parsed.accessKeyId);
      const expected = computeSignature(
        key.secret,
        stringToSign({
          timestamp: parsed.timestamp,
          nonce: parsed.nonce,
          method: req.method,
          url: req.url,
          body: req.rawBody,
        }),
      );
      if (!constantTimeEqual(expected, parsed.signature)) throw new ShirenError('signature_invalid');
      // Checked after the signature, so an attacker cannot burn a victim's nonces with unsigned requests.
      const expires = new Date((Number(parsed.timestamp) + deps.windowSeconds) * 1000);
      if (!(await deps.nonces.claim(key.accessKeyId, parsed.nonce, expires))) throw new ShirenError('nonce_reused');
      return deps.keys.admit(key);
    }
    throw new ShirenError('unauthorized', `unsupported Authorization scheme (use Bearer or ${NATIVE_SCHEME})`);
  };
}
export type NativeAuthenticator = ReturnType<typeof createNativeAuthenticator>;

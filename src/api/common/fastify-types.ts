/** Request decorations, declared once (Fastify decorators must be declared up front for stable object shapes). */
import type { Principal } from '../../auth/access-keys.js';
import type { Reason } from '../../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller (native API). */
    principal: Principal | undefined;
    /** The body bytes as received, for signature checks. */
    rawBody: Buffer | undefined;
    /** The reason code of an error answer, for metrics. */
    shirenReason: Reason | undefined;
  }
}
export {};

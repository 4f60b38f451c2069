import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Single-use request nonces for signed requests, kept until their signature window has passed. */
export function createNonceRepo(db: Kysely<Database>) {
  return {
    /** Records the nonce; false when it was already used by this key. */
    async claim(accessKeyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
      const res = await db
        .insertInto('request_nonce')
        .values({ access_key_id: accessKeyId, nonce, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['access_key_id', 'nonce']).doNothing())
        .executeTakeFirst();
      return (res.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
    async purgeExpired(now: Date): Promise<number> {
      const res = await db.deleteFrom('request_nonce').where('expires_at', '<', now).executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}
export type NonceRepo = ReturnType<typeof createNonceRepo>;

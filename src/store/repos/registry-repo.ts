import type { Kysely } from 'kysely';
import type { Database, NewRegistryPerson, RegistryPersonRow } from '../schema.js';

export interface RegistryKey {
  kind: string;
  digest: string;
}

/** The identity registry: people (ciphertext fields) and their look-up digests. */
export function createRegistryRepo(db: Kysely<Database>) {
  return {
    async findByIdNumberDigest(appId: string, digest: string): Promise<RegistryPersonRow | undefined> {
      return db
        .selectFrom('registry_person')
        .selectAll()
        .where('app_id', '=', appId)
        .where('id_number_digest', '=', digest)
        .executeTakeFirst();
    },
    async findById(appId: string, id: string): Promise<RegistryPersonRow | undefined> {
      return db
        .selectFrom('registry_person')
        .selectAll()
        .where('app_id', '=', appId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    /** People having a key of this kind and digest (oldest first, at most `limit`). */
    async findByKey(appId: string, kind: string, digest: string, limit = 20): Promise<RegistryPersonRow[]> {
      return db
        .selectFrom('registry_person')
        .innerJoin('registry_key', 'registry_key.person_id', 'registry_person.id')
        .selectAll('registry_person')
        .where('registry_key.app_id', '=', appId)
        .where('registry_key.kind', '=', kind)
        .where('registry_key.digest', '=', digest)
        .orderBy('registry_person.created_at')
        .limit(limit)
        .execute();
    },
    async keysOf(personId: string): Promise<RegistryKey[]> {
      return db.selectFrom('registry_key').select(['kind', 'digest']).where('person_id', '=', personId).execute();
    },
    /** Inserts the person or replaces the one with the same ID number digest; its keys are replaced too. */
    async upsert(
      person: NewRegistryPerson,
      keys: RegistryKey[],
    ): Promise<{ row: RegistryPersonRow; created: boolean }> {
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('registry_person')
          .select(['id', 'photo_blob_key', 'created_at'])
          .where('app_id', '=', person.app_id)
          .where('id_number_digest', '=', person.id_number_digest)
          .forUpdate()
          .executeTakeFirst();
        let row: RegistryPersonRow;
        if (existing) {
          const { id: _id, app_id: _app, created_at: _created, ...patch } = person;
          row = await trx
            .updateTable('registry_person')
            .set(patch)
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          await trx.deleteFrom('registry_key').where('person_id', '=', existing.id).execute();
        } else {
          row = await trx.insertInto('registry_person').values(person).returningAll().executeTakeFirstOrThrow();
        }
        if (keys.length)
          await trx
            .insertInto('registry_key')
            .values(keys.map((k) => ({ app_id: row.app_id, kind: k.kind, digest: k.digest, person_id: row.id })))
            .onConflict((oc) => oc.doNothing())
            .execute();
        return { row, created: !existing };
      });
    },
    /** The previous photo key of the person with this ID number digest (to delete the replaced blob). */
    async photoKeyByIdNumberDigest(appId: string, digest: string): Promise<string | null | undefined> {
      const r = await db
        .selectFrom('registry_person')
        .select('photo_blob_key')
        .where('app_id', '=', appId)
        .where('id_number_digest', '=', digest)
        .executeTakeFirst();
      return r?.photo_blob_key;
    },
    async list(appId: string, opts: { limit: number; after?: string }): Promise<RegistryPersonRow[]> {
      let q = db.selectFrom('registry_person').selectAll().where('app_id', '=', appId);
      if (opts.after) q = q.where('id', '>', opts.after);
      return q.orderBy('id').limit(opts.limit).execute();
    },
    async count(appId: string): Promise<number> {
      const r = await db
        .selectFrom('registry_person')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('app_id', '=', appId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async delete(appId: string, id: string): Promise<RegistryPersonRow | undefined> {
      return db
        .deleteFrom('registry_person')
        .where('app_id', '=', appId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
  };
}
export type RegistryRepo = ReturnType<typeof createRegistryRepo>;

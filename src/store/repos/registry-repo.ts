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
      return (await this.upsertMany([{ person, keys }]))[0]!;
    },
    /**
     * upsert for many people of one app in one transaction, with a few statements for the whole batch. A later item
     * with the same ID number digest wins; `created` is true for the first item of a digest new to the app.
     * `replacedPhotoKey` is the stored photo the final row no longer uses.
     */
    async upsertMany(
      items: { person: NewRegistryPerson; keys: RegistryKey[] }[],
    ): Promise<{ row: RegistryPersonRow; created: boolean; replacedPhotoKey: string | null }[]> {
      if (items.length === 0) return [];
      const appId = items[0]!.person.app_id;
      if (items.some((i) => i.person.app_id !== appId)) throw new Error('upsertMany: one app per call');
      return db.transaction().execute(async (trx) => {
        const digests = [...new Set(items.map((i) => i.person.id_number_digest))];
        const existing = new Map<string, { id: string; photo_blob_key: string | null }>();
        for (let i = 0; i < digests.length; i += 1000) {
          const rows = await trx
            .selectFrom('registry_person')
            .select(['id', 'id_number_digest', 'photo_blob_key'])
            .where('app_id', '=', appId)
            .where('id_number_digest', 'in', digests.slice(i, i + 1000))
            .forUpdate()
            .execute();
          for (const r of rows) existing.set(r.id_number_digest, r);
        }
        const last = new Map<string, { person: NewRegistryPerson; keys: RegistryKey[] }>();
        for (const item of items) last.set(item.person.id_number_digest, item);
        const stored = new Map<string, RegistryPersonRow>();
        const fresh = [...last.values()].filter((i) => !existing.has(i.person.id_number_digest));
        for (let i = 0; i < fresh.length; i += 500) {
          const rows = await trx
            .insertInto('registry_person')
            .values(fresh.slice(i, i + 500).map((f) => f.person))
            .returningAll()
            .execute();
          for (const r of rows) stored.set(r.id_number_digest, r);
        }
        const replaced = [...last.values()].filter((i) => existing.has(i.person.id_number_digest));
        for (const item of replaced) {
          const { id: _id, app_id: _app, created_at: _created, ...patch } = item.person;
          const row = await trx
            .updateTable('registry_person')
            .set(patch)
            .where('id', '=', existing.get(item.person.id_number_digest)!.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          stored.set(row.id_number_digest, row);
        }
        const replacedIds = replaced.map((i) => existing.get(i.person.id_number_digest)!.id);
        for (let i = 0; i < replacedIds.length; i += 1000)
          await trx
            .deleteFrom('registry_key')
            .where('person_id', 'in', replacedIds.slice(i, i + 1000))
            .execute();
        const keyRows = [...last.values()].flatMap((item) => {
          const personId = stored.get(item.person.id_number_digest)!.id;
          return item.keys.map((k) => ({ app_id: appId, kind: k.kind, digest: k.digest, person_id: personId }));
        });
        for (let i = 0; i < keyRows.length; i += 2000)
          await trx
            .insertInto('registry_key')
            .values(keyRows.slice(i, i + 2000))
            .onConflict((oc) => oc.doNothing())
            .execute();
        const seen = new Set<string>();
        return items.map((item) => {
          const d = item.person.id_number_digest;
          const row = stored.get(d)!;
          const created = !existing.has(d) && !seen.has(d);
          const old = seen.has(d) ? null : (existing.get(d)?.photo_blob_key ?? null);
          seen.add(d);
          return { row, created, replacedPhotoKey: old && old !== row.photo_blob_key ? old : null };
        });
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

/**
 * The identity registry (docs/identity.md): people, phones, cards and vehicles an operator imports, every personal
 * field AES-GCM encrypted, found by keyed HMAC-SHA256 digests of the value and of its documented md5 forms
 * (registry_key). Plans name the identity provider their checks use.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('registry_person')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull().references('app.id').onDelete('cascade'))
    .addColumn('id_number_digest', 'text', (c) => c.notNull())
    .addColumn('name_enc', 'text', (c) => c.notNull())
    .addColumn('id_number_enc', 'text', (c) => c.notNull())
    .addColumn('mobile_enc', 'text')
    .addColumn('mobile_isp', 'text')
    .addColumn('bank_card_enc', 'text')
    .addColumn('plate_enc', 'text')
    .addColumn('vehicle_type', 'text')
    .addColumn('vin_enc', 'text')
    .addColumn('validity_enc', 'text')
    .addColumn('photo_blob_key', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('registry_person_id_number_uq', ['app_id', 'id_number_digest'])
    .execute();
  await db.schema
    .createIndex('registry_person_app_idx')
    .on('registry_person')
    .columns(['app_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('registry_key')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull().references('registry_person.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('registry_key_pk', ['app_id', 'kind', 'digest', 'person_id'])
    .execute();
  await db.schema.createIndex('registry_key_person_idx').on('registry_key').column('person_id').execute();

  await db.schema
    .alterTable('plan')
    .addColumn('identity_provider', 'text', (c) =>
      c
        .notNull()
        .defaultTo('default')
        .check(sql`identity_provider in ('default', 'registry', 'http', 'none')`),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('plan').dropColumn('identity_provider').execute();
  await db.schema.dropTable('registry_key').ifExists().execute();
  await db.schema.dropTable('registry_person').ifExists().execute();
}

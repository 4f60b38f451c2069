/**
 * Table types for Kysely. Tables are singular snake_case, ids are prefixed strings, times are timestamptz.
 * Personal data and secrets are stored only as ciphertext (see secret-box.ts).
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;

export interface AppTable {
  id: string;
  name: string;
  created_at: CreatedAt;
  disabled_at: Timestamp | null;
}

export interface AccessKeyTable {
  /** The AccessKeyId: public, appears in signed requests. */
  id: string;
  app_id: string;
  /** AES-256-GCM ciphertext of the AccessKeySecret. */
  secret_enc: string;
  status: 'active' | 'disabled';
  created_at: CreatedAt;
  disabled_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface AdminUserTable {
  id: string;
  username: string;
  /** scrypt$N$r$p$salt$hash */
  password_hash: string;
  role: 'admin' | 'operator' | 'auditor';
  created_at: CreatedAt;
  disabled_at: Timestamp | null;
}

export interface RequestNonceTable {
  access_key_id: string;
  nonce: string;
  expires_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: CreatedAt;
  actor: string;
  action: string;
  target: string | null;
  details: Json | null;
}

export interface SettingTable {
  key: string;
  value: Json;
  updated_at: Timestamp;
}

export interface Database {
  app: AppTable;
  access_key: AccessKeyTable;
  admin_user: AdminUserTable;
  request_nonce: RequestNonceTable;
  audit_log: AuditLogTable;
  setting: SettingTable;
}

export type AppRow = Selectable<AppTable>;
export type AccessKeyRow = Selectable<AccessKeyTable>;
export type NewAccessKey = Insertable<AccessKeyTable>;
export type AccessKeyUpdate = Updateable<AccessKeyTable>;
export type AdminUserRow = Selectable<AdminUserTable>;
export type AuditLogRow = Selectable<AuditLogTable>;

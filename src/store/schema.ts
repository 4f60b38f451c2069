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
  /** Requests per minute for the app's access keys (migration 0014); null = unlimited. */
  rate_limit_per_minute: number | null;
  /** Largest burst; null = rate_limit_per_minute. */
  rate_limit_burst: number | null;
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
  /** Set when the password is set or changed (migration 0006). */
  password_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
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

/** A console sign-in (migration 0006): the cookie carries a random id, the table only its SHA-256. */
export interface ConsoleSessionTable {
  id_hash: string;
  user_id: string;
  created_at: CreatedAt;
  last_seen_at: Timestamp;
  /** Absolute expiry; the idle expiry is last_seen_at + the idle timeout. */
  expires_at: Timestamp;
  ip_digest: string | null;
  user_agent: string | null;
}

/** Console sign-in attempts, for the lockout (per username and per client address). */
export interface ConsoleLoginAttemptTable {
  id: Generated<number>;
  at: Timestamp;
  username: string;
  ip_digest: string;
  ok: boolean;
}

export interface SettingTable {
  key: string;
  value: Json;
  updated_at: Timestamp;
}

export type LivenessMode = 'silent' | 'action' | 'flash' | 'none';
export type CompareSource = 'uploaded' | 'previous' | 'registry' | 'none';
export type IdentityInput = 'user' | 'preset' | 'none';
export type SessionStatus = 'created' | 'in_progress' | 'passed' | 'failed' | 'expired';

export interface PlanTable {
  id: Generated<number>;
  app_id: string;
  name: string;
  liveness_mode: LivenessMode;
  action_count: number;
  /** JSON array of action names. */
  action_pool: Json;
  compare_source: CompareSource;
  identity_input: IdentityInput;
  threshold_score: number;
  passive_liveness_threshold: number | null;
  max_attempts: number;
  invalidate_on_failure: boolean;
  success_url: string | null;
  failure_url: string | null;
  callback_url: string | null;
  /** AES-256-GCM ciphertext of the callback signing secret. */
  callback_secret_enc: string | null;
  result_retention_hours: number;
  media_retention_hours: number;
  /** Identity checks of this plan: default (the app's setting), registry, http or none (docs/identity.md). */
  identity_provider: ColumnType<IdentityProviderSetting, IdentityProviderSetting | undefined, IdentityProviderSetting>;
  created_at: CreatedAt;
  updated_at: Timestamp;
  disabled_at: Timestamp | null;
}

export type IdentityProviderName = 'registry' | 'http' | 'none';
export type IdentityProviderSetting = IdentityProviderName | 'default';

/** A person of the identity registry: every personal field is ciphertext (keyring purposes "registry-*"). */
export interface RegistryPersonTable {
  id: string;
  app_id: string;
  /** Keyed digest of the normalised ID number (unique per app). */
  id_number_digest: string;
  name_enc: string;
  id_number_enc: string;
  mobile_enc: string | null;
  /** Carrier of the mobile number's segment at import: CMCC, CUCC, CTCC, CBN. */
  mobile_isp: string | null;
  bank_card_enc: string | null;
  plate_enc: string | null;
  vehicle_type: string | null;
  vin_enc: string | null;
  /** Ciphertext of JSON {"from":"yyyyMMdd","to":"yyyyMMdd"|"长期"}. */
  validity_enc: string | null;
  photo_blob_key: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Look-up keys of registry people: keyed digests of each field and of its documented md5 forms. */
export interface RegistryKeyTable {
  app_id: string;
  kind: string;
  digest: string;
  person_id: string;
}

export interface VerifySessionTable {
  id: string;
  token: string;
  app_id: string;
  plan_id: number;
  status: SessionStatus;
  outer_order_no: string | null;
  /** Ciphertext (purpose "identity"). */
  identity_name_enc: string | null;
  identity_number_enc: string | null;
  /** Keyed digest of the ID number, for look-ups. */
  identity_number_digest: string | null;
  /** Document type of the identity, 0–5 (src/verify/certificates.ts); null when none was given (migration 0004). */
  identity_type: ColumnType<number | null, number | null | undefined, number | null>;
  reference_blob_key: string | null;
  previous_session_id: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
  finished_at: Timestamp | null;
  /** JSON: passed, code, message, score, threshold, livenessScore. */
  result: Json | null;
  best_frame_key: string | null;
  env_frame_key: string | null;
  /** When the whole session (rows and blobs) is deleted. */
  purge_at: Timestamp;
  /** When its images are deleted. */
  media_purge_at: Timestamp;
  client_ip_digest: string | null;
  user_agent: string | null;
  /** Started from the console's plan preview link (migration 0015): left out of statistics and alerts. */
  preview: ColumnType<boolean, boolean | undefined, boolean>;
  /** First two digits of a mainland-shaped ID number, set with the identity (migration 0012); never the number. */
  id_province: ColumnType<string | null, string | null | undefined, string | null>;
  /** Device OS from the user agent (src/verify/dimensions.ts deviceOs), set with it (migration 0012). */
  device_os: ColumnType<string | null, string | null | undefined, string | null>;
  /** keyring.digest("device", device id of the H5 page) last seen at a challenge or attempt (migration 0011). */
  device_digest: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface VerifyAttemptTable {
  id: Generated<number>;
  session_id: string;
  order: number;
  started_at: Timestamp;
  finished_at: Timestamp;
  passed: boolean;
  code: string;
  message: string;
  score: number | null;
  threshold: number | null;
  liveness_score: number | null;
  challenge: Json | null;
  details: Json | null;
  /** Charge counter: real face-engine calls made for this attempt. */
  engine_calls: number;
  client_ip_digest: string | null;
  /** keyring.digest("device", device id of the H5 page that uploaded it), for attempt limits (migration 0011). */
  device_digest: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ChallengeTable {
  /** The nonce: 32 random bytes, base64url. */
  id: string;
  session_id: string;
  spec: Json;
  issued_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface CallbackDeliveryTable {
  id: Generated<number>;
  session_id: string;
  url: string;
  body: string;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  status: 'pending' | 'delivered' | 'failed';
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface CallbackTryTable {
  id: Generated<number>;
  delivery_id: number;
  try_no: number;
  at: Timestamp;
  http_status: number | null;
  error: string | null;
  duration_ms: number;
}

export type ExportStatus = 'queued' | 'running' | 'done' | 'failed' | 'expired';

/** A CSV export of console records (migration 0007). */
export interface ExportJobTable {
  id: string;
  /** The console actor, console:<username>. */
  requested_by: string;
  /** JSON: the records-search filters; an ID number only as its keyed digest (identityDigest). */
  filters: Json;
  status: ExportStatus;
  rows_total: number | null;
  rows_done: ColumnType<number, number | undefined, number>;
  blob_key: string | null;
  error: string | null;
  created_at: CreatedAt;
  /** Last sign of life of the worker running it; a running job whose heartbeat is stale is taken over. */
  heartbeat_at: Timestamp | null;
  finished_at: Timestamp | null;
  expires_at: Timestamp;
}

export type AlertKind = 'pass_rate_below' | 'ip_failures_above' | 'volume_above';

/** An alert rule (migration 0008, src/verify/alerts.ts). */
export interface AlertRuleTable {
  id: Generated<number>;
  name: string;
  kind: AlertKind;
  /** Per cent for pass_rate_below, a count otherwise. */
  threshold: number;
  window_minutes: number;
  /** pass_rate_below: fewer finished sessions in the window never fire. */
  min_sessions: number;
  /** null: every plan. */
  plan_id: number | null;
  webhook_url: string | null;
  /** AES-256-GCM ciphertext of the webhook signing secret (purpose "alert-webhook-secret"). */
  webhook_secret_enc: string | null;
  enabled: boolean;
  created_by: string;
  created_at: CreatedAt;
}

/** One firing of an alert rule and the outcome of its webhook. */
export interface AlertEventTable {
  id: Generated<number>;
  rule_id: number;
  fired_at: Timestamp;
  value: number;
  /** JSON: what was measured (never a raw address: digest prefixes only). */
  details: Json;
  delivered_at: Timestamp | null;
  delivery_error: string | null;
  /** Webhook POSTs made so far (migration 0015). */
  delivery_attempts: ColumnType<number, number | undefined, number>;
  /** When the job loop tries the webhook again; null: delivered, given up, or no webhook. */
  next_delivery_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type BlacklistKind = 'id_number' | 'ip' | 'device';

/** A blacklisted ID number or client address (migration 0009): keyed digest and masked display value only. */
export interface BlacklistEntryTable {
  id: Generated<number>;
  /** null: every app. */
  app_id: string | null;
  kind: BlacklistKind;
  /** keyring.digest("identity" | "client-ip", value), as the sessions store it. */
  digest: string;
  masked: string;
  reason: string;
  created_by: string;
  created_at: CreatedAt;
  expires_at: Timestamp | null;
}

/** A whitelisted ID number on one plan (migration 0010): keyed digest and masked display value only. */
export interface WhitelistEntryTable {
  id: Generated<number>;
  app_id: string;
  plan_id: number;
  /** keyring.digest("identity", idNumber), as the sessions store it. */
  digest: string;
  masked: string;
  /** The session token (CertifyId) the entry was made from, if it was. */
  certify_id: string | null;
  remark: string;
  valid_days: number;
  created_by: string;
  created_at: CreatedAt;
  /** created_at + valid_days days; the entry counts while this is in the future. */
  valid_until: Timestamp;
}

export type StrategyDimension = 'id_number' | 'device' | 'ip';

/** An attempt limit (migration 0011, src/verify/strategies.ts): at most max_count events per value in a window. */
export interface ControlStrategyTable {
  id: Generated<number>;
  /** null: every app (plan_id set: the plan's app). */
  app_id: string | null;
  /** null: every plan of the scope. */
  plan_id: number | null;
  dimension: StrategyDimension;
  max_count: number;
  window_minutes: number;
  enabled: boolean;
  created_by: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface Database {
  app: AppTable;
  access_key: AccessKeyTable;
  admin_user: AdminUserTable;
  request_nonce: RequestNonceTable;
  audit_log: AuditLogTable;
  console_session: ConsoleSessionTable;
  console_login_attempt: ConsoleLoginAttemptTable;
  setting: SettingTable;
  plan: PlanTable;
  verify_session: VerifySessionTable;
  verify_attempt: VerifyAttemptTable;
  challenge: ChallengeTable;
  callback_delivery: CallbackDeliveryTable;
  callback_try: CallbackTryTable;
  registry_person: RegistryPersonTable;
  registry_key: RegistryKeyTable;
  alert_rule: AlertRuleTable;
  alert_event: AlertEventTable;
  export_job: ExportJobTable;
  blacklist_entry: BlacklistEntryTable;
  identity_check_record: IdentityCheckRecordTable;
  whitelist_entry: WhitelistEntryTable;
  console_setting: ConsoleSettingTable;
  control_strategy: ControlStrategyTable;
}

export type BlacklistEntryRow = Selectable<BlacklistEntryTable>;
export type ControlStrategyRow = Selectable<ControlStrategyTable>;

/** One identity information check (migration 0016): what was asked and answered, never the values. */
export interface IdentityCheckRecordTable {
  id: Generated<number>;
  app_id: string;
  plan_id: number | null;
  kind: string;
  param_type: string;
  /** registry | http; null when the check was refused before a source answered. */
  provider: string | null;
  /** consistent | inconsistent | no_record; null when refused. */
  result: string | null;
  /** The error code of a refused check (invalid_request, not_supported, …). */
  error_code: string | null;
  /** JSON list of the field names that differ from the source. */
  mismatched: ColumnType<string[], string | undefined, string>;
  /** Keyed digest (purpose "identity") of a plain ID number; null for md5 forms and checks without one. */
  id_number_digest: string | null;
  id_number_masked: string | null;
  duration_ms: number;
  created_at: CreatedAt;
}
export type IdentityCheckRecordRow = Selectable<IdentityCheckRecordTable>;
export type WhitelistEntryRow = Selectable<WhitelistEntryTable>;
/** A runtime setting saved in the console (migration 0013-settings); absent = the start-up value. */
export interface ConsoleSettingTable {
  key: string;
  value: Json;
  updated_by: string;
  updated_at: Timestamp;
}
export type ConsoleSettingRow = Selectable<ConsoleSettingTable>;

export type ExportJobRow = Selectable<ExportJobTable>;

export type AlertRuleRow = Selectable<AlertRuleTable>;
export type AlertEventRow = Selectable<AlertEventTable>;
export type AppRow = Selectable<AppTable>;
export type AccessKeyRow = Selectable<AccessKeyTable>;
export type NewAccessKey = Insertable<AccessKeyTable>;
export type AccessKeyUpdate = Updateable<AccessKeyTable>;
export type AdminUserRow = Selectable<AdminUserTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type ConsoleSessionRow = Selectable<ConsoleSessionTable>;
export type PlanRow = Selectable<PlanTable>;
export type NewPlan = Insertable<PlanTable>;
export type PlanUpdate = Updateable<PlanTable>;
export type VerifySessionRow = Selectable<VerifySessionTable>;
export type NewVerifySession = Insertable<VerifySessionTable>;
export type VerifySessionUpdate = Updateable<VerifySessionTable>;
export type VerifyAttemptRow = Selectable<VerifyAttemptTable>;
export type NewVerifyAttempt = Insertable<VerifyAttemptTable>;
export type ChallengeRow = Selectable<ChallengeTable>;
export type CallbackDeliveryRow = Selectable<CallbackDeliveryTable>;
export type CallbackTryRow = Selectable<CallbackTryTable>;
export type RegistryPersonRow = Selectable<RegistryPersonTable>;
export type NewRegistryPerson = Insertable<RegistryPersonTable>;

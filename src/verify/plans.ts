/**
 * Verification plans: what a session checks (liveness mode, comparison source, identity input, thresholds), how
 * often a person may try, where the result goes (redirects, signed callback) and how long it is kept.
 * Every setting is validated here; the API and the CLI share this code.
 */
import { randomBytes } from 'node:crypto';
import { ShirenError, invalidField } from '../errors.js';
import type { Keyring } from '../store/secret-box.js';
import type {
  PlanRow,
  PlanUpdate,
  CompareSource,
  IdentityInput,
  IdentityProviderSetting,
  LivenessMode,
} from '../store/schema.js';
import type { PlanRepo } from '../store/repos/plan-repo.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';

export const LIVENESS_MODES: readonly LivenessMode[] = ['silent', 'action', 'flash', 'none'];
export const COMPARE_SOURCES: readonly CompareSource[] = ['uploaded', 'previous', 'registry', 'none'];
export const IDENTITY_INPUTS: readonly IdentityInput[] = ['user', 'preset', 'none'];
/** Which source answers the plan's identity checks; default = the app's setting (docs/identity.md). */
export const IDENTITY_PROVIDERS: readonly IdentityProviderSetting[] = ['default', 'registry', 'http', 'none'];
export const ACTIONS = ['blink', 'mouth', 'turn_left', 'turn_right', 'nod'] as const;
export type Action = (typeof ACTIONS)[number];
export type FarLevel = '1e-3' | '1e-4' | '1e-5' | '1e-6';
/** Calibrated score at each false-accept rate (docs/calibration.md). */
export const FAR_SCORES: Record<FarLevel, number> = { '1e-3': 60, '1e-4': 70, '1e-5': 80, '1e-6': 90 };

export const CALLBACK_SECRET_PURPOSE = 'plan-callback-secret';

export interface PlanInput {
  name?: string;
  livenessMode?: LivenessMode;
  actionCount?: number;
  actionPool?: string[];
  compareSource?: CompareSource;
  identityInput?: IdentityInput;
  identityProvider?: IdentityProviderSetting;
  threshold?: { score: number } | { far: FarLevel };
  /** 0–1; null = passive liveness is measured and reported but does not decide. */
  passiveLivenessThreshold?: number | null;
  maxAttempts?: number;
  invalidateOnFailure?: boolean;
  successUrl?: string | null;
  failureUrl?: string | null;
  callbackUrl?: string | null;
  /** Signing secret of the callbacks (16–128 chars); generated when a callback URL is set without one. */
  callbackSecret?: string;
  resultRetentionHours?: number;
  mediaRetentionHours?: number;
  /** PATCH only: true disables the plan (no new sessions), false enables it again. */
  disabled?: boolean;
}

export interface PlanView {
  id: number;
  name: string;
  livenessMode: LivenessMode;
  actionCount: number;
  actionPool: Action[];
  compareSource: CompareSource;
  identityInput: IdentityInput;
  identityProvider: IdentityProviderSetting;
  threshold: { score: number; far: FarLevel | null };
  passiveLivenessThreshold: number | null;
  maxAttempts: number;
  invalidateOnFailure: boolean;
  successUrl: string | null;
  failureUrl: string | null;
  callbackUrl: string | null;
  callbackSecretSet: boolean;
  resultRetentionHours: number;
  mediaRetentionHours: number;
  createdAt: string;
  updatedAt: string;
  disabled: boolean;
}

export const PLAN_DEFAULTS = {
  name: 'plan',
  livenessMode: 'action' as LivenessMode,
  actionCount: 2,
  actionPool: [...ACTIONS] as Action[],
  compareSource: 'none' as CompareSource,
  identityInput: 'none' as IdentityInput,
  identityProvider: 'default' as IdentityProviderSetting,
  thresholdScore: FAR_SCORES['1e-4'],
  passiveLivenessThreshold: null as number | null,
  maxAttempts: 3,
  invalidateOnFailure: false,
  resultRetentionHours: 72,
  mediaRetentionHours: 24,
};

export const MAX_RETENTION_HOURS = 24 * 365;

/** What a new plan gets for the settings it does not give (the console's Settings page can change them). */
export interface NewPlanDefaults {
  thresholdScore: number;
  passiveLivenessThreshold: number | null;
  resultRetentionHours: number;
  mediaRetentionHours: number;
}

export function checkInt(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalidField(field, `must be a whole number from ${min} to ${max}`);
  return v;
}

export function checkUrl(field: string, v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || v.length > 2048)
    throw invalidField(field, 'must be an http(s) URL of at most 2048 characters');
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw invalidField(field, 'must be an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalidField(field, 'must be an http(s) URL');
  return u.toString();
}

function farOf(score: number): FarLevel | null {
  return (Object.keys(FAR_SCORES) as FarLevel[]).find((f) => FAR_SCORES[f] === score) ?? null;
}

export function planView(row: PlanRow): PlanView {
  return {
    id: row.id,
    name: row.name,
    livenessMode: row.liveness_mode,
    actionCount: row.action_count,
    actionPool: row.action_pool as Action[],
    compareSource: row.compare_source,
    identityInput: row.identity_input,
    identityProvider: row.identity_provider,
    threshold: { score: row.threshold_score, far: farOf(row.threshold_score) },
    passiveLivenessThreshold: row.passive_liveness_threshold,
    maxAttempts: row.max_attempts,
    invalidateOnFailure: row.invalidate_on_failure,
    successUrl: row.success_url,
    failureUrl: row.failure_url,
    callbackUrl: row.callback_url,
    callbackSecretSet: row.callback_secret_enc !== null,
    resultRetentionHours: row.result_retention_hours,
    mediaRetentionHours: row.media_retention_hours,
    createdAt: row.created_at.toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    disabled: row.disabled_at !== null,
  };
}

/** The settings as they would be after applying `input` over `base`, validated as a whole. */
/** The validated columns of a new plan from its input, defaults filled in (for plans made by the system itself). */
export function newPlanColumns(input: PlanInput) {
  return settingsColumns(resolveSettings(undefined, input));
}

/** The plan columns that hold its settings (everything but ids, times and the callback secret). */
function settingsColumns(s: ReturnType<typeof resolveSettings>) {
  return {
    name: s.name,
    liveness_mode: s.livenessMode,
    action_count: s.actionCount,
    action_pool: JSON.stringify(s.actionPool),
    compare_source: s.compareSource,
    identity_input: s.identityInput,
    identity_provider: s.identityProvider,
    threshold_score: s.thresholdScore,
    passive_liveness_threshold: s.passiveLivenessThreshold,
    max_attempts: s.maxAttempts,
    invalidate_on_failure: s.invalidateOnFailure,
    success_url: s.successUrl,
    failure_url: s.failureUrl,
    callback_url: s.callbackUrl,
    result_retention_hours: s.resultRetentionHours,
    media_retention_hours: s.mediaRetentionHours,
  };
}

function resolveSettings(base: PlanView | undefined, input: PlanInput, defaults: NewPlanDefaults = PLAN_DEFAULTS) {
  const s = {
    name: input.name ?? base?.name ?? PLAN_DEFAULTS.name,
    livenessMode: input.livenessMode ?? base?.livenessMode ?? PLAN_DEFAULTS.livenessMode,
    actionCount: input.actionCount ?? base?.actionCount ?? PLAN_DEFAULTS.actionCount,
    actionPool: (input.actionPool ?? base?.actionPool ?? PLAN_DEFAULTS.actionPool) as string[],
    compareSource: input.compareSource ?? base?.compareSource ?? PLAN_DEFAULTS.compareSource,
    identityInput: input.identityInput ?? base?.identityInput ?? PLAN_DEFAULTS.identityInput,
    identityProvider: input.identityProvider ?? base?.identityProvider ?? PLAN_DEFAULTS.identityProvider,
    thresholdScore: base?.threshold.score ?? defaults.thresholdScore,
    passiveLivenessThreshold:
      input.passiveLivenessThreshold !== undefined
        ? input.passiveLivenessThreshold
        : base
          ? base.passiveLivenessThreshold
          : defaults.passiveLivenessThreshold,
    maxAttempts: input.maxAttempts ?? base?.maxAttempts ?? PLAN_DEFAULTS.maxAttempts,
    invalidateOnFailure: input.invalidateOnFailure ?? base?.invalidateOnFailure ?? PLAN_DEFAULTS.invalidateOnFailure,
    successUrl: input.successUrl !== undefined ? input.successUrl : (base?.successUrl ?? null),
    failureUrl: input.failureUrl !== undefined ? input.failureUrl : (base?.failureUrl ?? null),
    callbackUrl: input.callbackUrl !== undefined ? input.callbackUrl : (base?.callbackUrl ?? null),
    resultRetentionHours: input.resultRetentionHours ?? base?.resultRetentionHours ?? defaults.resultRetentionHours,
    mediaRetentionHours: input.mediaRetentionHours ?? base?.mediaRetentionHours ?? defaults.mediaRetentionHours,
  };

  if (typeof s.name !== 'string' || s.name.trim().length === 0 || s.name.length > 100)
    throw invalidField('name', 'must be 1–100 characters');
  s.name = s.name.trim();
  if (!LIVENESS_MODES.includes(s.livenessMode))
    throw invalidField('livenessMode', `must be one of ${LIVENESS_MODES.join(', ')}`);
  checkInt('actionCount', s.actionCount, 1, 4);
  if (!Array.isArray(s.actionPool) || s.actionPool.length === 0)
    throw invalidField('actionPool', `must be a non-empty list of ${ACTIONS.join(', ')}`);
  for (const a of s.actionPool)
    if (!(ACTIONS as readonly string[]).includes(a))
      throw invalidField('actionPool', `unknown action ${JSON.stringify(a)}`);
  if (new Set(s.actionPool).size !== s.actionPool.length) throw invalidField('actionPool', 'must not repeat an action');
  if (s.livenessMode === 'action' && s.actionPool.length < s.actionCount)
    throw invalidField('actionPool', `must hold at least actionCount (${s.actionCount}) actions`);
  if (!COMPARE_SOURCES.includes(s.compareSource))
    throw invalidField('compareSource', `must be one of ${COMPARE_SOURCES.join(', ')}`);
  if (!IDENTITY_INPUTS.includes(s.identityInput))
    throw invalidField('identityInput', `must be one of ${IDENTITY_INPUTS.join(', ')}`);
  if (s.compareSource === 'registry' && s.identityInput === 'none')
    throw invalidField(
      'identityInput',
      'compareSource registry finds the photo by the name and ID number: use user or preset',
    );
  if (!IDENTITY_PROVIDERS.includes(s.identityProvider))
    throw invalidField('identityProvider', `must be one of ${IDENTITY_PROVIDERS.join(', ')}`);

  if (input.threshold !== undefined) {
    const t = input.threshold as { score?: unknown; far?: unknown };
    if (t === null || typeof t !== 'object')
      throw invalidField('threshold', 'must be {"score": 0–100} or {"far": "1e-4"}');
    if (t.score !== undefined && t.far !== undefined)
      throw invalidField('threshold', 'give either score or far, not both');
    if (t.far !== undefined) {
      if (typeof t.far !== 'string' || !(t.far in FAR_SCORES))
        throw invalidField('threshold.far', `must be one of ${Object.keys(FAR_SCORES).join(', ')}`);
      s.thresholdScore = FAR_SCORES[t.far as FarLevel];
    } else if (t.score !== undefined) {
      if (typeof t.score !== 'number' || !Number.isFinite(t.score) || t.score < 0 || t.score > 100)
        throw invalidField('threshold.score', 'must be a number from 0 to 100');
      s.thresholdScore = t.score;
    } else throw invalidField('threshold', 'must be {"score": 0–100} or {"far": "1e-4"}');
  }
  if (
    s.passiveLivenessThreshold !== null &&
    (typeof s.passiveLivenessThreshold !== 'number' ||
      !(s.passiveLivenessThreshold >= 0 && s.passiveLivenessThreshold <= 1))
  )
    throw invalidField('passiveLivenessThreshold', 'must be a number from 0 to 1, or null (report only)');
  checkInt('maxAttempts', s.maxAttempts, 1, 20);
  if (typeof s.invalidateOnFailure !== 'boolean') throw invalidField('invalidateOnFailure', 'must be true or false');
  s.successUrl = checkUrl('successUrl', s.successUrl);
  s.failureUrl = checkUrl('failureUrl', s.failureUrl);
  s.callbackUrl = checkUrl('callbackUrl', s.callbackUrl);
  checkInt('resultRetentionHours', s.resultRetentionHours, 1, MAX_RETENTION_HOURS);
  checkInt('mediaRetentionHours', s.mediaRetentionHours, 0, MAX_RETENTION_HOURS);
  if (s.mediaRetentionHours > s.resultRetentionHours)
    throw invalidField(
      'mediaRetentionHours',
      'cannot exceed resultRetentionHours (images are deleted with the result)',
    );
  if (input.callbackSecret !== undefined) {
    if (
      typeof input.callbackSecret !== 'string' ||
      input.callbackSecret.length < 16 ||
      input.callbackSecret.length > 128
    )
      throw invalidField('callbackSecret', 'must be 16–128 characters');
  }
  return s;
}

export interface PlanServiceDeps {
  plans: PlanRepo;
  audit: AuditRepo;
  keyring: Keyring;
  now?: () => Date;
  /** Defaults of new plans, read on every create (src/verify/settings.ts); absent = PLAN_DEFAULTS. */
  defaults?: () => Promise<NewPlanDefaults>;
}

export function createPlanService(deps: PlanServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const secretBox = deps.keyring.box(CALLBACK_SECRET_PURPOSE);

  async function getRow(appId: string, id: number): Promise<PlanRow> {
    const row = Number.isSafeInteger(id) && id > 0 ? await deps.plans.findById(id) : undefined;
    // Another app's plan is "not found": ids must not reveal other tenants.
    if (!row || row.app_id !== appId) throw new ShirenError('not_found', `no plan ${id}`);
    return row;
  }

  return {
    getRow,

    /** Creates a plan. `callbackSecret` is returned only when it was generated here (shown once). */
    async create(appId: string, input: PlanInput, actor: string): Promise<{ plan: PlanView; callbackSecret?: string }> {
      const s = resolveSettings(undefined, input, deps.defaults ? await deps.defaults() : PLAN_DEFAULTS);
      const generated =
        s.callbackUrl && input.callbackSecret === undefined ? randomBytes(24).toString('base64url') : undefined;
      const secret = input.callbackSecret ?? generated;
      const t = now();
      const row = await deps.plans.insert({
        app_id: appId,
        ...settingsColumns(s),
        callback_secret_enc: secret ? secretBox.encrypt(secret) : null,
        created_at: t,
        updated_at: t,
        disabled_at: null,
      });
      await deps.audit.record({ actor, action: 'plan.create', target: String(row.id), details: { appId } });
      return { plan: planView(row), ...(generated ? { callbackSecret: generated } : {}) };
    },

    async get(appId: string, id: number): Promise<PlanView> {
      return planView(await getRow(appId, id));
    },

    async list(appId: string): Promise<PlanView[]> {
      return (await deps.plans.listByApp(appId)).map(planView);
    },

    /** A plan of any app by id (the console's view across apps); undefined if there is none. */
    async findAny(id: number): Promise<(PlanView & { appId: string }) | undefined> {
      const row = Number.isSafeInteger(id) && id > 0 ? await deps.plans.findById(id) : undefined;
      return row && { ...planView(row), appId: row.app_id };
    },

    async listAll(): Promise<(PlanView & { appId: string })[]> {
      return (await deps.plans.listAll()).map((r) => ({ ...planView(r), appId: r.app_id }));
    },

    async update(
      appId: string,
      id: number,
      input: PlanInput,
      actor: string,
    ): Promise<{ plan: PlanView; callbackSecret?: string }> {
      const row = await getRow(appId, id);
      const base = planView(row);
      const s = resolveSettings(base, input);
      const needsSecret =
        s.callbackUrl !== null && row.callback_secret_enc === null && input.callbackSecret === undefined;
      const generated = needsSecret ? randomBytes(24).toString('base64url') : undefined;
      const secret = input.callbackSecret ?? generated;
      const patch: PlanUpdate = {
        ...settingsColumns(s),
        updated_at: now(),
        ...(secret ? { callback_secret_enc: secretBox.encrypt(secret) } : {}),
        ...(input.disabled === undefined ? {} : { disabled_at: input.disabled ? (row.disabled_at ?? now()) : null }),
      };
      const updated = await deps.plans.update(id, patch);
      if (!updated) throw new ShirenError('not_found', `no plan ${id}`);
      await deps.audit.record({
        actor,
        action: 'plan.update',
        target: String(id),
        details: { fields: Object.keys(input).filter((k) => k !== 'callbackSecret') },
      });
      return { plan: planView(updated), ...(generated ? { callbackSecret: generated } : {}) };
    },

    /** The plaintext callback signing secret (for the callback sender). */
    callbackSecret(row: PlanRow): string | undefined {
      return row.callback_secret_enc ? secretBox.decryptString(row.callback_secret_enc) : undefined;
    },
  };
}
export type PlanService = ReturnType<typeof createPlanService>;

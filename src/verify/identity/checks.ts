/**
 * Identity information checks (docs/identity.md): validate the fields (a bad check digit is a parameter error, never
 * a lookup), choose the provider (the plan's, else the app's default), ask it, and return its answer with the rule
 * findings. Protocol adapters (native, Cloudauth) only translate.
 *
 * Providers: `registry` (what the operator imported), `http` (an upstream the operator configures, per app), `none`
 * (no authoritative source: every check answers not_supported "no authoritative source configured").
 */
import { ShirenError } from '../../errors.js';
import type { PlanRepo } from '../../store/repos/plan-repo.js';
import type { SettingRepo } from '../../store/repos/setting-repo.js';
import type { IdentityProviderName, IdentityProviderSetting } from '../../store/schema.js';
import type { Keyring } from '../../store/secret-box.js';
import { requireField, type FieldCheck } from './fields.js';
import {
  createCircuitBreaker,
  createHttpProvider,
  type CircuitBreaker,
  type HttpUpstreamSettings,
} from './http-provider.js';
import type { FieldName } from './md5-forms.js';
import { normaliseValidityDate } from './registry.js';
import type { CheckAnswer, CheckKind, CheckRequest, IdentityProvider, ParamType } from './types.js';
import { CHECK_KINDS } from './types.js';
import type { CheckRecords } from './check-records.js';

export const PROVIDER_NAMES: readonly IdentityProviderName[] = ['registry', 'http', 'none'];
const HTTP_AUTH_PURPOSE = 'identity-http-authorization';
const settingKey = (appId: string) => `identity:${appId}`;

/** A check as callers give it: `paramType` defaults to "normal". */
export type CheckInput = Omit<CheckRequest, 'paramType'> & { paramType?: ParamType };

export interface CheckOutcome extends CheckAnswer {
  kind: CheckKind;
  provider: 'registry' | 'http';
  /** Rule findings per field (plain values only; md5 values are checked for shape). */
  rules: Partial<Record<FieldName, FieldCheck>>;
}

interface StoredSettings {
  defaultProvider: IdentityProviderName;
  http?: Omit<HttpUpstreamSettings, 'authorization'> & { authorizationEnc?: string };
}

export interface IdentitySettingsInput {
  defaultProvider?: IdentityProviderName;
  /** null removes the upstream. */
  http?: {
    url: string;
    authorization?: string;
    timeoutMs?: number;
    failureThreshold?: number;
    cooldownMs?: number;
  } | null;
}

export interface IdentitySettingsView {
  defaultProvider: IdentityProviderName;
  http: (Omit<HttpUpstreamSettings, 'authorization'> & { authorizationSet: boolean; breaker: string }) | null;
}

export const HTTP_DEFAULTS = { timeoutMs: 5000, failureThreshold: 5, cooldownMs: 30_000 };

/** Which fields each check needs (elements adds some for bank_card and vehicle_meta). */
function requiredFields(kind: CheckKind, elements: number | undefined): FieldName[] {
  switch (kind) {
    case 'id2':
    case 'id2_period':
    case 'id3':
      return ['name', 'idNumber'];
    case 'mobile2':
      return ['mobile', 'name'];
    case 'mobile3':
      return ['mobile', 'name', 'idNumber'];
    case 'mobile_detect':
    case 'mobile_online_time':
    case 'mobile_online_status':
    case 'mobile_recycled':
      return ['mobile'];
    case 'bank_card':
      return [
        'bankCard',
        'name',
        ...((elements ?? 2) >= 3 ? ['idNumber' as const] : []),
        ...((elements ?? 2) >= 4 ? ['mobile' as const] : []),
      ];
    case 'vehicle_meta':
      return ['plate', 'name', ...((elements ?? 2) >= 3 ? ['idNumber' as const] : [])];
    case 'vehicle_query':
      return ['plate'];
    case 'vehicle_insure':
      return ['plate', 'vin'];
    case 'credential':
      return [];
  }
}

export interface IdentityCheckDeps {
  registry: IdentityProvider;
  settings: Pick<SettingRepo, 'get' | 'set'>;
  plans: Pick<PlanRepo, 'findById'>;
  keyring: Keyring;
  /** Overrides the http provider factory (tests). */
  httpProvider?: (s: HttpUpstreamSettings, breaker: CircuitBreaker) => IdentityProvider;
  /** Writes a record of every check answered or refused (src/verify/identity/check-records.ts); absent: none. */
  records?: Pick<CheckRecords, 'record'>;
  now?: () => Date;
  log?: { warn(obj: object, msg: string): void };
}

export function createIdentityChecks(deps: IdentityCheckDeps) {
  const now = deps.now ?? (() => new Date());
  const authBox = deps.keyring.box(HTTP_AUTH_PURPOSE);
  const breakers = new Map<string, CircuitBreaker>();
  const breakerKey = (appId: string, s: Pick<HttpUpstreamSettings, 'url' | 'failureThreshold' | 'cooldownMs'>) =>
    `${appId} ${s.url} ${s.failureThreshold} ${s.cooldownMs}`;
  const breakerFor = (appId: string, s: HttpUpstreamSettings) => {
    const k = breakerKey(appId, s);
    let b = breakers.get(k);
    if (!b) breakers.set(k, (b = createCircuitBreaker(s)));
    return b;
  };

  async function stored(appId: string): Promise<StoredSettings> {
    return (await deps.settings.get<StoredSettings>(settingKey(appId))) ?? { defaultProvider: 'registry' };
  }

  function viewOf(appId: string, s: StoredSettings): IdentitySettingsView {
    if (!s.http) return { defaultProvider: s.defaultProvider, http: null };
    const { authorizationEnc, ...rest } = s.http;
    const b = breakers.get(breakerKey(appId, rest));
    return {
      defaultProvider: s.defaultProvider,
      http: { ...rest, authorizationSet: authorizationEnc !== undefined, breaker: b?.state() ?? 'closed' },
    };
  }

  async function providerFor(appId: string, planId?: number): Promise<IdentityProvider | 'none'> {
    let setting: IdentityProviderSetting = 'default';
    if (planId !== undefined) {
      const plan = Number.isSafeInteger(planId) && planId > 0 ? await deps.plans.findById(planId) : undefined;
      if (!plan || plan.app_id !== appId) throw new ShirenError('not_found', `no plan ${planId}`);
      setting = plan.identity_provider;
    }
    const s = await stored(appId);
    const name = setting === 'default' ? s.defaultProvider : setting;
    if (name === 'none') return 'none';
    if (name === 'registry') return deps.registry;
    if (!s.http)
      throw new ShirenError(
        'not_supported',
        'no authoritative source configured: the http provider has no upstream URL',
        {
          details: { code: 'no_authoritative_source', provider: 'http' },
        },
      );
    const { authorizationEnc, ...rest } = s.http;
    const settings: HttpUpstreamSettings = {
      ...rest,
      ...(authorizationEnc ? { authorization: authBox.decryptString(authorizationEnc) } : {}),
    };
    const breaker = breakerFor(appId, settings);
    return (deps.httpProvider ?? createHttpProvider)(settings, breaker);
  }

  /** Validates a request into a CheckRequest (throws invalid_request naming the field). */
  function validate(input: CheckInput): { req: CheckRequest; rules: Partial<Record<FieldName, FieldCheck>> } {
    if (!(CHECK_KINDS as readonly string[]).includes(input.kind))
      throw new ShirenError('invalid_request', `check: must be one of ${CHECK_KINDS.join(', ')}`, {
        details: { field: 'check' },
      });
    const paramType = input.paramType ?? 'normal';
    if (paramType !== 'normal' && paramType !== 'md5')
      throw new ShirenError('invalid_request', 'paramType: must be normal or md5', { details: { field: 'paramType' } });
    const req: CheckRequest = { kind: input.kind, paramType };
    if (input.signal) req.signal = input.signal;
    const rules: Partial<Record<FieldName, FieldCheck>> = {};
    if (input.elements !== undefined) {
      const max = input.kind === 'bank_card' ? 4 : input.kind === 'vehicle_meta' ? 3 : 0;
      if (!Number.isInteger(input.elements) || input.elements < 2 || input.elements > max)
        throw new ShirenError('invalid_request', `elements: must be 2–${max} for ${input.kind}`, {
          details: { field: 'elements' },
        });
      req.elements = input.elements;
    }
    for (const f of requiredFields(input.kind, input.elements)) {
      const { value, check } = requireField(f, input[f], paramType);
      req[f] = value;
      rules[f] = check;
    }
    if (input.vehicleType !== undefined && input.vehicleType !== '') {
      if (!/^[0-9A-Za-z]{1,4}$/.test(input.vehicleType))
        throw new ShirenError('invalid_request', 'vehicleType: 1–4 letters or digits (e.g. 02)', {
          details: { field: 'vehicleType' },
        });
      req.vehicleType = input.vehicleType;
    }
    if (input.kind === 'id2_period') {
      const from = input.validFrom ? normaliseValidityDate(input.validFrom, false) : undefined;
      const to = input.validTo ? normaliseValidityDate(input.validTo, true) : undefined;
      if (!from)
        throw new ShirenError('invalid_request', 'validFrom: a date yyyyMMdd', { details: { field: 'validFrom' } });
      if (!to)
        throw new ShirenError('invalid_request', 'validTo: a date yyyyMMdd or 长期', { details: { field: 'validTo' } });
      if (to !== '长期' && to <= from)
        throw new ShirenError('invalid_request', 'validTo: must be after validFrom', { details: { field: 'validTo' } });
      req.validFrom = from;
      req.validTo = to;
    }
    if (input.kind === 'mobile_recycled') {
      const d = input.registerDate ? normaliseValidityDate(input.registerDate, false) : undefined;
      if (!d)
        throw new ShirenError('invalid_request', 'registerDate: a date yyyyMMdd', {
          details: { field: 'registerDate' },
        });
      req.registerDate = d;
    }
    if (input.kind === 'id3') {
      if (!input.face || input.face.length === 0)
        throw new ShirenError('invalid_request', 'face: the face photo is required', { details: { field: 'face' } });
      req.face = input.face;
    }
    return { req, rules };
  }

  /** Validates the check, chooses the source and asks it; `seen` gets the validated request. */
  async function answer(
    appId: string,
    input: CheckInput,
    opts: { planId?: number },
    seen: (req: CheckRequest) => void,
  ): Promise<CheckOutcome> {
    const { req, rules } = validate(input);
    seen(req);
    if (req.kind === 'credential')
      throw new ShirenError(
        'not_supported',
        'credential forgery and tampering detection needs a document-forensics model that Shiren does not have; no answer is guessed',
        { details: { code: 'source_cannot_answer', check: 'credential' } },
      );
    const provider = await providerFor(appId, opts.planId);
    if (provider === 'none')
      throw new ShirenError('not_supported', 'no authoritative source configured: the identity provider is none', {
        details: { code: 'no_authoritative_source', provider: 'none' },
      });
    const answered = await provider.check(appId, req);
    return { kind: req.kind, provider: provider.name, rules, ...answered };
  }

  return {
    validate,
    providerFor,

    /** Answers a check and writes its record; a record that cannot be written never fails the check. */
    async check(appId: string, input: CheckInput, opts: { planId?: number } = {}): Promise<CheckOutcome> {
      const started = now();
      let validated: CheckRequest | undefined;
      let outcome: CheckOutcome | undefined;
      let errorCode: string | null = null;
      try {
        outcome = await answer(appId, input, opts, (r) => (validated = r));
        return outcome;
      } catch (err) {
        errorCode = err instanceof ShirenError ? err.reason : 'internal';
        throw err;
      } finally {
        if (deps.records) {
          const kind = validated?.kind ?? (typeof input.kind === 'string' ? input.kind : 'unknown');
          const plainId = validated?.paramType === 'normal' ? validated.idNumber : undefined;
          await deps.records
            .record({
              appId,
              planId: opts.planId ?? null,
              kind: kind.slice(0, 32),
              paramType: validated?.paramType ?? (input.paramType === 'md5' ? 'md5' : 'normal'),
              ...(plainId ? { idNumber: plainId } : {}),
              provider: outcome?.provider ?? null,
              result: outcome?.result ?? null,
              errorCode,
              mismatched: outcome?.mismatched ?? [],
              durationMs: now().getTime() - started.getTime(),
              at: started,
            })
            .catch((e: unknown) => deps.log?.warn({ err: String(e) }, 'identity check record not written'));
        }
      }
    },

    async getSettings(appId: string): Promise<IdentitySettingsView> {
      return viewOf(appId, await stored(appId));
    },

    async setSettings(appId: string, input: IdentitySettingsInput): Promise<IdentitySettingsView> {
      const s = await stored(appId);
      if (input.defaultProvider !== undefined) {
        if (!PROVIDER_NAMES.includes(input.defaultProvider))
          throw new ShirenError('invalid_request', `defaultProvider: one of ${PROVIDER_NAMES.join(', ')}`, {
            details: { field: 'defaultProvider' },
          });
        s.defaultProvider = input.defaultProvider;
      }
      if (input.http === null) delete s.http;
      else if (input.http !== undefined) {
        const h = input.http;
        let u: URL;
        try {
          u = new URL(h.url);
        } catch {
          throw new ShirenError('invalid_request', 'http.url: an absolute http(s) URL', {
            details: { field: 'http.url' },
          });
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          throw new ShirenError('invalid_request', 'http.url: an http(s) URL', { details: { field: 'http.url' } });
        const int = (name: string, v: number | undefined, def: number, min: number, max: number) => {
          if (v === undefined) return def;
          if (!Number.isInteger(v) || v < min || v > max)
            throw new ShirenError('invalid_request', `http.${name}: a whole number from ${min} to ${max}`, {
              details: { field: `http.${name}` },
            });
          return v;
        };
        if (
          h.authorization !== undefined &&
          (typeof h.authorization !== 'string' || h.authorization.length > 4096 || /[\r\n]/.test(h.authorization))
        )
          throw new ShirenError('invalid_request', 'http.authorization: one header value of at most 4096 characters', {
            details: { field: 'http.authorization' },
          });
        s.http = {
          url: u.toString(),
          timeoutMs: int('timeoutMs', h.timeoutMs, HTTP_DEFAULTS.timeoutMs, 100, 60_000),
          failureThreshold: int('failureThreshold', h.failureThreshold, HTTP_DEFAULTS.failureThreshold, 1, 100),
          cooldownMs: int('cooldownMs', h.cooldownMs, HTTP_DEFAULTS.cooldownMs, 100, 3_600_000),
          ...(h.authorization ? { authorizationEnc: authBox.encrypt(h.authorization) } : {}),
        };
      }
      await deps.settings.set(settingKey(appId), s);
      return viewOf(appId, s);
    },
  };
}
export type IdentityChecks = ReturnType<typeof createIdentityChecks>;

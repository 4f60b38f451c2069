/**
 * Runtime settings an admin edits in the console (docs/console.md, "Settings"): retention limits and the retention
 * of new plans, the default thresholds of new plans, and the image-fetch guard (allow-list, private addresses,
 * timeout).
 *
 * Precedence: the start-up value is the environment's (SHIREN_IMAGE_FETCH_HOSTS, …; or the SHIREN_CONFIG file) or
 * else the built-in default; a value saved in the console (table console_setting, migration 0013) overrides it
 * until it is reset. Every view says where each value comes from: "console", "env" or "default".
 *
 * The consumers (the retention job, plan creation, the image fetch guard) read the live value through this service.
 * It keeps the saved rows in the process and reloads them when they are older than refreshMs (30 s), and at once
 * after a change made by this process, so several processes on one database converge within 30 s.
 */
import { invalidField } from '../errors.js';
import { IMAGE_FETCH_TIMEOUT_RANGE, isAllowHostEntry, type Config, type SettingName as EnvName } from '../config.js';
import type { ConsoleSettingRepo } from '../store/repos/console-setting-repo.js';
import type { Transactor } from '../store/repos/index.js';
import type { ConsoleSettingRow } from '../store/schema.js';
import type { FetchPolicy } from './image-source.js';
import { FAR_SCORES, MAX_RETENTION_HOURS, PLAN_DEFAULTS, type FarLevel, type NewPlanDefaults } from './plans.js';

/** The values, by key. */
export interface SettingValues {
  /** Result retention of a new plan that does not give one, hours. */
  'retention.defaultResultHours': number;
  /** Media (audit image) retention of a new plan that does not give one, hours. */
  'retention.defaultMediaHours': number;
  /** Upper bound of every plan's result retention, applied by the retention job; null = the plan decides. */
  'retention.maxResultHours': number | null;
  /** Upper bound of every plan's media retention, applied by the retention job; null = the plan decides. */
  'retention.maxMediaHours': number | null;
  /** Comparison threshold of a new plan that does not give one, as a false-accept rate. */
  'plans.defaultFar': FarLevel;
  /** Passive liveness threshold (0–1) of a new plan that does not give one; null = report only. */
  'plans.defaultPassiveLivenessThreshold': number | null;
  'imageFetch.allowHosts': string[];
  'imageFetch.allowPrivate': boolean;
  'imageFetch.timeoutMs': number;
}
export type SettingKey = keyof SettingValues;
export type SettingSource = 'default' | 'env' | 'console';
export type SettingType = 'hours' | 'hoursOrNull' | 'far' | 'ratioOrNull' | 'hosts' | 'boolean' | 'milliseconds';

interface Definition {
  type: SettingType;
  min?: number;
  max?: number;
  options?: readonly string[];
  /** The environment setting that gives its start-up value. */
  env?: EnvName;
}

const MAX_HOSTS = 200;

export const SETTING_DEFINITIONS: Record<SettingKey, Definition> = {
  'retention.defaultResultHours': { type: 'hours', min: 1, max: MAX_RETENTION_HOURS },
  'retention.defaultMediaHours': { type: 'hours', min: 0, max: MAX_RETENTION_HOURS },
  'retention.maxResultHours': { type: 'hoursOrNull', min: 1, max: MAX_RETENTION_HOURS },
  'retention.maxMediaHours': { type: 'hoursOrNull', min: 0, max: MAX_RETENTION_HOURS },
  'plans.defaultFar': { type: 'far', options: Object.keys(FAR_SCORES) },
  'plans.defaultPassiveLivenessThreshold': { type: 'ratioOrNull', min: 0, max: 1 },
  'imageFetch.allowHosts': { type: 'hosts', max: MAX_HOSTS, env: 'SHIREN_IMAGE_FETCH_HOSTS' },
  'imageFetch.allowPrivate': { type: 'boolean', env: 'SHIREN_IMAGE_FETCH_PRIVATE' },
  'imageFetch.timeoutMs': {
    type: 'milliseconds',
    min: IMAGE_FETCH_TIMEOUT_RANGE.min,
    max: IMAGE_FETCH_TIMEOUT_RANGE.max,
    env: 'SHIREN_IMAGE_FETCH_TIMEOUT_MS',
  },
};
export const SETTING_KEYS = Object.keys(SETTING_DEFINITIONS) as SettingKey[];

export interface SettingView {
  key: SettingKey;
  type: SettingType;
  min?: number;
  max?: number;
  options?: readonly string[];
  value: unknown;
  source: SettingSource;
  /** The value without the console's: the environment's or the built-in default. */
  startup: { value: unknown; source: 'env' | 'default'; env?: EnvName };
  updatedBy: string | null;
  updatedAt: string | null;
}

export interface SettingsUpdate {
  /** key → new value (saved in the console). */
  values?: unknown;
  /** Keys whose console value is removed (back to the start-up value). */
  reset?: unknown;
}

const isKey = (k: string): k is SettingKey => Object.hasOwn(SETTING_DEFINITIONS, k);

/** Validates one value with the rules config.ts applies to the same setting; returns it normalised. */
export function checkSetting(key: SettingKey, v: unknown): unknown {
  const d = SETTING_DEFINITIONS[key];
  const range = () => `from ${d.min} to ${d.max}`;
  const wholeInRange = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= d.min! && x <= d.max!;
  switch (d.type) {
    case 'hours':
    case 'milliseconds':
      if (!wholeInRange(v)) throw invalidField(key, `must be a whole number ${range()}`);
      return v;
    case 'hoursOrNull':
      if (v !== null && !wholeInRange(v))
        throw invalidField(key, `must be a whole number ${range()}, or null (no limit)`);
      return v;
    case 'far':
      if (typeof v !== 'string' || !d.options!.includes(v))
        throw invalidField(key, `must be one of ${d.options!.join(', ')}`);
      return v;
    case 'ratioOrNull':
      if (v !== null && (typeof v !== 'number' || !(v >= 0 && v <= 1)))
        throw invalidField(key, 'must be a number from 0 to 1, or null (report only)');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw invalidField(key, 'must be true or false');
      return v;
    case 'hosts': {
      if (!Array.isArray(v)) throw invalidField(key, 'must be a list of host names');
      const out: string[] = [];
      for (const raw of v) {
        if (typeof raw !== 'string') throw invalidField(key, 'must be a list of host names');
        const h = raw.trim().toLowerCase();
        if (h === '') continue;
        if (h.length > 255 || !isAllowHostEntry(h))
          throw invalidField(key, `${JSON.stringify(raw)} is not a host name`, { value: raw.slice(0, 300) });
        if (!out.includes(h)) out.push(h);
      }
      if (out.length > MAX_HOSTS) throw invalidField(key, `at most ${MAX_HOSTS} host names`);
      return out;
    }
  }
}

/** Rules between settings, checked on the values as they would be after a change. */
function checkTogether(v: SettingValues) {
  if (v['retention.defaultMediaHours'] > v['retention.defaultResultHours'])
    throw invalidField(
      'retention.defaultMediaHours',
      'cannot exceed retention.defaultResultHours (images are deleted with the result)',
    );
}

const farOf = (score: number): FarLevel =>
  (Object.keys(FAR_SCORES) as FarLevel[]).find((f) => FAR_SCORES[f] === score) ?? '1e-4';

/** Start-up values: the environment's where config has the setting, else the built-in default. */
export function startupValues(config: Pick<Config, 'imageFetch' | 'fromEnv'>): {
  values: SettingValues;
  source: Record<SettingKey, 'env' | 'default'>;
} {
  const values: SettingValues = {
    'retention.defaultResultHours': PLAN_DEFAULTS.resultRetentionHours,
    'retention.defaultMediaHours': PLAN_DEFAULTS.mediaRetentionHours,
    'retention.maxResultHours': null,
    'retention.maxMediaHours': null,
    'plans.defaultFar': farOf(PLAN_DEFAULTS.thresholdScore),
    'plans.defaultPassiveLivenessThreshold': PLAN_DEFAULTS.passiveLivenessThreshold,
    'imageFetch.allowHosts': [...config.imageFetch.allowHosts],
    'imageFetch.allowPrivate': config.imageFetch.allowPrivate,
    'imageFetch.timeoutMs': config.imageFetch.timeoutMs,
  };
  const source = Object.fromEntries(
    SETTING_KEYS.map((k) => {
      const env = SETTING_DEFINITIONS[k].env;
      return [k, env && config.fromEnv.includes(env) ? 'env' : 'default'];
    }),
  ) as Record<SettingKey, 'env' | 'default'>;
  return { values, source };
}

export interface SettingsServiceDeps {
  repo: ConsoleSettingRepo;
  transaction: Transactor;
  config: Pick<Config, 'imageFetch' | 'fromEnv'>;
  now?: () => Date;
  /** How long the saved rows are used before they are read again, ms (default 30 000). */
  refreshMs?: number;
  /** Clock of that cache, ms (default Date.now; tests inject one). */
  cacheNow?: () => number;
}

export const SETTINGS_REFRESH_MS = 30_000;

export function createSettingsService(deps: SettingsServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const cacheNow = deps.cacheNow ?? Date.now;
  const refreshMs = deps.refreshMs ?? SETTINGS_REFRESH_MS;
  const startup = startupValues(deps.config);

  let cache: { at: number; rows: Map<SettingKey, ConsoleSettingRow> } | undefined;
  let loading: Promise<Map<SettingKey, ConsoleSettingRow>> | undefined;
  let generation = 0;

  /** The saved rows whose key is known and whose value passes today's rules (others are ignored). */
  async function load(): Promise<Map<SettingKey, ConsoleSettingRow>> {
    const rows = new Map<SettingKey, ConsoleSettingRow>();
    for (const r of await deps.repo.all()) {
      if (!isKey(r.key)) continue;
      try {
        rows.set(r.key, { ...r, value: checkSetting(r.key, r.value) });
      } catch {
        // A value saved under older rules: the start-up value applies until an admin saves a new one.
      }
    }
    return rows;
  }

  async function savedRows(): Promise<Map<SettingKey, ConsoleSettingRow>> {
    if (cache && cacheNow() - cache.at < refreshMs) return cache.rows;
    if (!loading) {
      const gen = generation;
      loading = load()
        .then((rows) => {
          if (gen === generation) cache = { at: cacheNow(), rows };
          return rows;
        })
        .finally(() => {
          loading = undefined;
        });
    }
    try {
      return await loading;
    } catch (err) {
      if (cache) return cache.rows; // the database is unreachable: keep using what was read last
      throw err;
    }
  }

  function effective(rows: Map<SettingKey, ConsoleSettingRow>): SettingValues {
    const v = { ...startup.values } as Record<SettingKey, unknown>;
    for (const [k, r] of rows) v[k] = r.value;
    return v as unknown as SettingValues;
  }

  function views(rows: Map<SettingKey, ConsoleSettingRow>): SettingView[] {
    const values = effective(rows);
    return SETTING_KEYS.map((key) => {
      const d = SETTING_DEFINITIONS[key];
      const row = rows.get(key);
      return {
        key,
        type: d.type,
        ...(d.min !== undefined ? { min: d.min } : {}),
        ...(d.max !== undefined ? { max: d.max } : {}),
        ...(d.options ? { options: d.options } : {}),
        value: values[key],
        source: row ? 'console' : startup.source[key],
        startup: { value: startup.values[key], source: startup.source[key], ...(d.env ? { env: d.env } : {}) },
        updatedBy: row?.updated_by ?? null,
        updatedAt: row ? new Date(row.updated_at).toISOString() : null,
      };
    });
  }

  const service = {
    /** The live values (cached up to refreshMs). */
    async current(): Promise<SettingValues> {
      return effective(await savedRows());
    },

    async list(): Promise<{ settings: SettingView[]; refreshSeconds: number }> {
      return { settings: views(await savedRows()), refreshSeconds: refreshMs / 1000 };
    },

    /** Defaults of new plans (PlanServiceDeps.defaults). */
    async planDefaults(): Promise<NewPlanDefaults> {
      const v = await service.current();
      return {
        thresholdScore: FAR_SCORES[v['plans.defaultFar']],
        passiveLivenessThreshold: v['plans.defaultPassiveLivenessThreshold'],
        resultRetentionHours: v['retention.defaultResultHours'],
        mediaRetentionHours: v['retention.defaultMediaHours'],
      };
    },

    /** Upper bounds of every plan's retention (RetentionDeps.limits). */
    async retentionLimits(): Promise<{ maxResultHours: number | null; maxMediaHours: number | null }> {
      const v = await service.current();
      return { maxResultHours: v['retention.maxResultHours'], maxMediaHours: v['retention.maxMediaHours'] };
    },

    /** The image fetch guard's policy (ImageSourceDeps.policy). */
    async fetchPolicy(maxBytes: number): Promise<FetchPolicy> {
      const v = await service.current();
      return {
        allowHosts: v['imageFetch.allowHosts'],
        allowPrivate: v['imageFetch.allowPrivate'],
        timeoutMs: v['imageFetch.timeoutMs'],
        maxBytes,
      };
    },

    /**
     * Saves the given values and resets the listed keys, all or nothing: every value is validated (400
     * invalid_request, details.field = the key) against the settings as they would be afterwards. Audited as
     * settings.update with each changed key's old and new value (none of them is personal data).
     */
    async update(input: SettingsUpdate, actor: string): Promise<{ settings: SettingView[]; refreshSeconds: number }> {
      if (input === null || typeof input !== 'object') throw invalidField('values', 'must be an object of key → value');
      const values = input.values ?? {};
      if (values === null || typeof values !== 'object' || Array.isArray(values))
        throw invalidField('values', 'must be an object of key → value');
      const reset = input.reset ?? [];
      if (!Array.isArray(reset) || !reset.every((k) => typeof k === 'string'))
        throw invalidField('reset', 'must be a list of setting keys');
      const set = new Map<SettingKey, unknown>();
      for (const [k, v] of Object.entries(values)) {
        if (!isKey(k)) throw invalidField(k, 'unknown setting', { known: SETTING_KEYS });
        set.set(k, checkSetting(k, v));
      }
      for (const k of reset as string[]) {
        if (!isKey(k)) throw invalidField(k, 'unknown setting', { known: SETTING_KEYS });
        if (set.has(k)) throw invalidField(k, 'is both set and reset');
      }

      // Read the saved rows afresh (not the cache) so the old values in the audit are the stored ones.
      const before = await load();
      const after = new Map(before);
      const at = now();
      for (const [k, v] of set) after.set(k, { key: k, value: v, updated_by: actor, updated_at: at });
      for (const k of reset as SettingKey[]) after.delete(k);
      const oldValues = effective(before);
      const newValues = effective(after);
      checkTogether(newValues);

      const changes: Record<string, { from: unknown; to: unknown; source: SettingSource }> = {};
      for (const k of SETTING_KEYS) {
        const changedValue = JSON.stringify(oldValues[k]) !== JSON.stringify(newValues[k]);
        if (changedValue || before.has(k) !== after.has(k))
          changes[k] = { from: oldValues[k], to: newValues[k], source: after.has(k) ? 'console' : startup.source[k] };
      }
      const keys = Object.keys(changes);
      if (keys.length > 0) {
        await deps.transaction(async (tx) => {
          for (const k of keys as SettingKey[]) {
            if (after.has(k)) await tx.consoleSettings.put(k, newValues[k], actor, at);
            else await tx.consoleSettings.remove(k);
          }
          await tx.audit.record({ actor, action: 'settings.update', target: 'settings', details: { keys, changes } });
        });
      }
      generation++;
      cache = undefined;
      return service.list();
    },
  };
  return service;
}
export type SettingsService = ReturnType<typeof createSettingsService>;

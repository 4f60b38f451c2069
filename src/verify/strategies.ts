/**
 * Attempt limits, the vendors' 控制策略 (docs/console.md, "Attempt limits"): a rule says "at most maxCount events per
 * value within windowMinutes" for one dimension, in a scope (a plan, an app, or every app). The events counted:
 *   - id_number: verification sessions that carry the ID number (its keyed digest), by the session's creation time;
 *     checked when a session gets an identity (create with identity, setIdentity, the H5 identity step), not counting
 *     the session being given it. Over the limit: 429 rate_limited.
 *   - device / ip: failed attempts (recorded attempts with passed = false) from the H5 page's device digest / the
 *     client address digest, by the attempt's finish time; checked at the H5 challenge and the attempt upload.
 *     Over the limit: 429 too_many_failures.
 * Refused requests record nothing, so they never extend a limit. The answer carries Retry-After and
 * details {limit, windowMinutes, dimension, retryAfterSeconds, strategyId}: the time until the counted event that
 * makes the limit leaves the window. Changes are audited (strategy.create | update | delete).
 */
import { ShirenError, invalidField } from '../errors.js';
import type { AppRepo } from '../store/repos/app-repo.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import type { PlanRepo } from '../store/repos/plan-repo.js';
import type { StrategyRepo, StrategyScope } from '../store/repos/strategy-repo.js';
import type { ControlStrategyRow, StrategyDimension } from '../store/schema.js';
import { checkInt } from './plans.js';

export const DIMENSIONS: readonly StrategyDimension[] = ['id_number', 'device', 'ip'];
export const MAX_COUNT = 100_000;
/** 30 days. Counts only see sessions and attempts that result retention has not purged yet. */
export const MAX_WINDOW_MINUTES = 43_200;
const FIELDS = ['appId', 'planId', 'dimension', 'maxCount', 'windowMinutes', 'enabled'] as const;

export interface StrategyView {
  id: number;
  appId: string | null;
  planId: number | null;
  dimension: StrategyDimension;
  maxCount: number;
  windowMinutes: number;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** What the session engine asks before it lets an event happen (SessionServiceDeps.strategies). */
export interface LimitCheck {
  dimension: StrategyDimension;
  digest: string;
  appId: string;
  planId: number;
  at: Date;
  /** id_number: the session being given the identity is not counted. */
  excludeSessionId?: string;
}

function view(r: ControlStrategyRow): StrategyView {
  return {
    id: r.id,
    appId: r.app_id,
    planId: r.plan_id,
    dimension: r.dimension,
    maxCount: r.max_count,
    windowMinutes: r.window_minutes,
    enabled: r.enabled,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

function humanTime(seconds: number): string {
  return seconds < 60
    ? `${seconds} s`
    : seconds < 5400
      ? `${Math.ceil(seconds / 60)} min`
      : `${Math.ceil(seconds / 3600)} h`;
}

export function createStrategyService(deps: {
  strategies: StrategyRepo;
  apps: Pick<AppRepo, 'findById'>;
  plans: Pick<PlanRepo, 'findById'>;
  audit: AuditRepo;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());

  /** Validates a full rule (the stored one with a change applied); planId decides the app. */
  async function validate(input: Record<string, unknown>) {
    if (typeof input.dimension !== 'string' || !DIMENSIONS.includes(input.dimension as StrategyDimension))
      throw invalidField('dimension', `must be one of ${DIMENSIONS.join(', ')}`);
    const maxCount = checkInt('maxCount', input.maxCount, 1, MAX_COUNT);
    const windowMinutes = checkInt('windowMinutes', input.windowMinutes, 1, MAX_WINDOW_MINUTES);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
      throw invalidField('enabled', 'must be true or false');
    let appId: string | null = null;
    if (input.appId !== undefined && input.appId !== null) {
      if (typeof input.appId !== 'string' || !(await deps.apps.findById(input.appId)))
        throw invalidField('appId', 'no such app');
      appId = input.appId;
    }
    let planId: number | null = null;
    if (input.planId !== undefined && input.planId !== null) {
      const plan =
        typeof input.planId === 'number' && Number.isSafeInteger(input.planId)
          ? await deps.plans.findById(input.planId)
          : undefined;
      if (!plan) throw invalidField('planId', 'no such plan');
      if (appId !== null && plan.app_id !== appId)
        throw invalidField('planId', `plan ${plan.id} is not a plan of ${appId}`);
      planId = plan.id;
      appId = plan.app_id;
    }
    return {
      app_id: appId,
      plan_id: planId,
      dimension: input.dimension as StrategyDimension,
      max_count: maxCount,
      window_minutes: windowMinutes,
      enabled: input.enabled !== false,
    };
  }

  function knownFields(input: unknown): Record<string, unknown> {
    if (!input || typeof input !== 'object' || Array.isArray(input))
      throw invalidField('body', 'must be a JSON object');
    for (const k of Object.keys(input))
      if (!(FIELDS as readonly string[]).includes(k)) throw invalidField(k, 'unknown field');
    return input as Record<string, unknown>;
  }

  async function count(rule: ControlStrategyRow, c: LimitCheck): Promise<number | undefined> {
    const windowMs = rule.window_minutes * 60_000;
    const since = new Date(c.at.getTime() - windowMs);
    const scope: StrategyScope = { appId: rule.app_id, planId: rule.plan_id };
    const nth =
      c.dimension === 'id_number'
        ? await deps.strategies.nthRecentIdentitySession({
            digest: c.digest,
            since,
            scope,
            n: rule.max_count,
            ...(c.excludeSessionId !== undefined ? { excludeSessionId: c.excludeSessionId } : {}),
          })
        : await deps.strategies.nthRecentFailure({
            column: c.dimension === 'device' ? 'device_digest' : 'client_ip_digest',
            digest: c.digest,
            since,
            scope,
            n: rule.max_count,
          });
    if (!nth) return undefined;
    return Math.max(1, Math.ceil((nth.getTime() + windowMs - c.at.getTime()) / 1000));
  }

  return {
    /** Throws rate_limited (id_number) or too_many_failures (device, ip) when an enabled rule is reached. */
    async enforce(c: LimitCheck): Promise<void> {
      let worst: { rule: ControlStrategyRow; retryAfter: number } | undefined;
      for (const rule of await deps.strategies.applicable(c.dimension, c.appId, c.planId)) {
        const retryAfter = await count(rule, c);
        if (retryAfter !== undefined && (!worst || retryAfter > worst.retryAfter)) worst = { rule, retryAfter };
      }
      if (!worst) return;
      const { rule, retryAfter } = worst;
      const what =
        c.dimension === 'id_number'
          ? `Too many verifications of this ID number (${rule.max_count} in ${rule.window_minutes} min)`
          : `Too many failed attempts from this ${c.dimension === 'device' ? 'device' : 'network'} ` +
            `(${rule.max_count} in ${rule.window_minutes} min)`;
      throw new ShirenError(
        c.dimension === 'id_number' ? 'rate_limited' : 'too_many_failures',
        `${what}; try again in ${humanTime(retryAfter)}.`,
        {
          retryAfter,
          details: {
            limit: rule.max_count,
            windowMinutes: rule.window_minutes,
            dimension: c.dimension,
            retryAfterSeconds: retryAfter,
            strategyId: rule.id,
          },
        },
      );
    },

    async list(): Promise<StrategyView[]> {
      return (await deps.strategies.list()).map(view);
    },

    async create(input: unknown, actor: string): Promise<StrategyView> {
      const v = await validate(knownFields(input));
      const t = now();
      const row = await deps.strategies.insert({ ...v, created_by: actor, created_at: t, updated_at: t });
      await deps.audit.record({ actor, action: 'strategy.create', target: String(row.id), details: { ...view(row) } });
      return view(row);
    },

    async update(id: number, input: unknown, actor: string): Promise<StrategyView> {
      const change = knownFields(input);
      const stored = await deps.strategies.findById(id);
      if (!stored) throw new ShirenError('not_found', `no strategy ${id}`);
      const current = view(stored);
      // A new plan without an appId moves the rule to the plan's app; planId null alone keeps the app scope.
      const movesPlan = change.planId !== undefined && change.planId !== null && !('appId' in change);
      const merged = { ...current, ...(movesPlan ? { appId: null } : {}), ...change };
      const v = await validate(merged);
      const row = await deps.strategies.update(id, { ...v, updated_at: now() });
      if (!row) throw new ShirenError('not_found', `no strategy ${id}`);
      await deps.audit.record({
        actor,
        action: 'strategy.update',
        target: String(id),
        details: { changed: Object.keys(change), ...view(row) },
      });
      return view(row);
    },

    async remove(id: number, actor: string): Promise<void> {
      const row = await deps.strategies.delete(id);
      if (!row) throw new ShirenError('not_found', `no strategy ${id}`);
      await deps.audit.record({ actor, action: 'strategy.delete', target: String(id), details: { ...view(row) } });
    },
  };
}
export type StrategyService = ReturnType<typeof createStrategyService>;

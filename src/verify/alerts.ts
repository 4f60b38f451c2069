/**
 * Alerts (docs/console.md, "Alerts"): rules an admin sets in the console, evaluated every minute by the background
 * jobs (src/verify/jobs.ts) over the session and attempt tables:
 *   pass_rate_below    the pass rate (per cent) of sessions that finished (passed or failed) in the window is below
 *                      the threshold, once at least min_sessions finished;
 *   ip_failures_above  one client address (known only by its keyed digest) has more failed attempts in the window
 *                      than the threshold;
 *   volume_above       more sessions were created in the window than the threshold.
 * A rule fires at most once per window (cool-down: no new event until window_minutes have passed since its last
 * one). An event is stored, shown in the console and, when the rule has a webhook URL, POSTed there once, signed like
 * the result callbacks (src/verify/callbacks.ts): X-Shiren-Timestamp, X-Shiren-Signature = hex(HMAC-SHA256(secret,
 * timestamp + "." + body)); the outcome (delivered_at or delivery_error) is recorded on the event.
 * Addresses are never stored or shown: events carry the first 12 characters of the address digest.
 */
import { randomBytes } from 'node:crypto';
import { ShirenError, invalidField } from '../errors.js';
import { checkUrl } from './plans.js';
import type { Keyring } from '../store/secret-box.js';
import type { AlertRepo, AlertRuleValues } from '../store/repos/alert-repo.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import type { PlanRepo } from '../store/repos/plan-repo.js';
import type { Transactor } from '../store/repos/index.js';
import type { AlertEventRow, AlertKind, AlertRuleRow } from '../store/schema.js';
import { signCallback } from './callbacks.js';

export const ALERT_KINDS: readonly AlertKind[] = ['pass_rate_below', 'ip_failures_above', 'volume_above'];
export const ALERT_SECRET_PURPOSE = 'alert-webhook-secret';
/** Minutes before each retry of a failed webhook POST: 5 tries in all over about 2.6 hours, then the event stays. */
export const WEBHOOK_RETRY_MINUTES = [1, 5, 30, 120];
/** Characters of the address digest shown in events. */
export const DIGEST_PREFIX = 12;
const MAX_WINDOW_MINUTES = 7 * 24 * 60;
const MAX_COUNT = 1_000_000_000;

export interface AlertRuleInput {
  name?: unknown;
  kind?: unknown;
  threshold?: unknown;
  windowMinutes?: unknown;
  minSessions?: unknown;
  planId?: unknown;
  webhookUrl?: unknown;
  webhookSecret?: unknown;
  enabled?: unknown;
}
const INPUT_FIELDS = new Set([
  'name',
  'kind',
  'threshold',
  'windowMinutes',
  'minSessions',
  'planId',
  'webhookUrl',
  'webhookSecret',
  'enabled',
]);

export interface AlertRuleView {
  id: number;
  name: string;
  kind: AlertKind;
  threshold: number;
  windowMinutes: number;
  minSessions: number;
  planId: number | null;
  webhookUrl: string | null;
  /** Whether a signing secret is set (the secret itself is shown once, in the answer that set it). */
  webhookSigned: boolean;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

export interface AlertEventView {
  id: number;
  ruleId: number;
  firedAt: string;
  value: number;
  details: unknown;
  deliveredAt: string | null;
  deliveryError: string | null;
  /** Webhook POSTs made so far; a failed one is tried again at nextDeliveryAt (null: delivered or given up). */
  deliveryAttempts: number;
  nextDeliveryAt: string | null;
}

function checkNumber(field: string, v: unknown, min: number, max: number, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    throw invalidField(field, `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
  return v;
}

/** Validates a full rule (create) or a change (base = the stored rule); returns the columns and a new secret. */
export function validateRule(
  input: AlertRuleInput,
  base?: AlertRuleRow,
): { values: Omit<AlertRuleValues, 'webhook_secret_enc'>; secret: string | null | undefined } {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ShirenError('invalid_request', 'the rule must be a JSON object');
  for (const k of Object.keys(input))
    if (!INPUT_FIELDS.has(k)) throw invalidField(k, `unknown field (allowed: ${[...INPUT_FIELDS].join(', ')})`);
  const pick = <T>(v: unknown, fallback: T | undefined, field: string): unknown => {
    if (v !== undefined) return v;
    if (fallback === undefined) throw invalidField(field, 'is required');
    return fallback;
  };
  const name = pick(input.name, base?.name, 'name');
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 100)
    throw invalidField('name', 'must be a text of 1 to 100 characters');
  const kind = pick(input.kind, base?.kind, 'kind');
  if (!ALERT_KINDS.includes(kind as AlertKind)) throw invalidField('kind', `must be one of ${ALERT_KINDS.join(', ')}`);
  const k = kind as AlertKind;
  const threshold =
    k === 'pass_rate_below'
      ? checkNumber('threshold', pick(input.threshold, base?.threshold, 'threshold'), 0, 100, false)
      : checkNumber('threshold', pick(input.threshold, base?.threshold, 'threshold'), 0, MAX_COUNT, true);
  const windowMinutes = checkNumber(
    'windowMinutes',
    pick(input.windowMinutes, base?.window_minutes, 'windowMinutes'),
    1,
    MAX_WINDOW_MINUTES,
    true,
  );
  let minSessions: number;
  if (k === 'pass_rate_below') {
    minSessions = checkNumber(
      'minSessions',
      pick(input.minSessions, base?.min_sessions || 10, 'minSessions'),
      1,
      MAX_COUNT,
      true,
    );
  } else {
    if (input.minSessions !== undefined && input.minSessions !== 0)
      throw invalidField('minSessions', 'applies to pass_rate_below rules only');
    minSessions = 0;
  }
  const planId = input.planId !== undefined ? input.planId : (base?.plan_id ?? null);
  if (planId !== null) checkNumber('planId', planId, 1, 2 ** 31 - 1, true);
  const webhookUrl = checkUrl(
    'webhookUrl',
    input.webhookUrl !== undefined ? input.webhookUrl : (base?.webhook_url ?? null),
  );
  let secret: string | null | undefined;
  if (input.webhookSecret !== undefined) {
    const s = input.webhookSecret;
    if (s !== null && (typeof s !== 'string' || s.length < 16 || s.length > 128))
      throw invalidField('webhookSecret', 'must be a text of 16 to 128 characters');
    secret = s as string | null;
  }
  if (webhookUrl === null) secret = null;
  else if (secret === null)
    throw invalidField('webhookSecret', 'a webhook is always signed: give a secret or leave it out');
  const enabled = input.enabled !== undefined ? input.enabled : (base?.enabled ?? true);
  if (typeof enabled !== 'boolean') throw invalidField('enabled', 'must be true or false');
  return {
    values: {
      name: name.trim(),
      kind: k,
      threshold,
      window_minutes: windowMinutes,
      min_sessions: minSessions,
      plan_id: planId as number | null,
      webhook_url: webhookUrl,
      enabled,
    },
    secret,
  };
}

export function ruleView(r: AlertRuleRow): AlertRuleView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    threshold: r.threshold,
    windowMinutes: r.window_minutes,
    minSessions: r.min_sessions,
    planId: r.plan_id,
    webhookUrl: r.webhook_url,
    webhookSigned: r.webhook_secret_enc !== null,
    enabled: r.enabled,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  };
}

export function eventView(e: AlertEventRow): AlertEventView {
  return {
    id: e.id,
    ruleId: e.rule_id,
    firedAt: e.fired_at.toISOString(),
    value: e.value,
    details: e.details,
    deliveredAt: e.delivered_at ? e.delivered_at.toISOString() : null,
    deliveryError: e.delivery_error,
    deliveryAttempts: e.delivery_attempts,
    nextDeliveryAt: e.next_delivery_at ? new Date(e.next_delivery_at).toISOString() : null,
  };
}

export interface AlertLogger {
  warn(obj: object, msg: string): void;
}

export interface AlertServiceDeps {
  alerts: AlertRepo;
  plans: Pick<PlanRepo, 'findById'>;
  audit: AuditRepo;
  transaction: Transactor;
  keyring: Keyring;
  now?: () => Date;
  fetch?: typeof fetch;
  /** Deadline of the webhook POST (default 10 s). */
  timeoutMs?: number;
  log?: AlertLogger;
}

/** What a rule measured over its window, and whether that fires it. */
export interface Measurement {
  value: number;
  fires: boolean;
  details: Record<string, unknown>;
}

export function createAlertService(deps: AlertServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const box = deps.keyring.box(ALERT_SECRET_PURPOSE);

  async function checkPlan(planId: number | null) {
    if (planId !== null && !(await deps.plans.findById(planId))) throw invalidField('planId', `no plan ${planId}`);
  }

  async function measure(rule: AlertRuleRow, at: Date): Promise<Measurement> {
    const since = new Date(at.getTime() - rule.window_minutes * 60_000);
    const until = new Date(at.getTime() + 1); // the window includes its last millisecond
    if (rule.kind === 'pass_rate_below') {
      const { finished, passed } = await deps.alerts.finishedSessions(since, until, rule.plan_id);
      const rate = finished === 0 ? 100 : Math.round((passed / finished) * 1000) / 10;
      return {
        value: rate,
        fires: finished >= Math.max(1, rule.min_sessions) && rate < rule.threshold,
        details: { finished, passed, failed: finished - passed, minSessions: rule.min_sessions },
      };
    }
    if (rule.kind === 'ip_failures_above') {
      const ips = await deps.alerts.ipFailures(since, until, rule.plan_id, rule.threshold, 10);
      return {
        value: ips[0]?.failures ?? 0,
        fires: ips.length > 0,
        details: { addresses: ips.map((i) => ({ digest: i.digest.slice(0, DIGEST_PREFIX), failures: i.failures })) },
      };
    }
    const created = await deps.alerts.createdSessions(since, until, rule.plan_id);
    return { value: created, fires: created > rule.threshold, details: { created } };
  }

  async function deliver(rule: AlertRuleRow, event: AlertEventRow): Promise<AlertEventRow> {
    if (!rule.webhook_url) return event;
    const body = JSON.stringify({
      event: event.id,
      rule: { id: rule.id, name: rule.name, kind: rule.kind, planId: rule.plan_id },
      value: event.value,
      threshold: rule.threshold,
      window: {
        minutes: rule.window_minutes,
        from: new Date(event.fired_at.getTime() - rule.window_minutes * 60_000).toISOString(),
        to: event.fired_at.toISOString(),
      },
      firedAt: event.fired_at.toISOString(),
      details: event.details,
    });
    const at = now();
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const secret = rule.webhook_secret_enc ? box.decryptString(rule.webhook_secret_enc) : undefined;
    let error: string | null = null;
    try {
      const res = await doFetch(rule.webhook_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'shiren-alert/1',
          'x-shiren-timestamp': timestamp,
          'x-shiren-delivery': `alert-${event.id}`,
          ...(secret ? { 'x-shiren-signature': signCallback(secret, timestamp, body) } : {}),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      error = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message ?? 'error');
    }
    const deliveredAt = error === null ? now() : null;
    const attempts = event.delivery_attempts + 1;
    const wait = error === null ? undefined : WEBHOOK_RETRY_MINUTES[attempts - 1];
    const nextDeliveryAt = wait === undefined ? null : new Date(at.getTime() + wait * 60_000);
    await deps.alerts.recordDelivery(event.id, { deliveredAt, error, attempts, nextDeliveryAt });
    if (error) deps.log?.warn({ rule: rule.id, event: event.id, error, attempts }, 'alert webhook failed');
    return {
      ...event,
      delivered_at: deliveredAt,
      delivery_error: error,
      delivery_attempts: attempts,
      next_delivery_at: nextDeliveryAt,
    };
  }

  /** Sends the webhook retries that are due (each claimed first, so several processes send it once). */
  async function retryDue(at: Date): Promise<AlertEventView[]> {
    const sent: AlertEventView[] = [];
    for (const event of await deps.alerts.dueDeliveries(at, 50)) {
      if (!event.next_delivery_at || !(await deps.alerts.claimDelivery(event.id, event.next_delivery_at))) continue;
      const rule = await deps.alerts.findRule(event.rule_id);
      // A rule deleted meanwhile takes its events with it; one without a webhook now has nothing to retry.
      if (!rule?.webhook_url) continue;
      sent.push(eventView(await deliver(rule, event)));
    }
    return sent;
  }

  return {
    measure,

    async listRules(): Promise<AlertRuleView[]> {
      return (await deps.alerts.listRules()).map(ruleView);
    },

    async listEvents(f: { ruleId?: number; beforeId?: number; limit?: number } = {}): Promise<AlertEventView[]> {
      const limit = f.limit ?? 50;
      return (
        await deps.alerts.listEvents({
          limit,
          ...(f.ruleId !== undefined ? { ruleId: f.ruleId } : {}),
          ...(f.beforeId !== undefined ? { beforeId: f.beforeId } : {}),
        })
      ).map(eventView);
    },

    /** Creates a rule; a webhook without a given secret gets a generated one, returned in this answer only. */
    async createRule(input: AlertRuleInput, actor: string): Promise<AlertRuleView & { webhookSecret?: string }> {
      const { values, secret } = validateRule(input);
      await checkPlan(values.plan_id);
      const plain = values.webhook_url ? (secret ?? randomBytes(24).toString('base64url')) : null;
      const row = await deps.transaction(async (tx) => {
        const r = await tx.alerts.insertRule({
          ...values,
          webhook_secret_enc: plain ? box.encrypt(plain) : null,
          created_by: actor,
          created_at: now(),
        });
        await tx.audit.record({
          actor,
          action: 'alert_rule.create',
          target: String(r.id),
          details: { name: r.name, kind: r.kind, threshold: r.threshold, windowMinutes: r.window_minutes },
        });
        return r;
      });
      return { ...ruleView(row), ...(plain && secret === undefined ? { webhookSecret: plain } : {}) };
    },

    async updateRule(
      id: number,
      input: AlertRuleInput,
      actor: string,
    ): Promise<AlertRuleView & { webhookSecret?: string }> {
      const base = await deps.alerts.findRule(id);
      if (!base) throw new ShirenError('not_found', `no alert rule ${id}`);
      const { values, secret } = validateRule(input, base);
      await checkPlan(values.plan_id);
      let secretEnc: string | null;
      let generated: string | undefined;
      if (values.webhook_url === null) secretEnc = null;
      else if (typeof secret === 'string') secretEnc = box.encrypt(secret);
      else if (base.webhook_secret_enc) secretEnc = base.webhook_secret_enc;
      else {
        generated = randomBytes(24).toString('base64url');
        secretEnc = box.encrypt(generated);
      }
      const changed = Object.keys(input).filter((k) => k !== 'webhookSecret');
      const row = await deps.transaction(async (tx) => {
        const r = await tx.alerts.updateRule(id, { ...values, webhook_secret_enc: secretEnc });
        if (!r) throw new ShirenError('not_found', `no alert rule ${id}`);
        await tx.audit.record({
          actor,
          action: 'alert_rule.update',
          target: String(id),
          details: { changed, ...(typeof secret === 'string' ? { webhookSecret: 'replaced' } : {}) },
        });
        return r;
      });
      return { ...ruleView(row), ...(generated ? { webhookSecret: generated } : {}) };
    },

    async deleteRule(id: number, actor: string): Promise<void> {
      await deps.transaction(async (tx) => {
        const r = await tx.alerts.findRule(id);
        if (!r) throw new ShirenError('not_found', `no alert rule ${id}`);
        await tx.alerts.deleteRule(id);
        await tx.audit.record({ actor, action: 'alert_rule.delete', target: String(id), details: { name: r.name } });
      });
    },

    /**
     * Evaluates every enabled rule at `at` (default: now): a rule whose condition holds and whose last event is at
     * least one window old fires an event (under a row lock, so parallel workers fire it once), then its webhook is
     * sent. Returns the events fired.
     */
    retryDue,

    /** Fires the rules whose condition holds at `at`, then sends the webhook retries that are due. */
    async evaluate(at: Date = now()): Promise<AlertEventView[]> {
      await retryDue(at);
      const fired: AlertEventView[] = [];
      for (const rule of await deps.alerts.listRules()) {
        if (!rule.enabled) continue;
        const m = await measure(rule, at);
        if (!m.fires) continue;
        const event = await deps.transaction(async (tx) => {
          const locked = await tx.alerts.lockRule(rule.id);
          if (!locked?.enabled) return undefined;
          const last = await tx.alerts.lastEvent(rule.id);
          if (last && at.getTime() - last.fired_at.getTime() < rule.window_minutes * 60_000) return undefined;
          return tx.alerts.insertEvent({ ruleId: rule.id, firedAt: at, value: m.value, details: m.details });
        });
        if (!event) continue;
        fired.push(eventView(await deliver(rule, event)));
      }
      return fired;
    },
  };
}
export type AlertService = ReturnType<typeof createAlertService>;

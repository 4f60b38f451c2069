/**
 * The Alerts screen (#/alerts, docs/console.md "Alerts"): the rules with their condition and webhook, a form to
 * create or edit one (admins only; the server checks it anyway), and the recent events with the webhook outcome.
 * Its labels are kept here in both languages so the shared i18n table stays as it is.
 */
import { call, type PlanView } from './api.js';
import { el, field, fmtTime, notice, table, type Child, type ScreenEnv } from './dom.js';
import type { Lang } from './i18n.js';

export type AlertKind = 'pass_rate_below' | 'ip_failures_above' | 'volume_above';

export interface AlertRule {
  id: number;
  name: string;
  kind: AlertKind;
  threshold: number;
  windowMinutes: number;
  minSessions: number;
  planId: number | null;
  webhookUrl: string | null;
  webhookSigned: boolean;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  webhookSecret?: string;
}

export interface AlertEvent {
  id: number;
  ruleId: number;
  firedAt: string;
  value: number;
  details: Record<string, unknown>;
  deliveredAt: string | null;
  deliveryError: string | null;
  deliveryAttempts: number;
  nextDeliveryAt: string | null;
}

const zh = {
  navAlerts: '告警',
  rules: '告警规则',
  events: '最近告警',
  name: '名称',
  kind: '类型',
  kind_pass_rate_below: '通过率低于',
  kind_ip_failures_above: '单个 IP 失败次数超过',
  kind_volume_above: '认证量超过',
  threshold: '阈值',
  thresholdHint: '通过率为百分比,其余为次数',
  windowMinutes: '时间窗(分钟)',
  minSessions: '最少完成会话数(通过率)',
  plan: '方案',
  allPlans: '全部方案',
  webhookUrl: 'Webhook 地址(http/https,可选)',
  webhook: 'Webhook',
  signed: '已签名',
  status: '状态',
  enabled: '启用',
  disabled: '停用',
  enable: '启用',
  disable: '停用',
  edit: '编辑',
  delete: '删除',
  create: '创建规则',
  save: '保存修改',
  cancel: '取消',
  confirmDelete: (n: string) => `删除告警规则 “${n}” 及其告警记录?`,
  secretOnce: (s: string) => `Webhook 签名密钥(仅显示这一次,请保存):${s}`,
  firedAt: '触发时间',
  rule: '规则',
  value: '数值',
  details: '详情',
  delivery: '推送结果',
  delivered: (t: string) => `已送达 ${t}`,
  tries: (n: number, next: string | null) => `(已尝试 ${n} 次${next ? `,${next} 重试` : ',不再重试'})`,
  notSent: '未配置 Webhook',
  none: '暂无告警',
  adminsOnly: '只有管理员可以创建或修改告警规则。',
  passDetails: (p: number, f: number) => `通过 ${p} / 完成 ${f}`,
  ipDetails: 'IP 摘要前缀',
  created: (n: number) => `新建会话 ${n}`,
  condition: (k: AlertKind, th: number, w: number) =>
    k === 'pass_rate_below'
      ? `${w} 分钟内通过率 < ${th}%`
      : k === 'ip_failures_above'
        ? `${w} 分钟内单个 IP 失败 > ${th} 次`
        : `${w} 分钟内会话 > ${th} 个`,
};
type AlertTexts = typeof zh;
const en: AlertTexts = {
  navAlerts: 'Alerts',
  rules: 'Alert rules',
  events: 'Recent alerts',
  name: 'Name',
  kind: 'Kind',
  kind_pass_rate_below: 'Pass rate below',
  kind_ip_failures_above: 'Failures from one IP above',
  kind_volume_above: 'Volume above',
  threshold: 'Threshold',
  thresholdHint: 'per cent for the pass rate, a count otherwise',
  windowMinutes: 'Window (minutes)',
  minSessions: 'Minimum finished sessions (pass rate)',
  plan: 'Plan',
  allPlans: 'All plans',
  webhookUrl: 'Webhook URL (http/https, optional)',
  webhook: 'Webhook',
  signed: 'signed',
  status: 'Status',
  enabled: 'enabled',
  disabled: 'disabled',
  enable: 'Enable',
  disable: 'Disable',
  edit: 'Edit',
  delete: 'Delete',
  create: 'Create rule',
  save: 'Save changes',
  cancel: 'Cancel',
  confirmDelete: (n) => `Delete the alert rule "${n}" and its events?`,
  secretOnce: (s) => `Webhook signing secret (shown this once, keep it): ${s}`,
  firedAt: 'Fired at',
  rule: 'Rule',
  value: 'Value',
  details: 'Details',
  delivery: 'Webhook',
  delivered: (t) => `delivered ${t}`,
  tries: (n, next) => ` (${n} ${n === 1 ? 'try' : 'tries'}${next ? `, next at ${next}` : ', given up'})`,
  notSent: 'no webhook',
  none: 'No alerts yet',
  adminsOnly: 'Only admins create or change alert rules.',
  passDetails: (p, f) => `${p} passed of ${f} finished`,
  ipDetails: 'IP digest prefix',
  created: (n) => `${n} sessions created`,
  condition: (k, th, w) =>
    k === 'pass_rate_below'
      ? `pass rate < ${th}% over ${w} min`
      : k === 'ip_failures_above'
        ? `failures from one IP > ${th} in ${w} min`
        : `sessions > ${th} in ${w} min`,
};

export function alertTexts(lang: Lang): AlertTexts {
  return lang === 'en' ? en : zh;
}

function detailsText(a: AlertTexts, e: AlertEvent): Child {
  const d = e.details;
  if (typeof d.finished === 'number') return a.passDetails(Number(d.passed), d.finished);
  if (Array.isArray(d.addresses))
    return el(
      'span',
      `${a.ipDetails}: `,
      ...(d.addresses as { digest: string; failures: number }[]).map((x, i) =>
        el('span', i ? ', ' : '', el('code', x.digest), ` × ${x.failures}`),
      ),
    );
  if (typeof d.created === 'number') return a.created(d.created);
  return JSON.stringify(d);
}

/** Fills env.box with the screen; `rerender` is called after a change. */
export async function renderAlertsInto(env: ScreenEnv, rerender: () => void, message?: HTMLElement): Promise<void> {
  const a = alertTexts(env.lang);
  const { box, guard, me } = env;
  box.replaceChildren(el('h1', a.navAlerts));
  const data = await guard(box, async () => ({
    rules: (await call<{ rules: AlertRule[] }>('GET', '/alerts/rules')).rules,
    events: (await call<{ events: AlertEvent[] }>('GET', '/alerts/events?limit=50')).events,
    plans: (await call<{ plans: PlanView[] }>('GET', '/plans')).plans,
  }));
  if (!data) return;
  if (message) box.append(message); // after the load: guard() clears notices
  const isAdmin = me.user.role === 'admin';
  const planName = (id: number | null) =>
    id === null ? a.allPlans : (data.plans.find((p) => p.id === id)?.name ?? `#${id}`);
  const ruleName = new Map(data.rules.map((r) => [r.id, r.name]));
  let editing: AlertRule | null = null;

  const kinds: AlertKind[] = ['pass_rate_below', 'ip_failures_above', 'volume_above'];
  const form = el(
    'form.inline',
    { 'data-form': 'alert-rule' },
    el('label', a.name, el('input', { name: 'name', required: true, maxlength: 100 })),
    el(
      'label',
      a.kind,
      el('select', { name: 'kind' }, ...kinds.map((k) => el('option', { value: k }, a[`kind_${k}`]))),
    ),
    el(
      'label',
      a.threshold,
      el('input', { name: 'threshold', type: 'number', min: 0, step: 'any', required: true, title: a.thresholdHint }),
    ),
    el(
      'label',
      a.windowMinutes,
      el('input', { name: 'windowMinutes', type: 'number', min: 1, max: 10080, value: 10, required: true }),
    ),
    el('label', a.minSessions, el('input', { name: 'minSessions', type: 'number', min: 1, value: 10 })),
    el(
      'label',
      a.plan,
      el(
        'select',
        { name: 'planId' },
        el('option', { value: '' }, a.allPlans),
        ...data.plans.map((p) => el('option', { value: p.id }, `${p.app.name} / ${p.name}`)),
      ),
    ),
    el('label', a.webhookUrl, el('input', { name: 'webhookUrl', type: 'url', maxlength: 2048 })),
    el('button', { type: 'submit', 'data-action': 'save-rule' }, a.create),
    el('button.secondary', { type: 'button', 'data-action': 'cancel-edit', hidden: true }, a.cancel),
  ) as HTMLFormElement;
  const submit = form.querySelector('[data-action="save-rule"]') as HTMLButtonElement;
  const cancel = form.querySelector('[data-action="cancel-edit"]') as HTMLButtonElement;
  const set = (name: string, v: string) => ((form.elements.namedItem(name) as HTMLInputElement).value = v);
  cancel.addEventListener('click', () => {
    editing = null;
    form.reset();
    submit.textContent = a.create;
    cancel.hidden = true;
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const kind = field(form, 'kind') as AlertKind;
    const body: Record<string, unknown> = {
      name: field(form, 'name'),
      kind,
      threshold: Number(field(form, 'threshold')),
      windowMinutes: Number(field(form, 'windowMinutes')),
      planId: field(form, 'planId') ? Number(field(form, 'planId')) : null,
      webhookUrl: field(form, 'webhookUrl') || null,
    };
    if (kind === 'pass_rate_below') body.minSessions = Number(field(form, 'minSessions') || 10);
    else body.minSessions = 0;
    const id = editing?.id;
    const saved = await guard(form, () =>
      id === undefined
        ? call<AlertRule>('POST', '/alerts/rules', body)
        : call<AlertRule>('PATCH', `/alerts/rules/${id}`, body),
    );
    if (!saved) return;
    if (saved.webhookSecret) await renderAlertsInto(env, rerender, notice(a.secretOnce(saved.webhookSecret), 'ok'));
    else rerender();
  });
  if (isAdmin) box.append(form);
  else box.append(el('p.readonly', a.adminsOnly));

  box.append(
    el('h2', a.rules),
    table(
      ['ID', a.name, a.kind, a.threshold, a.plan, a.webhook, a.status, ''],
      data.rules.map((r) => [
        r.id,
        el('span', { 'data-rule': r.name, 'data-rule-id': r.id }, r.name),
        a[`kind_${r.kind}`],
        a.condition(r.kind, r.threshold, r.windowMinutes) +
          (r.kind === 'pass_rate_below' ? ` (≥ ${r.minSessions})` : ''),
        planName(r.planId),
        r.webhookUrl ? `${r.webhookUrl}${r.webhookSigned ? ` (${a.signed})` : ''}` : '—',
        r.enabled ? a.enabled : a.disabled,
        isAdmin
          ? el(
              'span.actions',
              el(
                'button.secondary',
                {
                  type: 'button',
                  'data-action': 'edit-rule',
                  onclick: () => {
                    editing = r;
                    set('name', r.name);
                    set('kind', r.kind);
                    set('threshold', String(r.threshold));
                    set('windowMinutes', String(r.windowMinutes));
                    set('minSessions', String(r.minSessions || 10));
                    set('planId', r.planId === null ? '' : String(r.planId));
                    set('webhookUrl', r.webhookUrl ?? '');
                    submit.textContent = a.save;
                    cancel.hidden = false;
                    form.scrollIntoView();
                  },
                },
                a.edit,
              ),
              el(
                'button.secondary',
                {
                  type: 'button',
                  'data-action': r.enabled ? 'disable-rule' : 'enable-rule',
                  onclick: async () => {
                    if (await guard(box, () => call('PATCH', `/alerts/rules/${r.id}`, { enabled: !r.enabled })))
                      rerender();
                  },
                },
                r.enabled ? a.disable : a.enable,
              ),
              el(
                'button.secondary',
                {
                  type: 'button',
                  'data-action': 'delete-rule',
                  onclick: async () => {
                    if (!confirm(a.confirmDelete(r.name))) return;
                    if (await guard(box, () => call('DELETE', `/alerts/rules/${r.id}`).then(() => true))) rerender();
                  },
                },
                a.delete,
              ),
            )
          : null,
      ]),
      { 'data-table': 'alert-rules' },
    ),
    el('h2', a.events),
    data.events.length === 0
      ? el('p', { 'data-empty': 'alert-events' }, a.none)
      : table(
          [a.firedAt, a.rule, a.value, a.details, a.delivery],
          data.events.map((e) => [
            fmtTime(e.firedAt),
            ruleName.get(e.ruleId) ?? `#${e.ruleId}`,
            el('span', { 'data-event-value': e.value }, String(e.value)),
            detailsText(a, e),
            e.deliveredAt
              ? a.delivered(fmtTime(e.deliveredAt))
              : e.deliveryError
                ? el(
                    'span.error',
                    { 'data-delivery-error': '', 'data-delivery-attempts': e.deliveryAttempts },
                    e.deliveryError,
                    a.tries(e.deliveryAttempts, e.nextDeliveryAt ? fmtTime(e.nextDeliveryAt) : null),
                  )
                : a.notSent,
          ]),
          { 'data-table': 'alert-events' },
        ),
  );
}

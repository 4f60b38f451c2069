/**
 * The Attempt limits screen (#/strategies, docs/console.md "Attempt limits"): rules "at most N per ID number / device /
 * address within M minutes" that the session engine enforces, for every app, one app or one plan. Admins and
 * operators create, edit, pause and delete them (the server checks the role anyway); auditors see the list. Labels
 * are kept here in both languages so the shared i18n table stays as it is.
 */
import { call, type AppView, type PlanView } from './api.js';
import { el, field, fmtTime, table, type ScreenEnv } from './dom.js';
import type { Lang } from './i18n.js';

export type StrategyDimension = 'id_number' | 'device' | 'ip';

export interface Strategy {
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

const zh = {
  navStrategies: '频次限制',
  dimension: '维度',
  dim_id_number: '身份证号',
  dim_device: '设备',
  dim_ip: 'IP 地址',
  counts: '计数对象',
  counts_id_number: '认证会话',
  counts_device: '失败的认证',
  counts_ip: '失败的认证',
  maxCount: '最多次数',
  windowMinutes: '时间窗口(分钟)',
  scope: '范围',
  app: '应用',
  plan: '方案',
  allApps: '全部应用',
  allPlans: '全部方案',
  rule: (d: string, n: number, m: number, what: string) => `每个${d} ${m} 分钟内最多 ${n} 次${what}`,
  status: '状态',
  enabled: '启用',
  disabled: '已暂停',
  createdBy: '创建人',
  updatedAt: '修改时间',
  create: '添加限制',
  save: '保存',
  cancel: '取消',
  edit: '编辑',
  pause: '暂停',
  resume: '启用',
  delete: '删除',
  confirmDelete: (id: number) => `删除限制 #${id}?`,
  none: '没有频次限制',
  readOnly: '只有管理员和操作员可以修改频次限制。',
  explain:
    '身份证号:统计带该号码的认证会话(创建、设置身份、H5 填写身份时检查,超过返回 429 rate_limited)。' +
    '设备 / IP:统计失败的认证(H5 取挑战和上传时检查,超过返回 429 too_many_failures)。',
};
type StrategyTexts = typeof zh;
const en: StrategyTexts = {
  navStrategies: 'Attempt limits',
  dimension: 'Dimension',
  dim_id_number: 'ID number',
  dim_device: 'device',
  dim_ip: 'IP address',
  counts: 'Counts',
  counts_id_number: 'verification sessions',
  counts_device: 'failed attempts',
  counts_ip: 'failed attempts',
  maxCount: 'At most',
  windowMinutes: 'Window (minutes)',
  scope: 'Scope',
  app: 'App',
  plan: 'Plan',
  allApps: 'All apps',
  allPlans: 'All plans',
  rule: (d, n, m, what) => `at most ${n} ${what} per ${d} in ${m} min`,
  status: 'Status',
  enabled: 'enabled',
  disabled: 'paused',
  createdBy: 'Created by',
  updatedAt: 'Changed',
  create: 'Add limit',
  save: 'Save',
  cancel: 'Cancel',
  edit: 'Edit',
  pause: 'Pause',
  resume: 'Enable',
  delete: 'Delete',
  confirmDelete: (id) => `Delete limit #${id}?`,
  none: 'No attempt limits',
  readOnly: 'Only admins and operators change attempt limits.',
  explain:
    'ID number: counts the verification sessions carrying it (checked on create, set identity and the H5 identity ' +
    'step; over the limit: 429 rate_limited). Device / IP: counts failed attempts (checked at the H5 challenge and ' +
    'upload; over the limit: 429 too_many_failures).',
};

export function strategyTexts(lang: Lang): StrategyTexts {
  return lang === 'en' ? en : zh;
}

const DIMENSIONS: StrategyDimension[] = ['id_number', 'device', 'ip'];

/** Fills env.box with the screen; `rerender` is called after a change. */
export async function renderStrategiesInto(env: ScreenEnv, rerender: () => void): Promise<void> {
  const s = strategyTexts(env.lang);
  const { box, guard, me } = env;
  box.replaceChildren(el('h1', s.navStrategies));
  const canChange = me.capabilities.operate;
  const data = await guard(box, async () => ({
    strategies: (await call<{ strategies: Strategy[] }>('GET', '/strategies')).strategies,
    apps: (await call<{ apps: AppView[] }>('GET', '/apps')).apps,
    plans: (await call<{ plans: PlanView[] }>('GET', '/plans')).plans,
  }));
  if (!data) return;
  const appName = (id: string | null) => (id === null ? s.allApps : (data.apps.find((a) => a.id === id)?.name ?? id));
  const scope = (r: Strategy) =>
    r.planId !== null
      ? `${s.plan}: ${data.plans.find((p) => p.id === r.planId)?.name ?? `#${r.planId}`} (${appName(r.appId)})`
      : r.appId !== null
        ? `${s.app}: ${appName(r.appId)}`
        : s.allApps;
  let editing: Strategy | null = null;

  const form = el(
    'form.inline',
    { 'data-form': 'strategy' },
    el(
      'label',
      s.dimension,
      el('select', { name: 'dimension' }, ...DIMENSIONS.map((d) => el('option', { value: d }, s[`dim_${d}`]))),
    ),
    el('label', s.maxCount, el('input', { name: 'maxCount', type: 'number', min: 1, max: 100000, required: true })),
    el(
      'label',
      s.windowMinutes,
      el('input', { name: 'windowMinutes', type: 'number', min: 1, max: 43200, value: 60, required: true }),
    ),
    el(
      'label',
      s.app,
      el(
        'select',
        { name: 'appId' },
        el('option', { value: '' }, s.allApps),
        ...data.apps.map((a) => el('option', { value: a.id }, a.name)),
      ),
    ),
    el(
      'label',
      s.plan,
      el(
        'select',
        { name: 'planId' },
        el('option', { value: '' }, s.allPlans),
        ...data.plans.map((p) => el('option', { value: p.id }, `${p.app.name} / ${p.name}`)),
      ),
    ),
    el('button', { type: 'submit', 'data-action': 'save-strategy' }, s.create),
    el('button.secondary', { type: 'button', 'data-action': 'cancel-edit', hidden: true }, s.cancel),
  ) as HTMLFormElement;
  const submit = form.querySelector('[data-action="save-strategy"]') as HTMLButtonElement;
  const cancel = form.querySelector('[data-action="cancel-edit"]') as HTMLButtonElement;
  const set = (name: string, v: string) => ((form.elements.namedItem(name) as HTMLInputElement).value = v);
  cancel.addEventListener('click', () => {
    editing = null;
    form.reset();
    submit.textContent = s.create;
    cancel.hidden = true;
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const planId = field(form, 'planId');
    const body: Record<string, unknown> = {
      dimension: field(form, 'dimension'),
      maxCount: Number(field(form, 'maxCount')),
      windowMinutes: Number(field(form, 'windowMinutes')),
      // a plan decides the app on the server
      appId: planId ? null : field(form, 'appId') || null,
      planId: planId ? Number(planId) : null,
    };
    const id = editing?.id;
    const saved = await guard(form, () =>
      id === undefined ? call('POST', '/strategies', body) : call('PATCH', `/strategies/${id}`, body),
    );
    if (saved) rerender();
  });
  if (canChange) box.append(form);
  else box.append(el('p.readonly', s.readOnly));
  box.append(el('p.hint', s.explain));

  box.append(
    data.strategies.length === 0
      ? el('p', { 'data-empty': 'strategies' }, s.none)
      : table(
          ['ID', s.dimension, s.counts, s.scope, s.status, s.createdBy, s.updatedAt, ''],
          data.strategies.map((r) => [
            r.id,
            s[`dim_${r.dimension}`],
            el(
              'span',
              { 'data-strategy': r.id, 'data-dimension': r.dimension },
              s.rule(s[`dim_${r.dimension}`], r.maxCount, r.windowMinutes, s[`counts_${r.dimension}`]),
            ),
            scope(r),
            r.enabled ? s.enabled : s.disabled,
            r.createdBy,
            fmtTime(r.updatedAt),
            canChange
              ? el(
                  'span.actions',
                  el(
                    'button.secondary',
                    {
                      type: 'button',
                      'data-action': 'edit-strategy',
                      onclick: () => {
                        editing = r;
                        set('dimension', r.dimension);
                        set('maxCount', String(r.maxCount));
                        set('windowMinutes', String(r.windowMinutes));
                        set('appId', r.appId ?? '');
                        set('planId', r.planId === null ? '' : String(r.planId));
                        submit.textContent = s.save;
                        cancel.hidden = false;
                        form.scrollIntoView();
                      },
                    },
                    s.edit,
                  ),
                  el(
                    'button.secondary',
                    {
                      type: 'button',
                      'data-action': r.enabled ? 'pause-strategy' : 'resume-strategy',
                      onclick: async () => {
                        if (await guard(box, () => call('PATCH', `/strategies/${r.id}`, { enabled: !r.enabled })))
                          rerender();
                      },
                    },
                    r.enabled ? s.pause : s.resume,
                  ),
                  el(
                    'button.secondary',
                    {
                      type: 'button',
                      'data-action': 'delete-strategy',
                      onclick: async () => {
                        if (!confirm(s.confirmDelete(r.id))) return;
                        if (await guard(box, () => call('DELETE', `/strategies/${r.id}`).then(() => true))) rerender();
                      },
                    },
                    s.delete,
                  ),
                )
              : null,
          ]),
          { 'data-table': 'strategies' },
        ),
  );
}

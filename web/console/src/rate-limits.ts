/**
 * The rate-limit column of the Apps & keys screen (docs/console.md "Apps and access keys"): an app's limit in
 * requests per minute (and its burst) as text, and for admins and operators a small form that sets it with
 * PATCH /v1/console/apps/:id (empty = unlimited). Labels are kept here in both languages.
 */
import { call, type AppView } from './api.js';
import { el, field, type Guard } from './dom.js';
import type { Lang } from './i18n.js';

const zh = {
  rateLimit: '限流',
  perMinute: '次/分钟',
  burst: '突发',
  unlimited: '不限',
  save: '保存',
  shown: (n: number, b: number) => `${n} 次/分钟(突发 ${b})`,
  hint: '限流按应用计(所有密钥合计),超出时各协议返回自己的限流错误。留空 = 不限;突发留空 = 与每分钟次数相同。多个服务进程时每个进程各自计数。',
};
type RateLimitTexts = typeof zh;
const en: RateLimitTexts = {
  rateLimit: 'Rate limit',
  perMinute: 'per minute',
  burst: 'burst',
  unlimited: 'unlimited',
  save: 'Save',
  shown: (n, b) => `${n}/min (burst ${b})`,
  hint:
    'Limits count per app (all its keys together); over the limit every protocol answers its own throttling error. ' +
    'Empty = unlimited; empty burst = the per-minute value. With several server processes each process counts on its own.',
};

export function rateLimitTexts(lang: Lang): RateLimitTexts {
  return lang === 'en' ? en : zh;
}

export interface RateLimitEnv {
  lang: Lang;
  canOperate: boolean;
  guard: Guard;
  /** Called after a saved change (re-renders the screen). */
  saved: () => void;
}

/** The cell of one app: the limit as text, plus the form for those who may change it. */
export function rateLimitCell(app: AppView, env: RateLimitEnv): HTMLElement {
  const r = rateLimitTexts(env.lang);
  const text = app.rateLimitPerMinute === null ? r.unlimited : r.shown(app.rateLimitPerMinute, app.rateLimitBurst ?? 0);
  const cell = el('span.rate-limit', el('span', { 'data-rate-limit': app.name }, text));
  if (!env.canOperate) return cell;
  const num = (name: string, label: string, value: number | null) =>
    el(
      'label',
      label,
      el('input', {
        name,
        type: 'number',
        min: 1,
        max: 1_000_000,
        step: 1,
        placeholder: r.unlimited,
        value: value ?? '',
      }),
    );
  const form = el(
    'form.inline.rate-limit',
    { 'data-form': 'rate-limit', 'data-app': app.name },
    num('rateLimitPerMinute', r.perMinute, app.rateLimitPerMinute),
    num('rateLimitBurst', r.burst, app.rateLimitPerMinute === null ? null : app.rateLimitBurst),
    el('button.secondary', { type: 'submit', 'data-action': 'save-rate-limit' }, r.save),
  ) as HTMLFormElement;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const perMinute = field(form, 'rateLimitPerMinute');
    const burst = field(form, 'rateLimitBurst');
    const body = perMinute
      ? { rateLimitPerMinute: Number(perMinute), rateLimitBurst: burst ? Number(burst) : null }
      : { rateLimitPerMinute: null };
    const ok = await env.guard(form, () => call('PATCH', `/apps/${encodeURIComponent(app.id)}`, body).then(() => true));
    if (ok) env.saved();
  });
  cell.append(form);
  return cell;
}

/**
 * The Settings screen (#/settings, docs/console.md "Settings"): the runtime settings with where each value comes from
 * (saved in the console, the environment, or the built-in default), and the storage usage. Admins get the form and
 * a reset per console value; other roles see the values read-only (the server checks the role anyway). Labels are
 * kept here in both languages so the shared i18n table stays as it is.
 */
import { call } from './api.js';
import { el, fmtTime, notice, table, type Child, type ScreenEnv } from './dom.js';
import type { Lang } from './i18n.js';

type SettingType = 'hours' | 'hoursOrNull' | 'far' | 'ratioOrNull' | 'hosts' | 'boolean' | 'milliseconds';

export interface SettingView {
  key: string;
  type: SettingType;
  min?: number;
  max?: number;
  options?: string[];
  value: unknown;
  source: 'console' | 'env' | 'default';
  startup: { value: unknown; source: 'env' | 'default'; env?: string };
  updatedBy: string | null;
  updatedAt: string | null;
}

interface AreaUsage {
  area: string;
  objects: number;
  bytes: number;
  sessions?: number;
}

export interface StorageUsage {
  computedAt: string;
  durationMs: number;
  cached: boolean;
  blobs:
    | { available: true; areas: AreaUsage[]; total: { objects: number; bytes: number } }
    | { available: false; reason: string };
  database: { available: true; kind: string; bytes: number; method: string } | { available: false; reason: string };
}

const zh = {
  navSettings: '系统设置',
  setting: '设置项',
  value: '当前值',
  source: '来源',
  startup: '启动值',
  updated: '修改人 / 时间',
  source_console: '控制台',
  source_env: '环境变量',
  source_default: '默认值',
  save: '保存修改',
  saved: '已保存。其他进程最迟 30 秒后生效。',
  noChanges: '没有修改',
  reset: '恢复启动值',
  confirmReset: (k: string) => `将 ${k} 恢复为启动值?`,
  noLimit: '不限制',
  reportOnly: '仅报告',
  yes: '是',
  no: '否',
  none: '(空)',
  hostsHint: '每行一个主机名,"*.example.com" 表示任意子域名',
  readOnly: '只有管理员可以修改设置。',
  groupRetention: '保留期限',
  groupPlans: '新方案的默认阈值',
  groupImageFetch: '图片 URL 拉取',
  storage: '存储用量',
  area: '区域',
  objects: '对象数',
  bytes: '大小',
  area_sessions: '认证会话图片 (sessions/)',
  area_exports: '导出文件 (exports/)',
  area_oss: 'OSS 对象区 (oss/)',
  area_registry: '身份库照片 (registry/)',
  area_other: '其他',
  total: '合计',
  database: '数据库',
  sessionsWithMedia: (n: number) => `${n} 个会话`,
  notAvailable: '不可用',
  computed: (at: string, ms: number, cached: boolean) => `统计于 ${at},耗时 ${ms} ms${cached ? '(缓存)' : ''}`,
  refresh: '重新统计',
  labels: {
    'retention.defaultResultHours': '新方案的结果保留(小时)',
    'retention.defaultMediaHours': '新方案的图片保留(小时)',
    'retention.maxResultHours': '所有方案的结果保留上限(小时)',
    'retention.maxMediaHours': '所有方案的图片保留上限(小时)',
    'plans.defaultFar': '比对阈值(误识率)',
    'plans.defaultPassiveLivenessThreshold': '静默活体阈值 (0–1)',
    'imageFetch.allowHosts': '允许拉取的主机',
    'imageFetch.allowPrivate': '允许内网 / 回环地址',
    'imageFetch.timeoutMs': '下载超时(毫秒)',
  } as Record<string, string>,
};
type SettingsTexts = typeof zh;
const en: SettingsTexts = {
  navSettings: 'Settings',
  setting: 'Setting',
  value: 'Value',
  source: 'Source',
  startup: 'Start-up value',
  updated: 'Saved by / at',
  source_console: 'console',
  source_env: 'environment',
  source_default: 'default',
  save: 'Save changes',
  saved: 'Saved. Other processes pick it up within 30 seconds.',
  noChanges: 'Nothing changed',
  reset: 'Back to start-up value',
  confirmReset: (k) => `Put ${k} back to its start-up value?`,
  noLimit: 'no limit',
  reportOnly: 'report only',
  yes: 'yes',
  no: 'no',
  none: '(empty)',
  hostsHint: 'one host name per line; "*.example.com" = any subdomain',
  readOnly: 'Only admins change settings.',
  groupRetention: 'Retention',
  groupPlans: 'Default thresholds of new plans',
  groupImageFetch: 'Pictures by URL',
  storage: 'Storage usage',
  area: 'Area',
  objects: 'Objects',
  bytes: 'Size',
  area_sessions: 'Session images (sessions/)',
  area_exports: 'Exports (exports/)',
  area_oss: 'OSS object area (oss/)',
  area_registry: 'Registry photos (registry/)',
  area_other: 'Other',
  total: 'Total',
  database: 'Database',
  sessionsWithMedia: (n) => `${n} sessions`,
  notAvailable: 'not available',
  computed: (at, ms, cached) => `Computed ${at} in ${ms} ms${cached ? ' (cached)' : ''}`,
  refresh: 'Recompute',
  labels: {
    'retention.defaultResultHours': 'Result retention of new plans (hours)',
    'retention.defaultMediaHours': 'Image retention of new plans (hours)',
    'retention.maxResultHours': 'Result retention limit, every plan (hours)',
    'retention.maxMediaHours': 'Image retention limit, every plan (hours)',
    'plans.defaultFar': 'Comparison threshold (false-accept rate)',
    'plans.defaultPassiveLivenessThreshold': 'Passive liveness threshold (0–1)',
    'imageFetch.allowHosts': 'Hosts pictures may be fetched from',
    'imageFetch.allowPrivate': 'Allow private / loopback addresses',
    'imageFetch.timeoutMs': 'Download timeout (ms)',
  },
};

export function settingsTexts(lang: Lang): SettingsTexts {
  return lang === 'en' ? en : zh;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

function shown(s: SettingsTexts, type: SettingType, v: unknown): string {
  if (v === null) return type === 'ratioOrNull' ? s.reportOnly : s.noLimit;
  if (type === 'boolean') return v ? s.yes : s.no;
  if (type === 'hosts') return (v as string[]).length === 0 ? s.none : (v as string[]).join(', ');
  return String(v);
}

function input(v: SettingView, s: SettingsTexts): HTMLElement {
  const name = v.key;
  switch (v.type) {
    case 'boolean':
      return el('input', { type: 'checkbox', name, checked: v.value === true });
    case 'far':
      return el(
        'select',
        { name },
        ...(v.options ?? []).map((o) => el('option', { value: o, selected: o === v.value }, o)),
      );
    case 'hosts':
      return el('textarea', { name, rows: 4, cols: 32, spellcheck: 'false' }, (v.value as string[]).join('\n'));
    default:
      return el('input', {
        type: 'number',
        name,
        min: v.min,
        max: v.max,
        step: v.type === 'ratioOrNull' ? 'any' : 1,
        value: v.value === null ? '' : String(v.value),
        placeholder: v.type === 'hoursOrNull' ? s.noLimit : v.type === 'ratioOrNull' ? s.reportOnly : undefined,
      });
  }
}

/** The form value of a setting in the shape the API takes (a number field left empty = null). */
function read(form: HTMLFormElement, v: SettingView): unknown {
  const f = form.elements.namedItem(v.key) as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null;
  if (!f) return v.value;
  if (v.type === 'boolean') return (f as HTMLInputElement).checked;
  if (v.type === 'far') return f.value;
  if (v.type === 'hosts')
    return f.value
      .split(/[\s,]+/)
      .map((h) => h.trim())
      .filter((h) => h !== '');
  const t = f.value.trim();
  if (t === '') return v.type === 'hoursOrNull' || v.type === 'ratioOrNull' ? null : t;
  return Number(t);
}

const group = (key: string) => key.split('.')[0];

/** Fills env.box with the screen; `rerender` is called after a change. */
export async function renderSettingsInto(env: ScreenEnv, rerender: () => void, savedNote = false): Promise<void> {
  const s = settingsTexts(env.lang);
  const { box, guard, me } = env;
  box.replaceChildren(el('h1', s.navSettings));
  const isAdmin = me.user.role === 'admin';
  const data = await guard(box, () => call<{ settings: SettingView[]; refreshSeconds: number }>('GET', '/settings'));
  if (!data) return;
  if (savedNote) box.append(notice(s.saved, 'ok'));
  if (!isAdmin) box.append(el('p.readonly', s.readOnly));

  const groupTitle: Record<string, string> = {
    retention: s.groupRetention,
    plans: s.groupPlans,
    imageFetch: s.groupImageFetch,
  };
  const rows: Child[][] = [];
  let last = '';
  for (const v of data.settings) {
    if (group(v.key) !== last) {
      last = group(v.key)!;
      rows.push([el('strong', groupTitle[last] ?? last)]);
    }
    const sourceText = s[`source_${v.source}`] + (v.source === 'env' && v.startup.env ? ` (${v.startup.env})` : '');
    rows.push([
      el('span', el('span', s.labels[v.key] ?? v.key), el('br'), el('code.hint', v.key)),
      isAdmin
        ? el('span', input(v, s), v.type === 'hosts' ? el('small.hint', el('br'), s.hostsHint) : null)
        : el('span', { 'data-value': v.key }, shown(s, v.type, v.value)),
      el(`span.source.${v.source}`, { 'data-source': v.key }, sourceText),
      shown(s, v.type, v.startup.value) + ` (${s[`source_${v.startup.source}`]})`,
      v.updatedBy ? `${v.updatedBy} ${fmtTime(v.updatedAt)}` : '—',
      isAdmin && v.source === 'console'
        ? el(
            'button.secondary',
            {
              type: 'button',
              'data-action': 'reset-setting',
              'data-key': v.key,
              onclick: async () => {
                if (!confirm(s.confirmReset(s.labels[v.key] ?? v.key))) return;
                if (await guard(box, () => call('PUT', '/settings', { reset: [v.key] }))) rerender();
              },
            },
            s.reset,
          )
        : null,
    ]);
  }
  const grid = table([s.setting, s.value, s.source, s.startup, s.updated, ''], rows, {
    'data-table': 'settings',
  });
  if (isAdmin) {
    const form = el(
      'form',
      { 'data-form': 'settings' },
      grid,
      el('button', { type: 'submit', 'data-action': 'save-settings' }, s.save),
    ) as HTMLFormElement;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const values: Record<string, unknown> = {};
      for (const v of data.settings) {
        const now = read(form, v);
        if (JSON.stringify(now) !== JSON.stringify(v.value)) values[v.key] = now;
      }
      if (Object.keys(values).length === 0) {
        form.querySelector(':scope > .notice')?.remove();
        form.prepend(notice(s.noChanges, 'ok'));
        return;
      }
      if (await guard(form, () => call('PUT', '/settings', { values }))) void renderSettingsInto(env, rerender, true);
    });
    box.append(form);
  } else box.append(grid);

  const storageBox = el('section', { 'data-section': 'storage' }, el('h2', s.storage));
  box.append(storageBox);
  await renderStorage(env, storageBox, false);
}

async function renderStorage(env: ScreenEnv, where: HTMLElement, fresh: boolean): Promise<void> {
  const s = settingsTexts(env.lang);
  const u = await env.guard(where, () => call<StorageUsage>('GET', `/storage${fresh ? '?fresh=true' : ''}`));
  if (!u) return;
  const rows: Child[][] = [];
  if (u.blobs.available) {
    for (const a of u.blobs.areas)
      rows.push([
        (s as unknown as Record<string, string>)[`area_${a.area}`] ?? a.area,
        String(a.objects) + (a.sessions !== undefined ? ` (${s.sessionsWithMedia(a.sessions)})` : ''),
        el('span', { 'data-bytes': a.area }, fmtBytes(a.bytes)),
      ]);
    rows.push([el('strong', s.total), String(u.blobs.total.objects), fmtBytes(u.blobs.total.bytes)]);
  } else rows.push([s.objects, `${s.notAvailable}: ${u.blobs.reason}`, '']);
  rows.push([
    `${s.database}${u.database.available ? ` (${u.database.kind}, ${u.database.method})` : ''}`,
    '',
    u.database.available
      ? el('span', { 'data-bytes': 'database' }, fmtBytes(u.database.bytes))
      : `${s.notAvailable}: ${u.database.reason}`,
  ]);
  where.replaceChildren(
    el('h2', s.storage),
    table([s.area, s.objects, s.bytes], rows, { 'data-table': 'storage' }),
    el('p.hint', s.computed(fmtTime(u.computedAt), u.durationMs, u.cached)),
    el(
      'button.secondary',
      { type: 'button', 'data-action': 'refresh-storage', onclick: () => void renderStorage(env, where, true) },
      s.refresh,
    ),
  );
}

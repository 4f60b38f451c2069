/**
 * The Blacklist screen (#/blacklist, docs/console.md "Blacklist"): ID numbers, client addresses and H5 devices the
 * session engine refuses. A device is listed by the digest the record detail shows (deviceCell below). Entries show only their masked value; admins and operators add and remove them (the server checks the role
 * anyway), auditors see the list. Labels are kept here in both languages so the shared i18n table stays as it is.
 */
import { call, type AppView } from './api.js';
import { el, field, fmtTime, table, type Child, type ScreenEnv } from './dom.js';
import type { Lang } from './i18n.js';

export interface BlacklistEntry {
  id: number;
  appId: string | null;
  kind: 'id_number' | 'ip' | 'device';
  masked: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  active: boolean;
}

const zh = {
  navBlacklist: '黑名单',
  kind: '类型',
  kind_id_number: '身份证号',
  kind_ip: 'IP 地址',
  kind_device: '设备',
  value: '号码 / 地址 / 设备摘要',
  valueHint: '设备:记录详情中的设备摘要,或页面的设备 ID',
  device: '设备',
  noDevice: '未上报',
  listDevice: '拉黑此设备',
  confirmListDevice: (p: string) => `将设备 ${p}… 加入黑名单(全部应用)?`,
  deviceListed: '已加入黑名单。',
  app: '应用',
  allApps: '全部应用',
  reason: '原因',
  expiresAt: '失效时间(可选)',
  expires: '失效时间',
  never: '永久',
  createdBy: '添加人',
  createdAt: '添加时间',
  status: '状态',
  active: '生效中',
  expired: '已失效',
  add: '加入黑名单',
  remove: '移除',
  confirmRemove: (m: string) => `将 ${m} 移出黑名单?`,
  none: '黑名单为空',
  readOnly: '只有管理员和操作员可以修改黑名单。',
  storedNote: '只保存号码的密钥摘要和脱敏值,不保存原文。',
};
type BlacklistTexts = typeof zh;
const en: BlacklistTexts = {
  navBlacklist: 'Blacklist',
  kind: 'Kind',
  kind_id_number: 'ID number',
  kind_ip: 'IP address',
  kind_device: 'Device',
  value: 'Number / address / device digest',
  valueHint: "Device: the device digest of a record's detail, or the page's device id",
  device: 'Device',
  noDevice: 'not sent',
  listDevice: 'Blacklist this device',
  confirmListDevice: (p) => `Blacklist device ${p}… (every app)?`,
  deviceListed: 'Added to the blacklist.',
  app: 'App',
  allApps: 'All apps',
  reason: 'Reason',
  expiresAt: 'Expires (optional)',
  expires: 'Expires',
  never: 'never',
  createdBy: 'Added by',
  createdAt: 'Added',
  status: 'Status',
  active: 'active',
  expired: 'expired',
  add: 'Add to blacklist',
  remove: 'Remove',
  confirmRemove: (m) => `Remove ${m} from the blacklist?`,
  none: 'The blacklist is empty',
  readOnly: 'Only admins and operators change the blacklist.',
  storedNote: 'Only a keyed digest and the masked value are stored, never the number itself.',
};

export function blacklistTexts(lang: Lang): BlacklistTexts {
  return lang === 'en' ? en : zh;
}

/** Fills env.box with the screen; `rerender` is called after a change. */
export async function renderBlacklistInto(env: ScreenEnv, rerender: () => void): Promise<void> {
  const b = blacklistTexts(env.lang);
  const { box, guard, me } = env;
  box.replaceChildren(el('h1', b.navBlacklist));
  const canChange = me.capabilities.operate;
  const data = await guard(box, async () => ({
    entries: (await call<{ entries: BlacklistEntry[] }>('GET', '/blacklist')).entries,
    apps: (await call<{ apps: AppView[] }>('GET', '/apps')).apps,
  }));
  if (!data) return;
  const appName = (id: string | null) => (id === null ? b.allApps : (data.apps.find((a) => a.id === id)?.name ?? id));

  if (canChange) {
    const form = el(
      'form.inline',
      { 'data-form': 'blacklist' },
      el(
        'label',
        b.kind,
        el(
          'select',
          { name: 'kind' },
          el('option', { value: 'id_number' }, b.kind_id_number),
          el('option', { value: 'ip' }, b.kind_ip),
          el('option', { value: 'device' }, b.kind_device),
        ),
      ),
      el(
        'label',
        b.value,
        el('input', { name: 'value', required: true, maxlength: 64, autocomplete: 'off', title: b.valueHint }),
      ),
      el(
        'label',
        b.app,
        el(
          'select',
          { name: 'appId' },
          el('option', { value: '' }, b.allApps),
          ...data.apps.map((a) => el('option', { value: a.id }, a.name)),
        ),
      ),
      el('label', b.reason, el('input', { name: 'reason', maxlength: 500 })),
      el('label', b.expiresAt, el('input', { name: 'expiresAt', type: 'datetime-local' })),
      el('button', { type: 'submit', 'data-action': 'add-blacklist' }, b.add),
    ) as HTMLFormElement;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const expires = field(form, 'expiresAt');
      const body: Record<string, unknown> = {
        kind: field(form, 'kind'),
        value: field(form, 'value'),
        reason: field(form, 'reason'),
        ...(field(form, 'appId') ? { appId: field(form, 'appId') } : {}),
        ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}),
      };
      if (await guard(form, () => call('POST', '/blacklist', body))) rerender();
    });
    box.append(form, el('p.hint', b.storedNote));
  } else box.append(el('p.readonly', b.readOnly));

  box.append(
    data.entries.length === 0
      ? el('p', { 'data-empty': 'blacklist' }, b.none)
      : table(
          [b.kind, b.value, b.app, b.reason, b.createdBy, b.createdAt, b.expires, b.status, ''],
          data.entries.map((e) => [
            b[`kind_${e.kind}`],
            el('code', { 'data-masked': e.masked }, e.masked),
            appName(e.appId),
            e.reason || '—',
            e.createdBy,
            fmtTime(e.createdAt),
            e.expiresAt ? fmtTime(e.expiresAt) : b.never,
            e.active ? b.active : b.expired,
            canChange
              ? el(
                  'button.secondary',
                  {
                    type: 'button',
                    'data-action': 'remove-blacklist',
                    onclick: async () => {
                      if (!confirm(b.confirmRemove(e.masked))) return;
                      if (await guard(box, () => call('DELETE', `/blacklist/${e.id}`).then(() => true))) rerender();
                    },
                  },
                  b.remove,
                )
              : null,
          ]),
          { 'data-table': 'blacklist' },
        ),
  );
}

/**
 * The record detail's device line: the first 12 characters of the device digest (as the blacklist lists it) with the
 * whole digest to copy, and for admins and operators a button that blacklists it for every app.
 */
export function deviceCell(
  env: Pick<ScreenEnv, 'lang' | 'me' | 'guard'>,
  device: { digest: string; prefix: string } | null | undefined,
  token: string,
): Child {
  const b = blacklistTexts(env.lang);
  if (!device) return el('span.muted', b.noDevice);
  const cell = el(
    'span',
    el('code', { 'data-device': device.prefix, title: device.digest }, `${device.prefix}…`),
    ' ',
    el('input.digest', { readonly: true, value: device.digest, size: 44, 'aria-label': b.device }),
  );
  if (env.me.capabilities.operate) {
    const btn = el(
      'button.secondary',
      {
        type: 'button',
        'data-action': 'blacklist-device',
        onclick: async () => {
          if (!confirm(b.confirmListDevice(device.prefix))) return;
          const ok = await env.guard(cell, () =>
            call('POST', '/blacklist', { kind: 'device', value: device.digest, reason: `record ${token}` }),
          );
          if (ok) btn.replaceWith(el('span.ok', { 'data-device-listed': '' }, b.deviceListed));
        },
      },
      b.listDevice,
    );
    cell.append(' ', btn);
  }
  return cell;
}

/**
 * The Whitelist screen (#/whitelist, docs/console.md "Whitelist"): ID numbers whose failed face comparison does not
 * fail a session of one plan while the entry is valid (the person still completes the live capture). Entries show
 * only their masked value; admins and operators add and remove them (the server checks the role anyway), auditors
 * see the list. Labels are kept here in both languages so the shared i18n table stays as it is.
 */
import { call, type PlanView } from './api.js';
import { el, field, fmtTime, table, type ScreenEnv } from './dom.js';
import type { Lang } from './i18n.js';

export interface WhitelistEntry {
  id: number;
  appId: string;
  planId: number;
  masked: string;
  certifyId: string | null;
  remark: string;
  validDays: number;
  createdBy: string;
  createdAt: string;
  validFrom: string;
  validUntil: string;
  active: boolean;
}

const zh = {
  navWhitelist: '白名单',
  plan: '认证方案',
  by: '依据',
  by_idNumber: '身份证号',
  by_certifyId: '认证记录 (CertifyId)',
  value: '号码 / CertifyId',
  validDays: '有效天数 (1–365)',
  remark: '备注',
  certifyId: 'CertifyId',
  createdBy: '添加人',
  validFrom: '生效时间',
  validUntil: '失效时间',
  status: '状态',
  active: '生效中',
  expired: '已失效',
  add: '加入白名单',
  remove: '移除',
  confirmRemove: (m: string) => `将 ${m} 移出白名单?`,
  none: '白名单为空',
  readOnly: '只有管理员和操作员可以修改白名单。',
  note:
    '白名单内的身份证号在有效期内仍须完成活体采集(活体未通过仍判失败);仅人脸比对不一致时判为通过,' +
    '结果标记为 whitelisted。只保存号码的密钥摘要和脱敏值。',
};
type WhitelistTexts = typeof zh;
const en: WhitelistTexts = {
  navWhitelist: 'Whitelist',
  plan: 'Plan',
  by: 'From',
  by_idNumber: 'ID number',
  by_certifyId: 'Verification (CertifyId)',
  value: 'Number / CertifyId',
  validDays: 'Valid days (1–365)',
  remark: 'Remark',
  certifyId: 'CertifyId',
  createdBy: 'Added by',
  validFrom: 'Valid from',
  validUntil: 'Valid until',
  status: 'Status',
  active: 'active',
  expired: 'expired',
  add: 'Add to whitelist',
  remove: 'Remove',
  confirmRemove: (m) => `Remove ${m} from the whitelist?`,
  none: 'The whitelist is empty',
  readOnly: 'Only admins and operators change the whitelist.',
  note:
    'A whitelisted ID number still completes the live capture (a liveness failure still fails); only a failed face ' +
    'comparison passes, with the result marked whitelisted. Only a keyed digest and the masked value are stored.',
};

export function whitelistTexts(lang: Lang): WhitelistTexts {
  return lang === 'en' ? en : zh;
}

/** Fills env.box with the screen; `rerender` is called after a change. */
export async function renderWhitelistInto(env: ScreenEnv, rerender: () => void): Promise<void> {
  const w = whitelistTexts(env.lang);
  const { box, guard, me } = env;
  box.replaceChildren(el('h1', w.navWhitelist));
  const canChange = me.capabilities.operate;
  const data = await guard(box, async () => ({
    entries: (await call<{ entries: WhitelistEntry[] }>('GET', '/whitelist')).entries,
    plans: (await call<{ plans: PlanView[] }>('GET', '/plans')).plans,
  }));
  if (!data) return;
  const planName = (id: number) => {
    const p = data.plans.find((x) => x.id === id);
    return p ? `${p.app.name} / ${p.name} (#${p.id})` : `#${id}`;
  };

  if (canChange) {
    const form = el(
      'form.inline',
      { 'data-form': 'whitelist' },
      el(
        'label',
        w.plan,
        el(
          'select',
          { name: 'planId', required: true },
          ...data.plans.map((p) => el('option', { value: String(p.id) }, planName(p.id))),
        ),
      ),
      el(
        'label',
        w.by,
        el(
          'select',
          { name: 'by' },
          el('option', { value: 'idNumber' }, w.by_idNumber),
          el('option', { value: 'certifyId' }, w.by_certifyId),
        ),
      ),
      el('label', w.value, el('input', { name: 'value', required: true, maxlength: 64, autocomplete: 'off' })),
      el(
        'label',
        w.validDays,
        el('input', { name: 'validDays', type: 'number', min: 1, max: 365, step: 1, value: '30', required: true }),
      ),
      el('label', w.remark, el('input', { name: 'remark', maxlength: 500 })),
      el('button', { type: 'submit', 'data-action': 'add-whitelist' }, w.add),
    ) as HTMLFormElement;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body: Record<string, unknown> = {
        planId: Number(field(form, 'planId')),
        [field(form, 'by') === 'certifyId' ? 'certifyId' : 'idNumber']: field(form, 'value'),
        validDays: Number(field(form, 'validDays')),
        remark: field(form, 'remark'),
      };
      if (await guard(form, () => call('POST', '/whitelist', body))) rerender();
    });
    box.append(form);
  } else box.append(el('p.readonly', w.readOnly));
  box.append(el('p.hint', w.note));

  box.append(
    data.entries.length === 0
      ? el('p', { 'data-empty': 'whitelist' }, w.none)
      : table(
          [w.plan, w.by_idNumber, w.certifyId, w.remark, w.createdBy, w.validFrom, w.validUntil, w.status, ''],
          data.entries.map((e) => [
            planName(e.planId),
            el('code', { 'data-masked': e.masked }, e.masked),
            e.certifyId ? el('code', e.certifyId) : '—',
            e.remark || '—',
            e.createdBy,
            fmtTime(e.validFrom),
            fmtTime(e.validUntil),
            e.active ? w.active : w.expired,
            canChange
              ? el(
                  'button.secondary',
                  {
                    type: 'button',
                    'data-action': 'remove-whitelist',
                    onclick: async () => {
                      if (!confirm(w.confirmRemove(e.masked))) return;
                      if (await guard(box, () => call('DELETE', `/whitelist/${e.id}`).then(() => true))) rerender();
                    },
                  },
                  w.remove,
                )
              : null,
          ]),
          { 'data-table': 'whitelist' },
        ),
  );
}

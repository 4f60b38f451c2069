/**
 * The Check records screen (#/checks, docs/console.md "Check records"): the identity information checks the apps
 * asked, with their source and answer, filtered by time, app, kind, result and full ID number (matched by its digest
 * on the server). Only masked ID numbers are ever shown. Every role reads it; nothing here changes anything.
 */
// A plain `as const` list with no imports of its own: the page bundles it, no server code comes along.
import { CHECK_KINDS } from '../../../src/verify/identity/types.js';
import { call } from './api.js';
import { el, field, fmtTime, table, type ScreenEnv } from './dom.js';
import { texts, type Lang } from './i18n.js';

export interface CheckRecord {
  id: number;
  app: { id: string; name: string };
  planId: number | null;
  kind: string;
  paramType: string;
  provider: string | null;
  result: string | null;
  errorCode: string | null;
  mismatched: string[];
  idNumber: string | null;
  durationMs: number;
  createdAt: string;
}

const RESULTS = ['consistent', 'inconsistent', 'no_record', 'refused'] as const;

const zh = {
  navChecks: '核验记录',
  kind: '核验类型',
  provider: '来源',
  mismatched: '不一致字段',
  idNumber: '身份证号',
  duration: '耗时',
  any: '全部',
  none: '没有符合条件的核验记录',
  result_consistent: '一致',
  result_inconsistent: '不一致',
  result_no_record: '查无记录',
  result_refused: '被拒绝',
  note: '只保存身份证号的密钥摘要和脱敏值;姓名、手机号、银行卡号和车牌不保存。记录保留 30 天。',
};
type CheckTexts = typeof zh;
const en: CheckTexts = {
  navChecks: 'Check records',
  kind: 'Check',
  provider: 'Source',
  mismatched: 'Mismatched fields',
  idNumber: 'ID number',
  duration: 'Took',
  any: 'any',
  none: 'No check records match',
  result_consistent: 'consistent',
  result_inconsistent: 'inconsistent',
  result_no_record: 'no record',
  result_refused: 'refused',
  note: 'Only a keyed digest and the masked ID number are kept; names, mobiles, bank cards and plates are not. Records are kept 30 days.',
};

export function checkTexts(lang: Lang): CheckTexts {
  return lang === 'en' ? en : zh;
}

/** Fills env.box with the screen; the filters live in the hash (#/checks?kind=id2&…). */
export function renderChecksInto(env: Pick<ScreenEnv, 'lang' | 'box' | 'guard'>): void {
  const c = checkTexts(env.lang);
  const t = texts(env.lang); // the labels the records screen shares
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const select = (name: string, values: readonly string[], label: (v: string) => string) =>
    el(
      'select',
      { name },
      el('option', { value: '' }, c.any),
      ...values.map((v) => el('option', { value: v, selected: params.get(name) === v }, label(v))),
    );
  const form = el(
    'form.filters',
    { 'data-form': 'checks' },
    el('label', t.from, el('input', { name: 'from', type: 'datetime-local', value: params.get('from') ?? '' })),
    el('label', t.to, el('input', { name: 'to', type: 'datetime-local', value: params.get('to') ?? '' })),
    el('label', t.app, el('input', { name: 'app', value: params.get('app') ?? '', maxlength: 64 })),
    el(
      'label',
      c.kind,
      select('kind', CHECK_KINDS, (k) => k),
    ),
    el(
      'label',
      t.result,
      select('result', RESULTS, (r) => c[`result_${r as (typeof RESULTS)[number]}`]),
    ),
    el('label', t.idNumber, el('input', { name: 'idNumber', maxlength: 32, autocomplete: 'off' })),
    el('button', { type: 'submit' }, t.search),
  ) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const name of ['from', 'to', 'app', 'kind', 'result']) if (field(form, name)) q.set(name, field(form, name));
    // The full ID number never goes into the address bar: it is sent once, in this search only.
    void load(q, field(form, 'idNumber'), true);
    history.replaceState(null, '', `#/checks?${q.toString()}`);
  });
  const rows = el('div');
  env.box.replaceChildren(el('h1', c.navChecks), form, el('p.hint', c.note), rows);

  async function load(q: URLSearchParams, idNumber: string, fresh: boolean, before?: number) {
    const query = new URLSearchParams(q);
    for (const name of ['from', 'to']) {
      const v = query.get(name);
      if (v) query.set(name, new Date(v).toISOString());
    }
    if (idNumber) query.set('idNumber', idNumber);
    if (before) query.set('before', String(before));
    const page = await env.guard(rows, () =>
      call<{ records: CheckRecord[]; nextBefore: number | null }>('GET', `/checks?${query.toString()}`),
    );
    if (!page) return;
    if (fresh) rows.replaceChildren();
    rows.querySelector('[data-action="more-checks"]')?.remove();
    if (fresh && page.records.length === 0) {
      rows.append(el('p', { 'data-empty': 'checks' }, c.none));
      return;
    }
    rows.append(
      table(
        [t.at, t.app, c.kind, c.provider, t.result, c.mismatched, c.idNumber, c.duration],
        page.records.map((r) => [
          fmtTime(r.createdAt),
          r.app.name,
          el('code', r.paramType === 'md5' ? `${r.kind} (md5)` : r.kind),
          r.provider ?? '—',
          el(
            'span',
            { 'data-check-result': r.result ?? 'refused' },
            r.result ? (c[`result_${r.result as 'consistent'}`] ?? r.result) : `${c.result_refused}: ${r.errorCode}`,
          ),
          r.mismatched.length ? r.mismatched.join(', ') : '—',
          r.idNumber ?? '—',
          `${r.durationMs} ms`,
        ]),
        { 'data-table': 'checks' },
      ),
    );
    if (page.nextBefore !== null) {
      const next = page.nextBefore;
      rows.append(
        el(
          'button.secondary',
          { type: 'button', 'data-action': 'more-checks', onclick: () => void load(q, idNumber, false, next) },
          t.more,
        ),
      );
    }
  }

  const initial = new URLSearchParams();
  for (const name of ['from', 'to', 'app', 'kind', 'result']) {
    const v = params.get(name);
    if (v) initial.set(name, v);
  }
  void load(initial, '', true);
}

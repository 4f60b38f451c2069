/**
 * The operator console: sign-in, records (search, detail, deletion), apps and access keys, users, audit log.
 * Plain TypeScript, hash routes (#/records, #/records/<token>, #/apps, #/users, #/audit). It talks only to the
 * console API; the server checks every role, and the page hides what the role may not do.
 */
import './style.css';
import { api, ApiError, type Me, type NewKey, type RecordSummary, type Role, type Statistics } from './api.js';
import { alertTexts, renderAlertsInto } from './alerts.js';
import { blacklistTexts, deviceCell, renderBlacklistInto } from './blacklist.js';
import { checkTexts, renderChecksInto } from './checks.js';
import { planForm, planPreview, planTexts } from './plan-form.js';
import { renderWhitelistInto, whitelistTexts } from './whitelist.js';
import { rateLimitCell, rateLimitTexts } from './rate-limits.js';
import { bucketTick, passRateChart, renderBreakdownsInto, SERIES } from './breakdowns.js';
import { renderSettingsInto, settingsTexts } from './settings.js';
import { renderStrategiesInto, strategyTexts } from './strategies.js';
import { el, field, fmtNum, fmtTime, kv, notice, svg, table, type Child, type Guard } from './dom.js';
import { initialLang, saveLang, texts, type Lang, type Texts } from './i18n.js';

let lang: Lang = initialLang();
let t: Texts = texts(lang);
let me: Me | null = null;
const root = document.getElementById('app')!;

function statusLabel(s: string): string {
  return (t as unknown as Record<string, string>)[`status_${s}`] ?? s;
}
function roleLabel(r: Role): string {
  return t[`role_${r}`];
}

function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'forbidden' && err.details?.role) return `${t.forbidden} (${err.message})`;
    return `${err.code}: ${err.message}`;
  }
  return String(err);
}

/** Runs an action; a failure shows next to `where`, an ended session goes back to sign-in. */
const guard: Guard = async (where, fn) => {
  where.querySelector(':scope > .notice')?.remove();
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && me) {
      me = null;
      renderSignIn(t.sessionEnded);
      return undefined;
    }
    where.prepend(notice(errorText(err)));
    return undefined;
  }
};

// ---- shell ----------------------------------------------------------------------------------------------------

function langButton(): HTMLElement {
  return el(
    'button.link',
    {
      type: 'button',
      'data-action': 'lang',
      onclick: () => {
        lang = lang === 'zh' ? 'en' : 'zh';
        t = texts(lang);
        saveLang(lang);
        document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
        if (me) route();
        else renderSignIn();
      },
    },
    t.lang,
  );
}

function shell(screen: string, content: HTMLElement): void {
  const nav: [string, string][] = [
    ['#/records', t.navRecords],
    ['#/checks', checkTexts(lang).navChecks],
    ['#/stats', t.navStats],
    ['#/plans', t.navPlans],
    ['#/apps', t.navApps],
    ['#/users', t.navUsers],
    ['#/audit', t.navAudit],
    ['#/alerts', alertTexts(lang).navAlerts],
    ['#/blacklist', blacklistTexts(lang).navBlacklist],
    ['#/whitelist', whitelistTexts(lang).navWhitelist],
    ['#/strategies', strategyTexts(lang).navStrategies],
    ['#/settings', settingsTexts(lang).navSettings],
  ];
  const current = location.hash.split('/')[1] ?? 'records';
  root.replaceChildren(
    el(
      'header',
      el('strong.brand', t.title),
      el(
        'nav',
        ...nav.map(([href, label]) =>
          el(`a${href.includes(current) ? '.current' : ''}`, { href, 'data-nav': href.slice(2) }, label),
        ),
      ),
      el(
        'span.who',
        { 'data-user': me!.user.username, 'data-role': me!.user.role },
        `${me!.user.username} · ${roleLabel(me!.user.role)}`,
      ),
      langButton(),
      el(
        'button.link',
        {
          type: 'button',
          'data-action': 'sign-out',
          onclick: async () => {
            await api.signOut().catch(() => undefined);
            me = null;
            location.hash = '';
            renderSignIn();
          },
        },
        t.signOut,
      ),
    ),
    el(
      'main',
      { 'data-screen': screen },
      me!.capabilities.operate ? null : el('p.readonly', { 'data-readonly': '' }, t.readOnly),
      content,
    ),
  );
}

// ---- sign-in --------------------------------------------------------------------------------------------------

function renderSignIn(message?: string): void {
  document.title = t.title;
  const form = el(
    'form.signin',
    { 'data-form': 'sign-in' },
    el('h1', t.title),
    message ? notice(message) : null,
    el('label', t.username, el('input', { name: 'username', autocomplete: 'username', required: true })),
    el(
      'label',
      t.password,
      el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    ),
    el('button', { type: 'submit' }, t.signIn),
    el('p', langButton()),
  ) as HTMLFormElement;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    form.querySelector('.notice')?.remove();
    try {
      me = await api.signIn(field(form, 'username'), (form.elements.namedItem('password') as HTMLInputElement).value);
      if (!location.hash || location.hash === '#/') location.hash = '#/records';
      else route();
    } catch (err) {
      const text =
        err instanceof ApiError && err.code === 'unauthorized'
          ? t.wrongCredentials
          : err instanceof ApiError && err.code === 'too_many_failures'
            ? t.locked(Number(err.details?.retryAfterSeconds ?? 900))
            : errorText(err);
      form.querySelector('h1')!.after(notice(text));
    }
  });
  root.replaceChildren(el('main', { 'data-screen': 'sign-in' }, form));
}

// ---- records --------------------------------------------------------------------------------------------------

const FILTERS = ['from', 'to', 'app', 'planId', 'status', 'resultCode', 'outerOrderNo', 'idNumber'] as const;

function recordRow(r: RecordSummary): Child[] {
  return [
    el('a', { href: `#/records/${r.token}`, 'data-record': r.token }, fmtTime(r.createdAt)),
    r.app.name,
    `${r.plan.name} (${r.plan.id})`,
    el(
      'span',
      el(`span.status.${r.status}`, statusLabel(r.status)),
      r.preview ? el('span.tag', { 'data-preview': '' }, planTexts(lang).preview) : null,
    ),
    r.result ? r.result.code : '—',
    r.result ? `${fmtNum(r.result.score)} / ${fmtNum(r.result.threshold)}` : '—',
    r.outerOrderNo ?? '—',
    r.identity ? `${r.identity.name} ${r.identity.idNumber}` : '—',
  ];
}

function renderRecords(): void {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const input = (name: string, label: string, attrs: Record<string, string> = {}) =>
    el('label', label, el('input', { name, value: params.get(name) ?? '', ...attrs }));
  const statusSelect = el(
    'select',
    { name: 'status' },
    el('option', { value: '' }, t.any),
    ...['created', 'in_progress', 'passed', 'failed', 'expired'].map((s) =>
      el('option', { value: s, selected: params.get('status') === s }, statusLabel(s)),
    ),
  );
  const form = el(
    'form.filters',
    { 'data-form': 'records' },
    input('from', t.from, { type: 'datetime-local' }),
    input('to', t.to, { type: 'datetime-local' }),
    input('app', t.app),
    input('planId', t.planId, { inputmode: 'numeric' }),
    el('label', t.status, statusSelect),
    input('resultCode', t.resultCode),
    input('outerOrderNo', t.outerOrderNo),
    input('idNumber', t.idNumber, { autocomplete: 'off' }),
    el('button', { type: 'submit' }, t.search),
    el('a.button.secondary', { href: '#/records' }, t.reset),
  ) as HTMLFormElement;
  const results = el('section.results');
  const tbody = el('tbody');
  const moreBtn = el('button.secondary', { type: 'button', 'data-action': 'more' }, t.more) as HTMLButtonElement;
  let cursor: string | null = null;
  const exportBtn = el(
    'button.secondary',
    { type: 'button', 'data-action': 'export' },
    t.exportCsv,
  ) as HTMLButtonElement;
  const exportBox = el('div.export', { 'data-export': '' });

  const filter = () => {
    const f: Record<string, string> = {};
    for (const name of FILTERS) {
      const v = params.get(name);
      if (v) f[name] = name === 'from' || name === 'to' ? new Date(v).toISOString() : v;
    }
    return f;
  };
  async function load() {
    const page = await guard(results, () => api.records({ ...filter(), ...(cursor ? { cursor } : {}), limit: 50 }));
    if (!page) return;
    for (const r of page.records) tbody.append(el('tr', ...recordRow(r).map((c) => el('td', c))));
    if (!tbody.children.length) tbody.append(el('tr', el('td', { colspan: 8, 'data-empty': '' }, t.noRecords)));
    cursor = page.nextCursor;
    moreBtn.hidden = !cursor;
  }
  moreBtn.addEventListener('click', () => void load());
  // CSV export of the current filters: a background job on the server, polled until its file can be downloaded.
  exportBtn.addEventListener('click', async () => {
    exportBtn.disabled = true;
    const f: Record<string, string | number> = { ...filter() };
    if (f.planId !== undefined) f.planId = Number(f.planId);
    let job = await guard(exportBox, () => api.createExport(f));
    const bar = el('progress', { max: 1, value: 0, 'data-export-progress': '' }) as HTMLProgressElement;
    const label = el('span', { 'data-export-status': '' }, t.exportQueued);
    if (job) exportBox.replaceChildren(label, bar);
    while (job && (job.status === 'queued' || job.status === 'running') && exportBox.isConnected) {
      bar.max = Math.max(job.rowsTotal ?? 1, 1);
      bar.value = job.rowsDone;
      label.textContent = job.status === 'queued' ? t.exportQueued : t.exportProgress(job.rowsDone, job.rowsTotal);
      await new Promise((r) => setTimeout(r, 500));
      const id = job.id;
      job = await guard(exportBox, () => api.exportJob(id));
    }
    exportBtn.disabled = false;
    if (!job) return;
    if (job.status === 'done' && job.downloadUrl) {
      exportBox.replaceChildren(
        el('span', { 'data-export-status': 'done' }, t.exportReady(job.rowsDone), ' '),
        el('a.button', { href: job.downloadUrl, download: '', 'data-export-link': '' }, t.exportDownload),
      );
    } else {
      const text = job.status === 'expired' ? t.exportExpired : `${t.exportFailed}: ${job.error ?? job.status}`;
      exportBox.replaceChildren(notice(text));
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const name of FILTERS) {
      const v = field(form, name);
      if (v) q.set(name, v);
    }
    location.hash = `#/records?${q.toString()}`;
  });
  const head = [
    t.createdAt,
    t.app,
    t.plan,
    t.status,
    t.resultCode,
    `${t.score} / ${t.threshold}`,
    t.outerOrderNo,
    t.identity,
  ];
  results.append(
    el('p.actions', exportBtn),
    exportBox,
    el('table', { 'data-table': 'records' }, el('thead', el('tr', ...head.map((h) => el('th', h)))), tbody),
    moreBtn,
  );
  shell('records', el('div', el('h1', t.navRecords), form, results));
  void load();
}

async function renderRecord(token: string): Promise<void> {
  const box = el('div', el('p', el('a', { href: '#/records' }, `← ${t.back}`)));
  shell('record', box);
  const d = await guard(box, () => api.record(token));
  if (!d) return;
  const r = d.result;
  box.append(
    el('h1', t.detail),
    kv([
      [t.token, el('code', d.token)],
      [t.app, d.app.name],
      [t.plan, `${d.plan.name} (${d.plan.id}) · ${d.plan.livenessMode} · ${d.plan.compareSource}`],
      [
        t.status,
        el(
          'span',
          el(`span.status.${d.status}`, { 'data-status': d.status }, statusLabel(d.status)),
          d.preview ? el('span.tag', { 'data-preview': '' }, planTexts(lang).preview) : null,
        ),
      ],
      [t.outerOrderNo, d.outerOrderNo ?? '—'],
      [t.identity, d.identity ? `${d.identity.name} ${d.identity.idNumber}` : '—'],
      [t.createdAt, fmtTime(d.createdAt)],
      [t.expiresAt, fmtTime(d.expiresAt)],
      [t.finishedAt, fmtTime(d.finishedAt)],
      [t.attemptsLeft, String(d.attemptsLeft)],
      [blacklistTexts(lang).device, deviceCell({ lang, me: me!, guard }, d.device, d.token)],
      [t.resultUntil, fmtTime(d.resultAvailableUntil)],
    ]),
    el('h2', t.result),
    r
      ? kv([
          [t.code, el('code', { 'data-result-code': r.code }, r.code)],
          [t.message, r.message],
          [t.score, el('span', { 'data-result-score': '' }, fmtNum(r.score))],
          [t.threshold, fmtNum(r.threshold)],
          [t.liveness, fmtNum(r.livenessScore, 3)],
          [t.livenessThreshold, fmtNum(r.livenessThreshold, 3)],
        ])
      : el('p.muted', '—'),
    el('h2', t.attempts),
    table(
      [t.order, t.started, t.finished, t.mode, t.passed, t.code, t.score, t.threshold, t.liveness, t.engineCalls],
      d.attempts.map((a) => [
        a.order,
        fmtTime(a.startedAt),
        fmtTime(a.finishedAt),
        a.livenessMode ?? '—',
        a.passed ? '✓' : '✗',
        a.code,
        fmtNum(a.score),
        fmtNum(a.threshold),
        fmtNum(a.livenessScore, 3),
        a.engineCalls,
      ]),
      { 'data-table': 'attempts' },
    ),
    el('h2', t.images),
    d.images.best || d.images.env
      ? el(
          'div.images',
          d.images.best
            ? el(
                'figure',
                el('img', { src: api.imageUrl(d.token, 'best'), alt: t.bestFrame }),
                el('figcaption', t.bestFrame),
              )
            : null,
          d.images.env
            ? el(
                'figure',
                el('img', { src: api.imageUrl(d.token, 'env'), alt: t.envFrame }),
                el('figcaption', t.envFrame),
              )
            : null,
          el('p.muted', `${t.imagesUntil} ${fmtTime(d.images.availableUntil)}`),
        )
      : el('p.muted', t.noImages),
    el('h2', t.analysis),
    el('pre.analysis', JSON.stringify(d.analysis, null, 2)),
  );
  if (me?.capabilities.operate) {
    box.append(
      el(
        'button.danger',
        {
          type: 'button',
          'data-action': 'delete-record',
          onclick: async () => {
            if (!confirm(t.confirmDelete)) return;
            const ok = await guard(box, () => api.deleteRecord(d.token).then(() => true));
            if (ok) location.hash = '#/records';
          },
        },
        t.deleteRecord,
      ),
    );
  }
}

// ---- statistics -----------------------------------------------------------------------------------------------

/** A stacked bar chart of the buckets (SVG built in the page, no library). */
function chart(s: Statistics): Element {
  if (s.buckets.length === 0) return el('p.muted', { 'data-empty': '' }, t.noData);
  const w = 960;
  const h = 260;
  const pad = { l: 44, r: 8, t: 10, b: 48 };
  const max = Math.max(1, ...s.buckets.map((b) => b.total));
  const slot = (w - pad.l - pad.r) / s.buckets.length;
  const bar = Math.max(2, Math.min(40, slot * 0.7));
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / max);
  const parts: SVGElement[] = [
    svg('line', { x1: pad.l, y1: y(0), x2: w - pad.r, y2: y(0), stroke: '#d9dee7' }),
    svg('text', { x: pad.l - 6, y: y(max) + 4, 'text-anchor': 'end', 'font-size': 11 }, String(max)),
    svg('text', { x: pad.l - 6, y: y(0) + 4, 'text-anchor': 'end', 'font-size': 11 }, '0'),
  ];
  s.buckets.forEach((b, i) => {
    const x = pad.l + slot * i + (slot - bar) / 2;
    let acc = 0;
    for (const [key, colour] of SERIES) {
      const v = b[key];
      if (!v) continue;
      parts.push(
        svg(
          'rect',
          {
            x,
            y: y(acc + v),
            width: bar,
            height: y(acc) - y(acc + v),
            fill: colour,
            'data-bucket': b.start,
            'data-series': key,
          },
          svg('title', {}, `${b.start} ${statusLabel(key === 'open' ? 'in_progress' : key)}: ${v}`),
        ),
      );
      acc += v;
    }
    const tick = bucketTick(s, i, x + bar / 2, h - pad.b + 16);
    if (tick) parts.push(tick);
  });
  const legend = el(
    'p.legend',
    ...SERIES.map(([key, colour]) =>
      el('span', el('i', { 'data-colour': colour }), key === 'open' ? t.open : statusLabel(key)),
    ),
  );
  // Legend swatches get their colour through the CSSOM (no inline style attributes under the CSP).
  legend.querySelectorAll<HTMLElement>('i[data-colour]').forEach((i) => (i.style.background = i.dataset.colour!));
  return el(
    'div.chart',
    svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'data-chart': 'outcomes' }, ...parts),
    legend,
  );
}

async function renderStats(): Promise<void> {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const unit = params.get('unit') === 'hour' ? 'hour' : 'day';
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const input = (name: string, label: string, attrs: Record<string, string> = {}) =>
    el('label', label, el('input', { name, value: params.get(name) ?? '', ...attrs }));
  const form = el(
    'form.filters',
    { 'data-form': 'stats' },
    input('from', t.from, { type: 'datetime-local' }),
    input('to', t.to, { type: 'datetime-local' }),
    el(
      'label',
      t.unit,
      el(
        'select',
        { name: 'unit' },
        el('option', { value: 'day', selected: unit === 'day' }, t.byDay),
        el('option', { value: 'hour', selected: unit === 'hour' }, t.byHour),
      ),
    ),
    input('app', t.app),
    input('planId', t.planId, { inputmode: 'numeric' }),
    el('button', { type: 'submit' }, t.search),
  ) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const name of ['from', 'to', 'unit', 'app', 'planId']) {
      const v = field(form, name);
      if (v) q.set(name, v);
    }
    location.hash = `#/stats?${q.toString()}`;
  });
  const box = el('div', el('h1', t.navStats), form);
  shell('stats', box);
  const iso = (name: string) => (params.get(name) ? new Date(params.get(name)!).toISOString() : undefined);
  const s = await guard(box, () =>
    api.statistics({
      unit,
      timeZone,
      from: iso('from'),
      to: iso('to'),
      app: params.get('app') ?? undefined,
      planId: params.get('planId') ?? undefined,
    }),
  );
  if (!s) return;
  box.append(
    kv([
      [t.timeZoneLabel, s.timeZone],
      [t.from, fmtTime(s.from)],
      [t.to, fmtTime(s.to)],
      [t.total, el('strong', { 'data-total': s.totals.total }, String(s.totals.total))],
      [statusLabel('passed'), String(s.totals.passed)],
      [statusLabel('failed'), String(s.totals.failed)],
      [statusLabel('expired'), String(s.totals.expired)],
      [t.open, String(s.totals.open)],
    ]),
    chart(s),
    passRateChart(s, lang),
    el('h2', t.codes),
    table(
      [t.resultCode, t.count],
      s.codes.map((c) => [el('code', c.code), c.count]),
      { 'data-table': 'codes' },
    ),
  );
  const [app, planId] = [params.get('app') ?? undefined, params.get('planId') ?? undefined];
  await renderBreakdownsInto(box, lang, { from: s.from, to: s.to, app, planId });
}

// ---- plans ----------------------------------------------------------------------------------------------------

async function renderPlans(): Promise<void> {
  const box = el('div', el('h1', t.navPlans));
  shell('plans', box);
  const data = await guard(box, async () => ({ plans: (await api.plans()).plans, apps: (await api.apps()).apps }));
  if (!data) return;
  const canOperate = me!.capabilities.operate;
  const p = planTexts(lang);
  let createForm: HTMLElement | null = null;
  if (canOperate) {
    const env = { lang, me: me!, apps: data.apps, errorText, done: () => undefined };
    const form = planForm({ ...env, done: (plan) => (location.hash = `#/plans/${plan.id}`) }, undefined);
    createForm = el('details', { open: true }, el('summary', t.createPlan), form);
  }
  box.append(
    table(
      [
        'ID',
        t.app,
        t.planName,
        t.livenessMode,
        t.compareSource,
        t.identityInput,
        t.threshold,
        t.maxAttempts,
        t.status,
        '',
      ],
      data.plans.map((plan) => [
        plan.id,
        plan.app.name,
        el('a', { href: `#/plans/${plan.id}`, 'data-plan': plan.name, 'data-plan-id': plan.id }, plan.name),
        plan.livenessMode,
        plan.compareSource,
        plan.identityInput,
        `${plan.threshold.score}${plan.threshold.far ? ` (FAR ${plan.threshold.far})` : ''}`,
        plan.maxAttempts,
        plan.disabled ? t.disabled : t.active,
        canOperate
          ? el(
              'span.actions',
              el('a.button.secondary', { href: `#/plans/${plan.id}`, 'data-action': 'edit-plan' }, p.edit),
              el(
                'button.secondary',
                {
                  type: 'button',
                  'data-action': plan.disabled ? 'enable-plan' : 'disable-plan',
                  onclick: async () => {
                    if (await guard(box, () => api.updatePlan(plan.id, { disabled: !plan.disabled })))
                      await renderPlans();
                  },
                },
                plan.disabled ? t.enable : t.disable,
              ),
            )
          : null,
      ]),
      { 'data-table': 'plans' },
    ),
  );
  if (createForm) box.append(createForm);
}

/** One plan: every setting in the form (read-only for auditors) and, for operators, the preview. */
async function renderPlan(id: number): Promise<void> {
  const box = el('div', el('p', el('a', { href: '#/plans' }, `← ${t.back}`)));
  shell('plan', box);
  const data = await guard(box, async () => ({ plans: (await api.plans()).plans, apps: (await api.apps()).apps }));
  if (!data) return;
  const plan = data.plans.find((x) => x.id === id);
  if (!plan) {
    box.append(notice(`not_found: no plan ${id}`));
    return;
  }
  const env = { lang, me: me!, apps: data.apps, errorText, done: () => undefined };
  box.append(
    el(
      'h1',
      { 'data-plan': plan.name, 'data-plan-id': plan.id },
      plan.name,
      plan.disabled ? el('span.status.expired', ` ${t.disabled}`) : null,
    ),
    planForm(env, plan),
  );
  if (me!.capabilities.operate && !plan.disabled) box.append(planPreview(env, plan));
}

// ---- apps and keys --------------------------------------------------------------------------------------------

async function renderApps(created?: NewKey): Promise<void> {
  const box = el('div', el('h1', t.navApps));
  shell('apps', box);
  const data = await guard(box, async () => ({ apps: (await api.apps()).apps, keys: (await api.keys()).keys }));
  if (!data) return;
  const canOperate = me!.capabilities.operate;
  box.append(
    el('h2', t.apps),
    table(
      [t.appName, t.createdAt, t.activeKeys, t.disabledKeys, rateLimitTexts(lang).rateLimit],
      data.apps.map((a) => [
        a.name,
        fmtTime(a.createdAt),
        a.keys.active,
        a.keys.disabled,
        rateLimitCell(a, { lang, canOperate, guard, saved: () => void renderApps() }),
      ]),
      { 'data-table': 'apps' },
    ),
    el('p.hint', rateLimitTexts(lang).hint),
    el('h2', t.keys),
    // A new key's secret, shown this once (the server never returns it again).
    el(
      'div',
      created &&
        el(
          'div.secret',
          { 'data-secret': created.accessKeyId },
          el('p', el('strong', t.secretOnce)),
          kv([
            [t.appName, created.appName],
            ['AccessKeyId', el('code', created.accessKeyId)],
            ['AccessKeySecret', el('code', { 'data-secret-value': '' }, created.accessKeySecret)],
          ]),
        ),
    ),
  );
  if (canOperate) {
    const form = el(
      'form.inline',
      { 'data-form': 'create-key' },
      el(
        'label',
        t.appName,
        el('input', { name: 'app', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}' }),
      ),
      el('button', { type: 'submit' }, t.createKey),
    ) as HTMLFormElement;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const res = await guard(box, () => api.createKey(field(form, 'app')));
      if (res) await renderApps(res.key);
    });
    box.append(form);
  }
  box.append(
    table(
      [t.keyId, t.appName, t.status, t.createdAt, t.lastUsed, ''],
      data.keys.map((k) => [
        el('code', k.accessKeyId),
        k.appName,
        el(
          `span.status.${k.status === 'active' ? 'passed' : 'expired'}`,
          k.status === 'active' ? t.active : t.disabled,
        ),
        fmtTime(k.createdAt),
        fmtTime(k.lastUsedAt),
        canOperate && k.status === 'active'
          ? el(
              'span.actions',
              el(
                'button.secondary',
                {
                  type: 'button',
                  'data-action': 'rotate-key',
                  'data-key': k.accessKeyId,
                  onclick: async () => {
                    if (!confirm(t.confirmRotate(k.accessKeyId))) return;
                    const res = await guard(box, () => api.rotateKey(k.accessKeyId));
                    if (res) await renderApps(res.key);
                  },
                },
                t.rotate,
              ),
              el(
                'button.danger',
                {
                  type: 'button',
                  'data-action': 'disable-key',
                  'data-key': k.accessKeyId,
                  onclick: async () => {
                    if (!confirm(t.confirmDisable(k.accessKeyId))) return;
                    if (await guard(box, () => api.disableKey(k.accessKeyId).then(() => true))) await renderApps();
                  },
                },
                t.disable,
              ),
            )
          : null,
      ]),
      { 'data-table': 'keys' },
    ),
  );
}

// ---- users ----------------------------------------------------------------------------------------------------

const ROLES: Role[] = ['admin', 'operator', 'auditor'];

async function renderUsers(): Promise<void> {
  const box = el('div', el('h1', t.navUsers));
  shell('users', box);
  const data = await guard(box, () => api.users());
  if (!data) return;
  const admin = me!.capabilities.manageUsers;
  box.append(
    table(
      [t.username, t.role, t.status, t.createdAt, ''],
      data.users.map((u) => {
        const self = u.id === me!.user.id;
        const roleCell: Child =
          admin && !self
            ? el(
                'select',
                {
                  'data-user-role': u.username,
                  onchange: async (ev: Event) => {
                    const role = (ev.target as HTMLSelectElement).value as Role;
                    if (await guard(box, () => api.updateUser(u.id, { role }))) await renderUsers();
                  },
                },
                ...ROLES.map((r) => el('option', { value: r, selected: r === u.role }, roleLabel(r))),
              )
            : roleLabel(u.role);
        const actions: Child =
          admin && !self
            ? el(
                'span.actions',
                el(
                  'button.secondary',
                  {
                    type: 'button',
                    'data-action': u.disabledAt ? 'enable-user' : 'disable-user',
                    onclick: async () => {
                      if (await guard(box, () => api.updateUser(u.id, { disabled: !u.disabledAt })))
                        await renderUsers();
                    },
                  },
                  u.disabledAt ? t.enable : t.disable,
                ),
                el(
                  'button.secondary',
                  {
                    type: 'button',
                    'data-action': 'reset-password',
                    onclick: async () => {
                      const pw = prompt(t.newPasswordFor(u.username));
                      if (pw && (await guard(box, () => api.updateUser(u.id, { password: pw }))))
                        box.prepend(notice(t.done, 'ok'));
                    },
                  },
                  t.resetPassword,
                ),
                el(
                  'button.danger',
                  {
                    type: 'button',
                    'data-action': 'delete-user',
                    onclick: async () => {
                      if (!confirm(t.confirmDeleteUser(u.username))) return;
                      if (await guard(box, () => api.deleteUser(u.id).then(() => true))) await renderUsers();
                    },
                  },
                  t.deleteUser,
                ),
              )
            : null;
        return [
          el('span', { 'data-username': u.username }, u.username),
          roleCell,
          u.disabledAt ? t.disabled : t.active,
          fmtTime(u.createdAt),
          actions,
        ];
      }),
      { 'data-table': 'users' },
    ),
  );
  if (admin) {
    const form = el(
      'form.inline',
      { 'data-form': 'create-user' },
      el('label', t.username, el('input', { name: 'username', required: true, autocomplete: 'off' })),
      el(
        'label',
        t.password,
        el('input', {
          name: 'password',
          type: 'password',
          required: true,
          minlength: 10,
          autocomplete: 'new-password',
        }),
      ),
      el(
        'label',
        t.role,
        el('select', { name: 'role' }, ...ROLES.map((r) => el('option', { value: r }, roleLabel(r)))),
      ),
      el('button', { type: 'submit' }, t.createUser),
    ) as HTMLFormElement;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const pw = (form.elements.namedItem('password') as HTMLInputElement).value;
      if (await guard(form, () => api.createUser(field(form, 'username'), pw, field(form, 'role') as Role)))
        await renderUsers();
    });
    box.append(el('h2', t.createUser), form);
  }
  const own = el(
    'form.inline',
    { 'data-form': 'own-password' },
    el(
      'label',
      t.currentPassword,
      el('input', { name: 'current', type: 'password', required: true, autocomplete: 'current-password' }),
    ),
    el(
      'label',
      t.newPassword,
      el('input', { name: 'next', type: 'password', required: true, minlength: 10, autocomplete: 'new-password' }),
    ),
    el('button', { type: 'submit' }, t.save),
  ) as HTMLFormElement;
  own.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const get = (n: string) => (own.elements.namedItem(n) as HTMLInputElement).value;
    if ((await guard(own, () => api.changePassword(get('current'), get('next')).then(() => true))) === true) {
      own.reset();
      own.prepend(notice(t.passwordChanged, 'ok'));
    }
  });
  box.append(el('h2', t.changeOwnPassword), own);
}

// ---- audit ----------------------------------------------------------------------------------------------------

function renderAudit(): void {
  const box = el('div', el('h1', t.navAudit));
  const tbody = el('tbody');
  const moreBtn = el('button.secondary', { type: 'button', 'data-action': 'more' }, t.more) as HTMLButtonElement;
  let before: number | null = null;
  async function load() {
    const page = await guard(box, () => api.audit({ limit: 100, ...(before ? { before } : {}) }));
    if (!page) return;
    for (const e of page.entries) {
      tbody.append(
        el(
          'tr',
          el('td', fmtTime(e.at)),
          el('td', e.actor),
          el('td', { 'data-audit-action': e.action }, e.action),
          el('td', e.target ?? '—'),
          el('td', el('code', e.details ? JSON.stringify(e.details) : '')),
        ),
      );
    }
    before = page.nextBefore;
    moreBtn.hidden = !before;
  }
  moreBtn.addEventListener('click', () => void load());
  box.append(
    el(
      'table',
      { 'data-table': 'audit' },
      el('thead', el('tr', ...[t.at, t.actor, t.action, t.target, t.details].map((h) => el('th', h)))),
      tbody,
    ),
    moreBtn,
  );
  shell('audit', box);
  void load();
}

// ---- alerts (web/console/src/alerts.ts) ----------------------------------------------------------------------

function renderAlerts(): void {
  const box = el('div');
  shell('alerts', box);
  void renderAlertsInto({ lang, me: me!, box, guard }, renderAlerts);
}

// ---- blacklist (web/console/src/blacklist.ts) ----------------------------------------------------------------

function renderChecks(): void {
  const box = el('div');
  shell('checks', box);
  renderChecksInto({ lang, box, guard });
}

function renderBlacklist(): void {
  const box = el('div');
  shell('blacklist', box);
  void renderBlacklistInto({ lang, me: me!, box, guard }, renderBlacklist);
}

// ---- whitelist (web/console/src/whitelist.ts) ----------------------------------------------------------------

function renderWhitelist(): void {
  const box = el('div');
  shell('whitelist', box);
  void renderWhitelistInto({ lang, me: me!, box, guard }, renderWhitelist);
}

// ---- settings (web/console/src/settings.ts) ------------------------------------------------------------------

function renderSettings(): void {
  const box = el('div');
  shell('settings', box);
  void renderSettingsInto({ lang, me: me!, box, guard }, renderSettings);
}

// ---- attempt limits (web/console/src/strategies.ts) ------------------------------------------------------------

function renderStrategies(): void {
  const box = el('div');
  shell('strategies', box);
  void renderStrategiesInto({ lang, me: me!, box, guard }, renderStrategies);
}

// ---- routing --------------------------------------------------------------------------------------------------

function route(): void {
  if (!me) return renderSignIn();
  document.title = t.title;
  const [path] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = (path ?? '').split('/');
  if (parts[0] === 'records' && parts[1]) void renderRecord(parts[1]);
  else if (parts[0] === 'stats') void renderStats();
  else if (parts[0] === 'plans' && parts[1]) void renderPlan(Number(parts[1]));
  else if (parts[0] === 'plans') void renderPlans();
  else if (parts[0] === 'apps') void renderApps();
  else if (parts[0] === 'users') void renderUsers();
  else if (parts[0] === 'audit') renderAudit();
  else if (parts[0] === 'alerts') renderAlerts();
  else if (parts[0] === 'blacklist') renderBlacklist();
  else if (parts[0] === 'checks') renderChecks();
  else if (parts[0] === 'whitelist') renderWhitelist();
  else if (parts[0] === 'settings') renderSettings();
  else if (parts[0] === 'strategies') renderStrategies();
  else renderRecords();
}

window.addEventListener('hashchange', route);
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
api
  .me()
  .then((m) => {
    me = m;
    route();
  })
  .catch(() => renderSignIn());

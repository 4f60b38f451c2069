/**
 * The statistics screen's pass-rate line and breakdowns (docs/console.md "Statistics"): the pass rate per bucket of
 * the series, and per plan, app, device OS, ID-number province, failure stage and result code a stacked bar chart
 * with a table, from GET /v1/console/statistics/breakdown. SVG built in the page, no chart library. Its labels are
 * kept here in both languages so the shared i18n table stays as it is.
 */
import { call, type Statistics } from './api.js';
import { el, svg } from './dom.js';
import type { Lang } from './i18n.js';

export type BreakdownBy = 'plan' | 'app' | 'os' | 'province' | 'stage' | 'reason';
const BYS: BreakdownBy[] = ['stage', 'reason', 'plan', 'app', 'os', 'province'];

export interface BreakdownGroup {
  key: string;
  name?: string | null;
  app?: string | null;
  label?: { zh: string; en: string };
  total: number;
  passed: number;
  failed: number;
  expired: number;
  open: number;
  passRate: number | null;
}

export interface Breakdown {
  by: BreakdownBy;
  from: string;
  to: string;
  totals: Omit<BreakdownGroup, 'key'>;
  groups: BreakdownGroup[];
}

const zh = {
  passRateTitle: '通过率趋势',
  passRateHint: '通过 ÷(通过 + 失败),过期与进行中不计',
  breakdowns: '分布',
  by_plan: '按方案',
  by_app: '按应用',
  by_os: '按设备系统',
  by_province: '按证件号省份',
  by_stage: '按失败环节(活体 / 比对)',
  by_reason: '按失败原因',
  group: '分组',
  total: '总数',
  passed: '通过',
  failed: '失败',
  expired: '过期',
  open: '进行中',
  passRate: '通过率',
  unknown: '未知',
  noData: '该时间段没有数据。',
  stage_passed: '通过',
  stage_liveness: '活体检测',
  stage_comparison: '人脸比对',
  stage_capture: '未采到可用人脸',
  stage_other: '其他',
  stage_expired: '过期',
  stage_open: '进行中',
  reason_open: '进行中',
};
type BreakdownTexts = typeof zh;
const en: BreakdownTexts = {
  passRateTitle: 'Pass rate over time',
  passRateHint: 'passed ÷ (passed + failed); expired and open sessions not counted',
  breakdowns: 'Breakdowns',
  by_plan: 'By plan',
  by_app: 'By app',
  by_os: 'By device OS',
  by_province: 'By province of the ID number',
  by_stage: 'By failure stage (liveness / comparison)',
  by_reason: 'By failure reason',
  group: 'Group',
  total: 'Total',
  passed: 'Passed',
  failed: 'Failed',
  expired: 'Expired',
  open: 'Open',
  passRate: 'Pass rate',
  unknown: 'Unknown',
  noData: 'No data in this window.',
  stage_passed: 'Passed',
  stage_liveness: 'Liveness',
  stage_comparison: 'Face comparison',
  stage_capture: 'No usable face',
  stage_other: 'Other',
  stage_expired: 'Expired',
  stage_open: 'Open',
  reason_open: 'Open',
};

export function breakdownTexts(lang: Lang): BreakdownTexts {
  return lang === 'en' ? en : zh;
}

/** The outcome series of every stacked chart (the statistics chart and the breakdowns), with their colours. */
export const SERIES = [
  ['passed', '#1a7f37'],
  ['failed', '#cf222e'],
  ['expired', '#8c959f'],
  ['open', '#1f6feb'],
] as const;

/** The time label under bucket i of the series (every bucket up to 12, then every n-th), or null. */
export function bucketTick(s: Statistics, i: number, x: number, y: number): SVGElement | null {
  if (i % Math.ceil(s.buckets.length / 12) !== 0) return null;
  const start = s.buckets[i]!.start;
  const label = s.unit === 'day' ? start.slice(5, 10) : start.slice(11, 16);
  return svg('text', { x, y, 'text-anchor': 'middle', 'font-size': 11 }, label);
}

const pct = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} %`);

/** The pass rate per bucket as a line (buckets without a decided session leave a gap). */
export function passRateChart(s: Statistics, lang: Lang): Element {
  const t = breakdownTexts(lang);
  const w = 960;
  const h = 200;
  const pad = { l: 44, r: 8, t: 10, b: 28 };
  const n = s.buckets.length;
  const x = (i: number) => pad.l + ((w - pad.l - pad.r) * (i + 0.5)) / Math.max(1, n);
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / 100);
  const parts: SVGElement[] = [];
  for (const v of [0, 50, 100]) {
    parts.push(svg('line', { x1: pad.l, y1: y(v), x2: w - pad.r, y2: y(v), stroke: '#d9dee7' }));
    parts.push(svg('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, `${v}%`));
  }
  let run: string[] = [];
  const flush = () => {
    if (run.length > 1)
      parts.push(svg('polyline', { points: run.join(' '), fill: 'none', stroke: '#1a7f37', 'stroke-width': 2 }));
    run = [];
  };
  s.buckets.forEach((b, i) => {
    const rate = b.passRate ?? null;
    if (rate === null) flush();
    else {
      run.push(`${x(i).toFixed(1)},${y(rate).toFixed(1)}`);
      parts.push(
        svg(
          'circle',
          { cx: x(i), cy: y(rate), r: 3, fill: '#1a7f37', 'data-bucket': b.start, 'data-rate': rate },
          svg('title', {}, `${b.start} ${t.passRate}: ${pct(rate)} (${b.passed}/${b.passed + b.failed})`),
        ),
      );
    }
    const tick = bucketTick(s, i, x(i), h - pad.b + 16);
    if (tick) parts.push(tick);
  });
  flush();
  return el(
    'section',
    { 'data-section': 'pass-rate' },
    el('h2', t.passRateTitle),
    el('p.muted', t.passRateHint),
    n === 0
      ? el('p.muted', t.noData)
      : el('div.chart', svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'data-chart': 'pass-rate' }, ...parts)),
  );
}

function groupLabel(by: BreakdownBy, g: BreakdownGroup, lang: Lang): string {
  const t = breakdownTexts(lang);
  if (by === 'plan') return g.name ? `${g.app ?? ''} / ${g.name}` : `#${g.key}`;
  if (by === 'app') return g.name ?? g.key;
  if (by === 'province') return g.label ? g.label[lang] : g.key;
  if (by === 'stage') return (t as Record<string, string>)[`stage_${g.key}`] ?? g.key;
  if (by === 'reason' && g.key === 'open') return t.reason_open;
  return g.key === 'unknown' ? t.unknown : g.key;
}

/** Horizontal stacked bars, one per group (the largest 12), scaled to the largest total. */
function barChart(b: Breakdown, lang: Lang): Element {
  const groups = b.groups.slice(0, 12);
  const w = 960;
  const row = 22;
  const labelW = 220;
  const h = groups.length * row + 8;
  const max = Math.max(1, ...groups.map((g) => g.total));
  const scale = (v: number) => ((w - labelW - 60) * v) / max;
  const parts: SVGElement[] = [];
  groups.forEach((g, i) => {
    const top = 4 + i * row;
    const label = groupLabel(b.by, g, lang);
    parts.push(svg('text', { x: labelW - 8, y: top + 14, 'text-anchor': 'end', 'font-size': 12 }, label));
    let acc = 0;
    for (const [key, colour] of SERIES) {
      const v = g[key];
      if (!v) continue;
      parts.push(
        svg(
          'rect',
          {
            x: labelW + scale(acc),
            y: top + 2,
            width: Math.max(1, scale(v)),
            height: row - 6,
            fill: colour,
            'data-group': g.key,
            'data-series': key,
          },
          svg('title', {}, `${label} ${breakdownTexts(lang)[key]}: ${v}`),
        ),
      );
      acc += v;
    }
    parts.push(
      svg('text', { x: labelW + scale(acc) + 6, y: top + 14, 'font-size': 11 }, `${g.total} · ${pct(g.passRate)}`),
    );
  });
  return el(
    'div.chart',
    svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'data-chart': `breakdown-${b.by}` }, ...parts),
  );
}

function breakdownTable(b: Breakdown, lang: Lang): Element {
  const t = breakdownTexts(lang);
  const head = [t.group, t.total, t.passed, t.failed, t.expired, t.open, t.passRate];
  return el(
    'table',
    { 'data-table': `breakdown-${b.by}` },
    el('thead', el('tr', ...head.map((x) => el('th', x)))),
    el(
      'tbody',
      ...b.groups.map((g) =>
        el(
          'tr',
          { 'data-group': g.key },
          el('td', b.by === 'reason' && g.key !== 'open' ? el('code', g.key) : groupLabel(b.by, g, lang)),
          el('td', String(g.total)),
          el('td', String(g.passed)),
          el('td', String(g.failed)),
          el('td', String(g.expired)),
          el('td', String(g.open)),
          el('td', pct(g.passRate)),
        ),
      ),
    ),
  );
}

/** Loads every breakdown of the window and appends a section per dimension; a failure shows in its section. */
export async function renderBreakdownsInto(
  box: HTMLElement,
  lang: Lang,
  filter: { from: string; to: string; app?: string | undefined; planId?: string | undefined },
): Promise<void> {
  const t = breakdownTexts(lang);
  box.append(el('h2', t.breakdowns));
  const q = new URLSearchParams({ from: filter.from, to: filter.to });
  if (filter.app) q.set('app', filter.app);
  if (filter.planId) q.set('planId', filter.planId);
  const sections = BYS.map((by) => {
    const section = el('section', { 'data-breakdown': by }, el('h3', t[`by_${by}`]));
    box.append(section);
    return { by, section };
  });
  await Promise.all(
    sections.map(async ({ by, section }) => {
      try {
        const params = new URLSearchParams(q);
        params.set('by', by);
        const b = await call<Breakdown>('GET', `/statistics/breakdown?${params.toString()}`);
        if (b.groups.length === 0) section.append(el('p.muted', t.noData));
        else section.append(barChart(b, lang), breakdownTable(b, lang));
      } catch (err) {
        section.append(el('p.notice.error', { role: 'alert' }, String(err instanceof Error ? err.message : err)));
      }
    }),
  );
}

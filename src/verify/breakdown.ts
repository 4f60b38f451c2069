/**
 * The groups of a statistics breakdown (GET /v1/console/statistics/breakdown, docs/console.md "Statistics"): the
 * database rows of one grouped scan turned into keys the page can show, with counts by outcome and the pass rate.
 */
import type { BreakdownBy, BreakdownRow } from '../store/repos/record-repo.js';
import { PROVINCES } from './dimensions.js';

export const BREAKDOWN_BY = ['plan', 'app', 'os', 'province', 'stage', 'reason'] as const;

export interface Counts {
  total: number;
  passed: number;
  failed: number;
  expired: number;
  open: number;
}

export interface BreakdownGroup extends Counts {
  /**
   * plan: the plan id; app: the app id; os: iOS, Android, HarmonyOS, Windows, macOS, Linux, other, or `unknown`
   * (no user agent recorded); province: the 2-digit code, `unknown` (an identity without a known province code)
   * or `none` (no identity); stage: passed, liveness, comparison, capture, other, expired, open; reason: the result
   * code, `session_expired` for an open session past its expiry, `open` for one still running.
   */
  key: string;
  /** plan and app: the name. */
  name?: string | null;
  /** plan: the app's name. */
  app?: string | null;
  /** province: the name in Chinese and English. */
  label?: { zh: string; en: string };
  passRate: number | null;
}

export interface Breakdown {
  by: BreakdownBy;
  from: string;
  to: string;
  totals: Counts & { passRate: number | null };
  groups: BreakdownGroup[];
}

/** Per cent of the decided sessions (passed + failed) that passed, one decimal; null when none was decided. */
export function passRate(c: { passed: number; failed: number }): number | null {
  const decided = c.passed + c.failed;
  return decided === 0 ? null : Math.round((c.passed / decided) * 1000) / 10;
}

const UNKNOWN_PROVINCE = { zh: '未知', en: 'Unknown' };
const NO_IDENTITY = { zh: '无身份信息', en: 'No identity' };

function keyOf(by: BreakdownBy, r: BreakdownRow): string {
  if (by === 'province') {
    if (!r.hasIdentity) return 'none';
    return r.key !== null && PROVINCES[r.key] ? r.key : 'unknown';
  }
  return r.key ?? 'unknown';
}

/** Rows → groups, merged by key (several province codes read `unknown`), largest first. */
export function breakdownGroups(head: { by: BreakdownBy; from: string; to: string }, rows: BreakdownRow[]): Breakdown {
  const groups = new Map<string, BreakdownGroup>();
  const totals: Counts = { total: 0, passed: 0, failed: 0, expired: 0, open: 0 };
  for (const r of rows) {
    const key = keyOf(head.by, r);
    let g = groups.get(key);
    if (!g) {
      g = { key, total: 0, passed: 0, failed: 0, expired: 0, open: 0, passRate: null };
      if (head.by === 'plan' || head.by === 'app') g.name = r.name;
      if (head.by === 'plan') g.app = r.appName;
      if (head.by === 'province') g.label = PROVINCES[key] ?? (key === 'none' ? NO_IDENTITY : UNKNOWN_PROVINCE);
      groups.set(key, g);
    }
    for (const c of ['total', 'passed', 'failed', 'expired', 'open'] as const) {
      g[c] += r[c];
      totals[c] += r[c];
    }
  }
  const list = [...groups.values()];
  for (const g of list) g.passRate = passRate(g);
  list.sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ...head, totals: { ...totals, passRate: passRate(totals) }, groups: list };
}

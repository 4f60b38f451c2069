import type { Me } from './api.js';
import type { Lang } from './i18n.js';

/** el('tag.class', {attrs}, ...children): builds elements; text is always set as text, never parsed as HTML. */
export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((ev: Event) => void) | undefined>;

export function el(tag: string, attrs?: Attrs | Child, ...children: Child[]): HTMLElement {
  let a: Attrs = {};
  if (attrs instanceof Node || typeof attrs !== 'object' || attrs === null) children.unshift(attrs as Child);
  else a = attrs;
  const [name, ...classes] = tag.split('.');
  const node = document.createElement(name || 'div');
  if (classes.length) node.className = classes.join(' ');
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') node.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** A table of plain cells; `attrs` go on the <table> (data-table names it). */
export function table(head: string[], rows: Child[][], attrs: Record<string, string> = {}): HTMLElement {
  return el(
    'table',
    attrs,
    el('thead', el('tr', ...head.map((h) => el('th', h)))),
    el('tbody', ...rows.map((r) => el('tr', ...r.map((c) => el('td', c))))),
  );
}

export function kv(pairs: [string, Child][]): HTMLElement {
  return el('dl.kv', ...pairs.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
}

/** An error (role=alert) or a confirmation (role=status) line. */
export function notice(text: string, kind: 'error' | 'ok' = 'error'): HTMLElement {
  return el(`p.notice.${kind}`, { role: kind === 'error' ? 'alert' : 'status', 'data-notice': kind }, text);
}

/** Runs an action; a failure shows next to `where` (main.ts: an ended session goes back to sign-in). */
export type Guard = <T>(where: HTMLElement, fn: () => Promise<T>) => Promise<T | undefined>;

/** What main.ts hands a screen module: the language, the signed-in user, the screen's box and guard(). */
export interface ScreenEnv {
  lang: Lang;
  me: Me;
  box: HTMLElement;
  guard: Guard;
}

/** svg('tag', {attrs}, ...children): the SVG counterpart of el() for the charts (no chart library). */
export function svg(
  tag: string,
  attrs: Record<string, string | number>,
  ...children: (SVGElement | string)[]
): SVGElement {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

/** The value of a named form field. */
export function field(form: HTMLFormElement, name: string): string {
  const f = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  return f?.value.trim() ?? '';
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtNum(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined ? '—' : n.toFixed(digits);
}

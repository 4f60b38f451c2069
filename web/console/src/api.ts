/**
 * Client of the console API (/v1/console, docs/console.md). The session cookie is HttpOnly and travels by itself;
 * the CSRF token from the sign-in (or GET /session after a reload) goes into x-csrf-token on every change.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined,
  ) {
    super(message);
  }
}

export type Role = 'admin' | 'operator' | 'auditor';

export interface Me {
  user: { id: string; username: string; role: Role };
  csrfToken: string;
  expiresAt: string;
  capabilities: { operate: boolean; manageUsers: boolean };
}

export interface RecordSummary {
  token: string;
  sessionId: string;
  app: { id: string; name: string };
  plan: { id: number; name: string };
  status: string;
  outerOrderNo: string | null;
  createdAt: string;
  finishedAt: string | null;
  identity: { name: string; idNumber: string } | null;
  result: { passed: boolean; code: string; score: number | null; threshold: number | null } | null;
  preview: boolean;
}

export interface Attempt {
  order: number;
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  code: string;
  message: string;
  score: number | null;
  threshold: number | null;
  livenessScore: number | null;
  engineCalls: number;
  livenessMode: string | null;
}

export interface RecordDetail {
  sessionId: string;
  token: string;
  status: string;
  outerOrderNo: string | null;
  createdAt: string;
  expiresAt: string;
  finishedAt: string | null;
  identity: { name: string; idNumber: string } | null;
  result: {
    passed: boolean;
    code: string;
    message: string;
    score: number | null;
    threshold: number | null;
    livenessScore: number | null;
    livenessThreshold: number | null;
  } | null;
  attempts: Attempt[];
  attemptsLeft: number;
  charges: { engineCalls: number; compares: number };
  images: { best: boolean; env: boolean; availableUntil: string | null };
  resultAvailableUntil: string;
  app: { id: string; name: string };
  plan: { id: number; name: string; livenessMode: string; compareSource: string; thresholdScore: number };
  analysis: { order: number; details: unknown }[];
  preview: boolean;
  /** The H5 page's device digest (docs/console.md, "Blacklist"); null when the page sent none. */
  device?: { digest: string; prefix: string } | null;
}

export interface AppView {
  id: string;
  name: string;
  createdAt: string;
  disabledAt: string | null;
  /** Requests per minute over the app's keys (null = unlimited) and the burst (docs/console.md). */
  rateLimitPerMinute: number | null;
  rateLimitBurst: number | null;
  keys: { active: number; disabled: number };
}

export interface KeyView {
  accessKeyId: string;
  appId: string;
  appName: string;
  status: 'active' | 'disabled';
  createdAt: string;
  lastUsedAt: string | null;
  disabledAt: string | null;
}

export interface NewKey {
  accessKeyId: string;
  accessKeySecret: string;
  appName: string;
}

export interface UserView {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
  disabledAt: string | null;
  passwordChangedAt: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}

export interface StatisticsBucket {
  start: string;
  total: number;
  passed: number;
  failed: number;
  expired: number;
  open: number;
  /** Per cent of passed among passed + failed; null when none was decided. */
  passRate?: number | null;
}

export interface Statistics {
  from: string;
  to: string;
  unit: 'hour' | 'day';
  timeZone: string;
  totals: Omit<StatisticsBucket, 'start'>;
  buckets: StatisticsBucket[];
  codes: { code: string; count: number }[];
}

export interface PlanView {
  id: number;
  name: string;
  livenessMode: string;
  actionCount: number;
  actionPool: string[];
  compareSource: string;
  identityInput: string;
  identityProvider: string;
  threshold: { score: number; far?: string | null };
  passiveLivenessThreshold: number | null;
  maxAttempts: number;
  invalidateOnFailure: boolean;
  successUrl: string | null;
  failureUrl: string | null;
  callbackUrl: string | null;
  callbackSecretSet: boolean;
  resultRetentionHours: number;
  mediaRetentionHours: number;
  disabled: boolean;
  app: { id: string; name: string };
}

export interface ExportView {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'expired';
  rowsTotal: number | null;
  rowsDone: number;
  error: string | null;
  expiresAt: string;
  downloadUrl: string | null;
}

const BASE = '/v1/console';
let csrf = '';

/** Calls the console API, with the CSRF token of the current session on every change. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(BASE + path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: handled below
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)
      ?.error;
    throw new ApiError(res.status, e?.code ?? 'network', e?.message ?? `HTTP ${res.status}`, e?.details);
  }
  return json as T;
}

const qs = (params: Record<string, string | number | undefined>) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
};

function remember(me: Me): Me {
  csrf = me.csrfToken;
  return me;
}

export const api = {
  signIn: async (username: string, password: string) =>
    remember(await call<Me>('POST', '/session', { username, password })),
  me: async () => remember(await call<Me>('GET', '/session')),
  signOut: async () => {
    await call('DELETE', '/session');
    csrf = '';
  },
  changePassword: (currentPassword: string, newPassword: string) =>
    call<void>('PUT', '/session/password', { currentPassword, newPassword }),
  records: (filter: Record<string, string | number | undefined>) =>
    call<{ records: RecordSummary[]; nextCursor: string | null }>('GET', `/records${qs(filter)}`),
  record: (token: string) => call<RecordDetail>('GET', `/records/${encodeURIComponent(token)}`),
  imageUrl: (token: string, kind: 'best' | 'env') => `${BASE}/records/${encodeURIComponent(token)}/images/${kind}`,
  deleteRecord: (token: string) => call<void>('DELETE', `/records/${encodeURIComponent(token)}`),
  createExport: (filter: Record<string, string | number>) => call<ExportView>('POST', '/exports', filter),
  exportJob: (id: string) => call<ExportView>('GET', `/exports/${encodeURIComponent(id)}`),
  statistics: (filter: Record<string, string | number | undefined>) =>
    call<Statistics>('GET', `/statistics${qs(filter)}`),
  plans: () => call<{ plans: PlanView[] }>('GET', '/plans'),
  createPlan: (app: string, settings: Record<string, unknown>) =>
    call<{ plan: PlanView; callbackSecret?: string }>('POST', '/plans', { app, settings }),
  updatePlan: (id: number, settings: Record<string, unknown>) =>
    call<{ plan: PlanView; callbackSecret?: string }>('PATCH', `/plans/${id}`, settings),
  apps: () => call<{ apps: AppView[] }>('GET', '/apps'),
  keys: () => call<{ keys: KeyView[] }>('GET', '/keys'),
  createKey: (app: string) => call<{ key: NewKey }>('POST', '/keys', { app }),
  disableKey: (id: string) => call<void>('POST', `/keys/${encodeURIComponent(id)}/disable`),
  rotateKey: (id: string) => call<{ key: NewKey }>('POST', `/keys/${encodeURIComponent(id)}/rotate`),
  users: () => call<{ users: UserView[] }>('GET', '/users'),
  createUser: (username: string, password: string, role: Role) =>
    call<{ user: UserView }>('POST', '/users', { username, password, role }),
  updateUser: (id: string, patch: { role?: Role; disabled?: boolean; password?: string }) =>
    call<{ user: UserView }>('PATCH', `/users/${encodeURIComponent(id)}`, patch),
  deleteUser: (id: string) => call<void>('DELETE', `/users/${encodeURIComponent(id)}`),
  audit: (filter: Record<string, string | number | undefined>) =>
    call<{ entries: AuditEntry[]; nextBefore: number | null }>('GET', `/audit${qs(filter)}`),
};

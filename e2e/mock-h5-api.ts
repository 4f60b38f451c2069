/**
 * A MOCK of the /h5/api contract (docs/sessions.md) for the page's own tests: it serves the built page and answers
 * with canned sessions, challenges and outcomes chosen by token. It verifies nothing about faces: tests that use it
 * check the page's screens and the requests the page sends, never server decisions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readH5File } from './static.js';

export interface MockScenario {
  session: Record<string, unknown> | { httpStatus: number; code: string };
  challenge?: Record<string, unknown>;
  /** Outcomes answered to successive attempts (the last one repeats). */
  outcomes?: Record<string, unknown>[];
}

export interface RecordedRequest {
  token: string;
  kind: 'session' | 'identity' | 'challenge' | 'attempts';
  body: unknown;
  at: number;
  /** The page's device id header (x-shiren-device), if sent. */
  device: string | undefined;
  /** The Host the page was loaded from (each origin keeps its own localStorage). */
  host: string | undefined;
}

export const SCENARIOS: Record<string, MockScenario> = {
  'mock-silent': {
    session: {
      status: 'created',
      livenessMode: 'silent',
      needsIdentity: false,
      attemptsLeft: 3,
      expiresAt: 'x',
      mediaRetentionHours: 12,
      resultRetentionHours: 48,
    },
    challenge: { mode: 'silent', actions: [], colours: [], stepMs: 3000, colourMs: 600, maxDurationMs: 20000 },
    outcomes: [{ outcome: 'passed', code: 'ok', message: 'passed', attemptsLeft: 2, redirectUrl: null }],
  },
  'mock-identity': {
    session: { status: 'created', livenessMode: 'silent', needsIdentity: true, attemptsLeft: 1, expiresAt: 'x' },
    challenge: { mode: 'silent', actions: [], colours: [], stepMs: 3000, colourMs: 600, maxDurationMs: 20000 },
    outcomes: [{ outcome: 'failed', code: 'compare_failed', message: 'not the same person', attemptsLeft: 0 }],
  },
  'mock-action': {
    session: { status: 'in_progress', livenessMode: 'action', needsIdentity: false, attemptsLeft: 3, expiresAt: 'x' },
    challenge: {
      mode: 'action',
      actions: ['turn_left', 'blink'],
      colours: [],
      stepMs: 1500,
      colourMs: 600,
      maxDurationMs: 20000,
    },
    outcomes: [
      { outcome: 'retry', code: 'liveness_action_missing', message: 'action missing', attemptsLeft: 2 },
      { outcome: 'failed', code: 'liveness_action_missing', message: 'action missing', attemptsLeft: 0 },
    ],
  },
  'mock-flash': {
    session: { status: 'created', livenessMode: 'flash', needsIdentity: false, attemptsLeft: 1, expiresAt: 'x' },
    challenge: {
      mode: 'flash',
      actions: [],
      colours: ['#ff0000', '#00ff00', '#0000ff', '#ffffff'],
      stepMs: 3000,
      colourMs: 600,
      maxDurationMs: 20000,
    },
    outcomes: [{ outcome: 'passed', code: 'ok', message: 'passed', redirectUrl: '/mock/landing?done=1' }],
  },
  'mock-expired': { session: { httpStatus: 410, code: 'session_expired' } },
};

export interface MockServer {
  base: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : null;
}

export async function startMockServer(host = '127.0.0.1'): Promise<MockServer> {
  const requests: RecordedRequest[] = [];
  const attemptsByToken = new Map<string, number>();
  let challengeSeq = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/h5\/api\/sessions\/([^/]+)(?:\/(identity|challenge|attempts))?$/.exec(url.pathname);
      if (m) {
        const token = decodeURIComponent(m[1]!);
        const kind = (m[2] ?? 'session') as RecordedRequest['kind'];
        const body = req.method === 'POST' ? await readBody(req) : null;
        const device = req.headers['x-shiren-device'];
        requests.push({
          token,
          kind,
          body,
          at: Date.now(),
          device: typeof device === 'string' ? device : undefined,
          host: req.headers.host,
        });
        const sc = SCENARIOS[token];
        if (!sc)
          return send(res, 404, { error: { code: 'not_found', message: 'unknown session' }, request_id: 'mock' });
        if ('httpStatus' in sc.session) {
          const s = sc.session as { httpStatus: number; code: string };
          return send(res, s.httpStatus, { error: { code: s.code, message: s.code }, request_id: 'mock' });
        }
        if (kind === 'session') return send(res, 200, sc.session);
        if (kind === 'identity') return send(res, 200, { ok: true });
        if (kind === 'challenge') {
          const expiresAt = new Date(Date.now() + 60_000).toISOString();
          return send(res, 200, { challengeId: `mock-challenge-${++challengeSeq}`, ...sc.challenge, expiresAt });
        }
        const n = attemptsByToken.get(token) ?? 0;
        attemptsByToken.set(token, n + 1);
        const outcomes = sc.outcomes ?? [];
        return send(res, 200, outcomes[Math.min(n, outcomes.length - 1)]);
      }
      if (url.pathname === '/mock/landing') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(
          '<!doctype html><link rel="icon" href="data:,"><title>landing</title><p id="landing">operator landing page</p>',
        );
      }
      if (url.pathname.startsWith('/h5/')) {
        const file = await readH5File(url.pathname);
        if (file) {
          res.writeHead(200, { 'content-type': file.type });
          return res.end(file.body);
        }
      }
      res.writeHead(404);
      res.end();
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://${host}:${port}`,
    port,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The service as a newcomer runs it: `shiren serve` in a child process on both backends. First-run credentials,
 * the CLI beside a running server, graceful SIGTERM with a request in flight, SIGKILL mid-write and restart,
 * and start-up failures that must stop with one clear line.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { signNativeRequest } from '../src/auth/native-signature.js';
import { BACKENDS, freePort, REPO_ROOT } from './helpers.js';

const CLI = path.join(REPO_ROOT, 'src/cli/main.ts');

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'warn',
    SHIREN_ENGINE: 'off',
  };
  return { ...env, ...extra };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Server {
  child: ChildProcess;
  banner: string;
  base: string;
  exited: Promise<number | null>;
}

async function startServe(env: NodeJS.ProcessEnv, port: number): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    cwd: REPO_ROOT,
    env: { ...env, PORT: String(port) },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const banner = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Shiren is running[\s\S]*\n\n$/.test(out)) resolve(out);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, banner, base: `http://127.0.0.1:${port}`, exited };
}

function credentials(banner: string) {
  const id = /AccessKeyId\s+(\S+)/.exec(banner)?.[1];
  const secret = /AccessKeySecret\s+(\S+)/.exec(banner)?.[1];
  assert.ok(id && secret, 'banner prints the first access key');
  return { accessKeyId: id, accessKeySecret: secret };
}

async function whoami(base: string, key: { accessKeyId: string; accessKeySecret: string }) {
  const res = await fetch(`${base}/v1/whoami`, {
    headers: { authorization: `Bearer ${key.accessKeyId}:${key.accessKeySecret}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Sends a request's headers and half its body, and returns a function that sends the rest and reads the answer. */
async function startSlowRequest(base: string): Promise<() => Promise<string>> {
  const u = new URL(base);
  const socket = net.connect(Number(u.port), u.hostname);
  await new Promise((r) => socket.on('connect', r));
  const body = JSON.stringify({ slow: true });
  socket.write(
    `POST /v1/whoami HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body.slice(0, 5));
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  const closed = new Promise((r) => socket.on('close', r));
  return async () => {
    socket.end(body.slice(5));
    await closed;
    return answer;
  };
}

describe('bad settings stop the start with one clear line', () => {
  test('PORT=abc', async () => {
    const r = await run(['serve'], baseEnv({ PORT: 'abc', DATA_DIR: '/nonexistent-never-created' }));
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^shiren: invalid configuration: PORT="abc" is not a whole number/);
  });
  test('unreachable DATABASE_URL', async () => {
    const port = await freePort();
    const r = await run(
      ['serve'],
      baseEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x`, DATA_DIR: '/tmp/shiren-never' }),
    );
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^shiren: DATABASE_URL: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:\d+\/x/);
  });
});

for (const backend of BACKENDS) {
  test(`serve on ${backend.name}: first run, CLI, SIGTERM, SIGKILL, restart`, { timeout: 600_000 }, async () => {
    const { env: backendEnv, cleanup } = await backend.setup();
    const env = baseEnv(backendEnv);
    const port = await freePort();
    let server: Server | undefined;
    try {
      // First run prints URLs and credentials once.
      server = await startServe(env, port);
      assert.match(server.banner, /First run: these credentials are shown once/);
      assert.match(server.banner, /Console admin\s+username admin\s+password \S{20}/);
      assert.match(server.banner, new RegExp(`API docs\\s+http://localhost:${port}/docs`));
      const key = credentials(server.banner);
      for (const p of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
        const res = await fetch(server.base + p);
        assert.equal(res.status, 200, p);
        assert.ok(res.headers.get('x-request-id'), p);
      }
      assert.equal((await whoami(server.base, key)).status, 200);

      // The CLI beside the running server: refused with a clear message on PGlite, works on PostgreSQL.
      const during = await run(['keys', 'create', '--json'], env);
      let cliKey: { accessKeyId: string; accessKeySecret: string } | undefined;
      if (backend.name === 'pglite') {
        assert.notEqual(during.code, 0);
        assert.match(during.stderr, /held by another Shiren process \(pid \d+, shiren serve\)/);
      } else {
        assert.equal(during.code, 0, during.stderr);
        cliKey = JSON.parse(during.stdout) as typeof cliKey;
        assert.equal((await whoami(server.base, cliKey!)).status, 200, 'a key made by the CLI works at once');
      }

      // SIGTERM with a request in flight: the request is answered, then the process exits 0.
      const finish = await startSlowRequest(server.base);
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const answer = await finish();
      assert.match(answer, /^HTTP\/1\.1 404/, 'the in-flight request got its answer');
      assert.match(answer, /x-request-id/i);
      assert.equal(await server.exited, 0);
      await assert.rejects(fetch(server.base + '/healthz'), 'no longer listening');
      server = undefined;

      // The CLI works on the stopped service; the key it creates is used after a restart.
      const created = await run(['keys', 'create', '--app', 'shop', '--json'], env);
      assert.equal(created.code, 0, created.stderr);
      const shopKey = JSON.parse(created.stdout) as { accessKeyId: string; accessKeySecret: string };
      assert.deepEqual(Object.keys(shopKey).sort(), ['accessKeyId', 'accessKeySecret']);
      const listed = await run(['keys', 'list'], env);
      assert.match(listed.stdout, new RegExp(`${shopKey.accessKeyId}\\s+shop\\s+active`));
      assert.doesNotMatch(listed.stdout, new RegExp(shopKey.accessKeySecret));

      server = await startServe(env, port);
      assert.doesNotMatch(server.banner, /First run|AccessKeySecret|password/, 'secrets are printed only once');
      assert.equal((await whoami(server.base, shopKey)).body.appName, 'shop');
      assert.equal((await whoami(server.base, key)).status, 200);

      // SIGKILL while signed requests (each writes a nonce) are in flight; the service restarts cleanly.
      const inflight = Array.from({ length: 40 }, (_, i) => {
        const url = `/v1/whoami?i=${i}`;
        const authorization = signNativeRequest({ ...key, method: 'GET', url });
        return fetch(server!.base + url, { headers: { authorization } }).then(
          (r) => r.status,
          () => 0,
        );
      });
      await new Promise((r) => setTimeout(r, 15));
      server.child.kill('SIGKILL');
      await server.exited;
      await Promise.all(inflight);
      server = undefined;

      server = await startServe(env, port);
      assert.equal((await whoami(server.base, shopKey)).status, 200, 'data written before the kill is there');
      const ready = await fetch(server.base + '/readyz');
      assert.equal(ready.status, 200);
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      server = undefined;

      const disabled = await run(['keys', 'disable', shopKey.accessKeyId], env);
      assert.equal(disabled.code, 0, disabled.stderr);
      server = await startServe(env, port);
      const refused = await whoami(server.base, shopKey);
      assert.equal(refused.status, 403);
      assert.equal((refused.body.error as { code: string }).code, 'access_key_disabled');
    } finally {
      if (server) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      await cleanup();
    }
  });
}

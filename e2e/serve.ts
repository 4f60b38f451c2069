/**
 * `shiren serve` in a child process for the browser tests (as test/server.int.test.ts starts it): a fresh data
 * directory, the real face engine, the first-run access key read from the start banner, and readiness awaited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, REPO_ROOT, tempDir } from '../test/helpers.js';

const CLI = path.join(REPO_ROOT, 'src/cli/main.ts');

export interface Served {
  base: string;
  /** The start banner (first-run credentials included). */
  banner: string;
  auth: string;
  child: ChildProcess;
  /** The server's log lines at warn level and above (stdout and stderr), for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export async function serve(extraEnv: Record<string, string> = {}, readyTimeoutMs = 180_000): Promise<Served> {
  const data = tempDir('shiren-e2e-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'warn',
    DATA_DIR: data.dir,
    PORT: String(port),
    SHIREN_PUBLIC_URL: base,
    SHIREN_ENGINE: 'on',
    SHIREN_WORKERS: '1',
    ...extraEnv,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], { cwd: REPO_ROOT, env });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    data.cleanup();
  };
  try {
    const banner = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Shiren is running[\s\S]*\n\n$/.test(out)) resolve(out);
      });
      void exited.then((code) => reject(new Error(`shiren serve exited with ${code}: ${err}`)));
    });
    const id = /AccessKeyId\s+(\S+)/.exec(banner)?.[1];
    const secret = /AccessKeySecret\s+(\S+)/.exec(banner)?.[1];
    if (!id || !secret) throw new Error(`no access key in the start banner:\n${banner}`);
    // The face engine loads in the background: wait until /readyz says everything is up.
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const res = await fetch(`${base}/readyz`).catch(() => null);
      if (res?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`not ready after ${readyTimeoutMs} ms: ${await res?.text()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return { base, auth: `Bearer ${id}:${secret}`, banner, child, logs: () => out.slice(banner.length) + err, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A JSON call on the native API with the first-run key. */
export async function nativeCall<T = Record<string, unknown>>(
  s: Served,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(s.base + url, {
    method,
    headers: { authorization: s.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/**
 * The background worker of a server process: delivers due callbacks, runs retention and evaluates alert rules
 * (src/verify/alerts.ts) on interval timers that do
 * not keep the process alive (unref'd) and stop on close. Any number of processes can run it (rows are claimed with
 * `for update skip locked`).
 */
import type { CallbackSender } from './callbacks.js';
import type { Retention } from './retention.js';

export interface JobLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface JobsDeps {
  callbacks: CallbackSender;
  retention: Retention;
  /** Alert rules (src/verify/alerts.ts), evaluated every alertIntervalMs (default 60 s). */
  alerts?: { evaluate(): Promise<unknown> };
  /** Extra periodic work of the process (e.g. purging expired request nonces). */
  extra?: { name: string; run: () => Promise<unknown> }[];
  callbackIntervalMs?: number;
  retentionIntervalMs?: number;
  alertIntervalMs?: number;
  log?: JobLogger;
}

export function createJobs(deps: JobsDeps) {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  const busy = new Set<string>();

  function every(name: string, ms: number, fn: () => Promise<unknown>) {
    const tick = () => {
      if (busy.has(name)) return; // the previous run is still going
      busy.add(name);
      const p = fn()
        .catch((err: unknown) => deps.log?.warn({ err, job: name }, 'background job failed'))
        .finally(() => {
          busy.delete(name);
          running.delete(p);
        });
      running.add(p);
    };
    const timer = setInterval(tick, ms);
    timer.unref();
    timers.push(timer);
  }

  return {
    /** Runs every job once and waits (tests, and `shiren` commands that want the work done now). */
    async runOnce() {
      // Retention first: expiring a session queues its callback, which is then sent in the same pass.
      const retention = await deps.retention.runOnce();
      const callbacks = await deps.callbacks.deliverDue(100);
      for (const e of deps.extra ?? []) await e.run();
      if (deps.alerts) await deps.alerts.evaluate();
      return { callbacks, retention };
    },
    start() {
      if (timers.length > 0) return;
      every('callbacks', deps.callbackIntervalMs ?? 5_000, () => deps.callbacks.deliverDue(20));
      every('retention', deps.retentionIntervalMs ?? 60_000, () => deps.retention.runOnce());
      for (const e of deps.extra ?? []) every(e.name, deps.retentionIntervalMs ?? 60_000, e.run);
      if (deps.alerts) every('alerts', deps.alertIntervalMs ?? 60_000, () => deps.alerts!.evaluate());
    },
    /** Stops the timers and waits for runs in progress. */
    async stop() {
      for (const t of timers.splice(0)) clearInterval(t);
      await Promise.allSettled([...running]);
    },
  };
}
export type Jobs = ReturnType<typeof createJobs>;

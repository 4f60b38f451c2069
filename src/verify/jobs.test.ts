import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { CallbackSender } from './callbacks.js';
import { createJobs } from './jobs.js';
import type { Retention } from './retention.js';

function fakes(calls: string[]) {
  const callbacks = {
    deliverDue: async () => {
      calls.push('callbacks');
      return { delivered: 0, retry: 0, failed: 0 };
    },
  } as unknown as CallbackSender;
  const retention = {
    runOnce: async () => {
      calls.push('retention');
      return { expired: 0, mediaPurged: 0, sessionsPurged: 0 };
    },
  } as unknown as Retention;
  return { callbacks, retention };
}

test('runOnce: retention first (an expiry queues a callback), then callbacks', async () => {
  const calls: string[] = [];
  await createJobs(fakes(calls)).runOnce();
  assert.deepEqual(calls, ['retention', 'callbacks']);
});

test('start runs the jobs on their intervals, a failing run is logged, stop ends them', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const calls: string[] = [];
    const warned: string[] = [];
    const f = fakes(calls);
    f.retention.runOnce = async () => {
      calls.push('retention');
      throw new Error('db down');
    };
    const jobs = createJobs({
      ...f,
      callbackIntervalMs: 1000,
      retentionIntervalMs: 3000,
      log: { warn: (_o, msg) => warned.push(msg) },
    });
    jobs.start();
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(1000);
      await new Promise((r) => setImmediate(r)); // a run still going is not started twice
    }
    assert.deepEqual(calls.filter((c) => c === 'callbacks').length, 3);
    assert.deepEqual(calls.filter((c) => c === 'retention').length, 1);
    assert.deepEqual(warned, ['background job failed']);
    await jobs.stop();
    calls.length = 0;
    mock.timers.tick(10_000);
    assert.deepEqual(calls, []);
  } finally {
    mock.timers.reset();
  }
});

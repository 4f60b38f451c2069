import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createKeyring } from '../store/secret-box.js';
import { ReceiptError, attemptOfReceipt, createAttemptReceipts } from './attempt-receipt.js';
import type { AttemptView } from './sessions.js';

const receipts = createAttemptReceipts(createKeyring(randomBytes(32)));
const token = 'A'.repeat(24);
const attempt = (order: number, passed: boolean, code: string, finishedAt: string): AttemptView =>
  ({ order, passed, code, finishedAt }) as AttemptView;
const problem = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReceiptError) return err.problem;
    throw err;
  }
  return 'none';
};

test('a receipt opens to its claims; any change or another key is tampered; junk is malformed', () => {
  const claims = {
    token,
    order: 2,
    outcome: 'failed' as const,
    code: 'compare_failed',
    finishedAt: '2026-01-01T00:00:00.000Z',
  };
  const r = receipts.issue(claims);
  assert.deepEqual(receipts.open(r), claims);
  const [p, payload, mac] = r.split('.') as [string, string, string];
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), o: 'passed', c: 'ok' }),
  ).toString('base64url');
  assert.equal(
    problem(() => receipts.open(`${p}.${forged}.${mac}`)),
    'tampered',
  );
  assert.equal(
    problem(() => createAttemptReceipts(createKeyring(randomBytes(32))).open(r)),
    'tampered',
  );
  for (const junk of ['', 'x', 'sr1.a', `sr2.${payload}.${mac}`, `${r}.x`, 42, null, 'sr1.' + 'a'.repeat(2000) + '.b'])
    assert.equal(
      problem(() => receipts.open(junk)),
      'malformed',
      String(junk),
    );
});

test('attemptOfReceipt: the named, latest attempt of the same token, with the same code, outcome and time', () => {
  const t1 = '2026-01-01T00:00:00.000Z';
  const t2 = '2026-01-01T00:01:00.000Z';
  const first = receipts.issue({ token, order: 1, outcome: 'retry', code: 'compare_failed', finishedAt: t1 });
  const second = receipts.issue({ token, order: 2, outcome: 'passed', code: 'ok', finishedAt: t2 });
  const session = {
    token,
    status: 'passed' as const,
    attempts: [attempt(1, false, 'compare_failed', t1), attempt(2, true, 'ok', t2)],
  };
  assert.equal(attemptOfReceipt(receipts, session, second).attempt.order, 2);
  assert.equal(
    problem(() => attemptOfReceipt(receipts, session, first)),
    'superseded',
  );
  assert.equal(
    problem(() => attemptOfReceipt(receipts, { ...session, token: 'B'.repeat(24) }, second)),
    'other_session',
  );
  const lie = receipts.issue({ token, order: 2, outcome: 'passed', code: 'ok', finishedAt: t1 });
  assert.equal(
    problem(() => attemptOfReceipt(receipts, session, lie)),
    'unknown_attempt',
  );
  const missing = receipts.issue({ token, order: 3, outcome: 'passed', code: 'ok', finishedAt: t2 });
  assert.equal(
    problem(() => attemptOfReceipt(receipts, session, missing)),
    'unknown_attempt',
  );
  assert.equal(
    problem(() => attemptOfReceipt(receipts, { ...session, attempts: [] }, second)),
    'unknown_attempt',
  );
});

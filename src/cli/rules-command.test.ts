/** `shiren rules CHECK VALUE`: in process through commander, and once through main.ts as operators run it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { runShiren } from '../../test/helpers.js';
import { CliExit, describeFatal } from './context.js';
import { registerRulesCommand, runRuleCheck } from './rules-command.js';

async function rules(args: string[]): Promise<{ out: string; exitCode: number | undefined }> {
  const program = new Command('shiren').exitOverride();
  registerRulesCommand(program);
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const before = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'shiren', 'rules', ...args]);
    return { out: out.join(''), exitCode: process.exitCode as number | undefined };
  } finally {
    process.stdout.write = write;
    process.exitCode = before;
  }
}

test('rules id prints the verdict, warnings and info, with the number masked', async () => {
  const r = await rules(['id', '440524188001010014']);
  assert.equal(r.exitCode, undefined);
  assert.match(r.out, /^valid\nwarnings: id_region_retired\nnormalised: 440\*{11}0014\n/);
  assert.match(r.out, /\nregionName: 广东省汕头市潮阳县\n/);
  assert.doesNotMatch(r.out, /440524188001010014/);
  const bad = await rules(['id', '110105194912310021', '--json']);
  assert.equal(bad.exitCode, 1);
  const json = JSON.parse(bad.out);
  assert.deepEqual(json.reasons, ['id_checksum_invalid']);
  assert.equal(json.valid, false);
  const full = JSON.parse((await rules(['id', '110105491231002', '--json', '--unmasked'])).out);
  assert.equal(full.info.upgraded18, '11010519491231002X');
});

test('rules runs every check', async () => {
  assert.equal(
    JSON.parse((await rules(['mobile', '+86 170 0123 4567', '--json'])).out).info.originalCarrier,
    'virtual',
  );
  assert.match((await rules(['plate', '粤B·D12345'])).out, /^valid\n.*newEnergy: true/s);
  assert.equal((await rules(['vin', '1M8GDM9AXKP042788'])).exitCode, undefined);
  assert.equal((await rules(['vin', '1M8GDM9A1KP042788'])).exitCode, 1);
  assert.equal((await rules(['hk-macau-permit', 'H12345678'])).exitCode, undefined);
  assert.equal((await rules(['taiwan-permit', 'H12345678'])).exitCode, 1);
  const card = JSON.parse((await rules(['bank-card', '6228 4800 0000 0000 000', '--json'])).out);
  assert.equal(card.info.bankName, '中国农业银行');
  assert.equal(card.normalised, '622************0000');
  const validity = await rules(['validity', '2016.03.07-2036.03.07', '--birth', '1990-03-07', '--at', '2026-01-01']);
  assert.match(validity.out, /^valid\n/);
  assert.match(validity.out, /\nexpectedTerm: 20\n/);
  assert.equal(
    (await rules(['validity', '2016-03-07-长期', '--birth', '1990-03-07', '--at', '2026-01-01'])).exitCode,
    1,
  );
});

test('usage errors', async () => {
  assert.throws(
    () => runRuleCheck('validity', '2016.03.07-2036.03.07'),
    (e: CliExit) => e.code === 2,
  );
  assert.throws(() => runRuleCheck('validity', '2016.03.07', { birth: '1990-03-07' }), CliExit);
  assert.throws(() => runRuleCheck('id', '11010519491231002X', { at: 'soon' }), CliExit);
  await assert.rejects(rules(['passport', 'E12345678']), /value 'passport' is invalid/);
});

test('shiren rules through the real command line', () => {
  const r = runShiren(['rules', 'vin', '1M8GDM9AXKP042788', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).valid, true);
  // Usage errors reach main's fatal handler as CliExit: one line on stderr, exit code 2.
  let err: unknown;
  try {
    runRuleCheck('validity', '2016.03.07-长期');
  } catch (e) {
    err = e;
  }
  assert.deepEqual(describeFatal(err), { message: 'rules: validity needs --birth YYYY-MM-DD', code: 2 });
});

/**
 * CLI: `shiren rules CHECK VALUE [--json]` runs one offline identity rule check (src/verify/identity/rules) so an
 * operator can try a value. Prints valid/invalid with the reason and warning codes (docs/identity.md), or the
 * RuleResult as JSON. ID and card numbers are echoed masked unless --unmasked. Exit code 1 when the value is invalid.
 */
import { Argument, type Command } from 'commander';
import { maskIdNumber } from '../verify/identity.js';
import { CliExit } from './context.js';
import {
  checkBankCard,
  checkIdNumber,
  checkIdValidity,
  checkMobile,
  checkPlate,
  checkTravelPermit,
  checkVin,
  type RuleResult,
} from '../verify/identity/rules/index.js';

export const RULE_CHECKS = [
  'id',
  'validity',
  'hk-macau-permit',
  'taiwan-permit',
  'mobile',
  'bank-card',
  'plate',
  'vin',
] as const;
export type RuleCheck = (typeof RULE_CHECKS)[number];

interface RulesOpts {
  json?: boolean;
  birth?: string;
  at?: string;
  unmasked?: boolean;
}

/** A typed result as a plain record, for printing. */
const plain = <T>(r: RuleResult<T>): RuleResult => r as unknown as RuleResult;

/** Runs one check. `validity` takes "START-END" or "START~END" (END may be 长期) and needs opts.birth. */
export function runRuleCheck(check: RuleCheck, value: string, opts: RulesOpts = {}): RuleResult {
  const at = opts.at ? new Date(opts.at) : undefined;
  if (at && Number.isNaN(at.getTime())) throw new CliExit(`rules: --at: not a date: ${opts.at}`, 2);
  switch (check) {
    case 'id':
      return plain(checkIdNumber(value, at ? { at } : {}));
    case 'validity': {
      if (!opts.birth) throw new CliExit('rules: validity needs --birth YYYY-MM-DD', 2);
      const m = /^\s*(\S+?)\s*(?:-|~|至|—)\s*(\S+)\s*$/.exec(value.replace(/(\d{4})-(\d{2})-(\d{2})/g, '$1.$2.$3'));
      if (!m)
        throw new CliExit('rules: validity VALUE must be START-END, e.g. 2015.03.07-2035.03.07 or 2015.03.07-长期', 2);
      return plain(checkIdValidity({ start: m[1]!, end: m[2]! }, opts.birth, at ? { at } : {}));
    }
    case 'hk-macau-permit':
      return plain(checkTravelPermit(value, 'hk_macau'));
    case 'taiwan-permit':
      return plain(checkTravelPermit(value, 'taiwan'));
    case 'mobile':
      return plain(checkMobile(value));
    case 'bank-card':
      return plain(checkBankCard(value));
    case 'plate':
      return plain(checkPlate(value));
    case 'vin':
      return plain(checkVin(value));
  }
}

/** Masks the ID or card number a result echoes (normalised, upgraded18). */
function masked(check: RuleCheck, r: RuleResult): RuleResult {
  if (check !== 'id' && check !== 'bank-card') return r;
  const out: RuleResult = { ...r, info: { ...r.info } };
  if (out.normalised) out.normalised = maskIdNumber(out.normalised);
  if (typeof out.info.upgraded18 === 'string') out.info.upgraded18 = maskIdNumber(out.info.upgraded18);
  return out;
}

export function formatRuleResult(r: RuleResult): string {
  const lines = [r.valid ? 'valid' : `invalid: ${r.reasons.join(', ')}`];
  if (r.warnings.length > 0) lines.push(`warnings: ${r.warnings.join(', ')}`);
  if (r.normalised !== undefined) lines.push(`normalised: ${r.normalised}`);
  for (const [k, v] of Object.entries(r.info)) if (v !== undefined) lines.push(`${k}: ${String(v)}`);
  return lines.join('\n') + '\n';
}

export function registerRulesCommand(program: Command): void {
  program
    .command('rules')
    .description('Run an offline identity rule check on one value (see docs/identity.md for the codes)')
    .addArgument(new Argument('<check>', 'which check').choices(RULE_CHECKS))
    .argument('<value>', 'the value to check')
    .option('--json', 'print the result as JSON')
    .option('--birth <date>', 'birth date, for the validity check')
    .option('--at <date>', 'check as of this date instead of now')
    .option('--unmasked', 'print ID and card numbers in full')
    .action((check: RuleCheck, value: string, opts: RulesOpts) => {
      const raw = runRuleCheck(check, value, opts);
      const r = opts.unmasked ? raw : masked(check, raw);
      if (!r.valid) process.exitCode = 1;
      process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatRuleResult(r));
    });
}

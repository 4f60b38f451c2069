/** `shiren plans create|list`: verification plans from the command line (same validation as POST /v1/plans). */
import type { Command } from 'commander';
import { printTable } from './table.js';
import type { CompareSource, LivenessMode } from '../store/schema.js';
import { createPlanService, type FarLevel, type PlanInput } from '../verify/plans.js';
import { CliExit, withCore } from './context.js';

interface CreateOptions {
  name?: string;
  app: string;
  liveness?: string;
  compare?: string;
  threshold?: string;
  far?: string;
  actions?: string;
  json?: boolean;
}

function planInput(opts: CreateOptions): PlanInput {
  const input: PlanInput = {};
  if (opts.name !== undefined) input.name = opts.name;
  if (opts.liveness !== undefined) input.livenessMode = opts.liveness as LivenessMode;
  if (opts.compare !== undefined) input.compareSource = opts.compare as CompareSource;
  if (opts.threshold !== undefined && opts.far !== undefined)
    throw new CliExit('give either --threshold or --far, not both', 2);
  if (opts.threshold !== undefined) {
    const score = Number(opts.threshold);
    if (!Number.isFinite(score)) throw new CliExit(`--threshold ${opts.threshold}: not a number`, 2);
    input.threshold = { score };
  }
  if (opts.far !== undefined) input.threshold = { far: opts.far as FarLevel };
  if (opts.actions !== undefined) {
    const n = Number(opts.actions);
    if (!Number.isInteger(n)) throw new CliExit(`--actions ${opts.actions}: not a whole number`, 2);
    input.actionCount = n;
  }
  return input;
}

export function registerPlansCommands(program: Command) {
  const plans = program.command('plans').description('manage verification plans (what an H5 session checks)');

  plans
    .command('create')
    .description('create a plan; prints its id')
    .option('--name <name>', 'plan name', 'plan')
    .option('--app <name>', 'app (tenant) the plan belongs to; created if new', 'default')
    .option('--liveness <mode>', 'silent | action | flash | none', 'action')
    .option('--compare <source>', 'uploaded | previous | registry | none', 'none')
    .option('--threshold <score>', 'comparison threshold score 0–100 (default 70)')
    .option('--far <rate>', 'comparison threshold as a false-accept rate: 1e-3 | 1e-4 | 1e-5 | 1e-6')
    .option('--actions <n>', 'actions per challenge, 1–4 (default 2)')
    .option('--json', 'print {"planId": …} as JSON')
    .action(async (opts: CreateOptions) => {
      const input = planInput(opts);
      const { plan, callbackSecret, appName } = await withCore('shiren plans create', async (core) => {
        const app = await core.accessKeys.ensureApp(opts.app);
        const service = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
        return { ...(await service.create(app.id, input, 'cli')), appName: app.name };
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ planId: plan.id, ...(callbackSecret ? { callbackSecret } : {}) }) + '\n');
        return;
      }
      process.stdout.write(
        `plan ${plan.id} "${plan.name}" (app ${appName}): liveness ${plan.livenessMode}` +
          (plan.livenessMode === 'action' ? ` (${plan.actionCount} actions)` : '') +
          `, compare ${plan.compareSource}, threshold ${plan.threshold.score}` +
          (plan.threshold.far ? ` (FAR ${plan.threshold.far})` : '') +
          `, ${plan.maxAttempts} attempts\n`,
      );
    });

  plans
    .command('list')
    .description('list plans of every app')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withCore('shiren plans list', async (core) => {
        const service = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring });
        const apps = new Map((await core.repos.apps.list()).map((a) => [a.id, a.name]));
        return (await service.listAll()).map((p) => ({ ...p, appName: apps.get(p.appId) ?? p.appId }));
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        return;
      }
      const rows = [['id', 'app', 'name', 'liveness', 'compare', 'threshold', 'attempts', 'state']];
      for (const p of list)
        rows.push([
          String(p.id),
          p.appName,
          p.name,
          p.livenessMode === 'action' ? `action×${p.actionCount}` : p.livenessMode,
          p.compareSource,
          String(p.threshold.score),
          String(p.maxAttempts),
          p.disabled ? 'disabled' : 'active',
        ]);
      printTable(rows);
    });
}

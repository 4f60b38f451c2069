/**
 * `shiren registry import FILE.csv | list | delete ID`: the identity registry from the command line (docs/identity.md).
 * The import shows a progress bar on stderr and reports rejected rows by line; the photo column may hold a file path
 * (relative to the CSV file) or base64.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { createProgress } from '../bench/progress.js';
import type { Core } from '../core.js';
import { createIdentityChecks, type IdentitySettingsInput } from '../verify/identity/checks.js';
import type { IdentityProviderName } from '../store/schema.js';
import { createRegistryService } from '../verify/identity/registry.js';
import { decodeBase64Image } from '../verify/sessions.js';
import { CliExit, withCore } from './context.js';
import { printTable } from './table.js';

function registryOf(core: Core) {
  return createRegistryService({
    repo: core.repos.registry,
    keyring: core.keyring,
    blobs: core.blobs,
    maxPhotoBytes: core.config.engine.maxImageBytes,
  });
}

async function appId(core: Core, name: string): Promise<string> {
  return (await core.accessKeys.ensureApp(name)).id;
}

export function registerRegistryCommands(program: Command) {
  const registry = program.command('registry').description('the identity registry (people, phones, cards, vehicles)');

  registry
    .command('import <file>')
    .description(
      'import people from a CSV file with a header row: name,id_number (required), mobile, bank_card, plate, vehicle_type, vin, valid_from, valid_to, photo (path or base64)',
    )
    .option('--app <name>', 'app (tenant) whose registry receives the rows; created if new', 'default')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { app: string; json?: boolean }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new CliExit(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 66);
      }
      const dir = path.dirname(path.resolve(file));
      const report = await withCore('shiren registry import', async (core) => {
        const service = registryOf(core);
        const max = core.config.engine.maxImageBytes;
        let progress: ReturnType<typeof createProgress> | undefined;
        const r = await service.importCsv(await appId(core, opts.app), text, {
          photo: async (v) => {
            if (v.startsWith('data:') || (v.length > 256 && /^[A-Za-z0-9+/=\s_-]+$/.test(v)))
              return decodeBase64Image('photo', v, max);
            const p = path.resolve(dir, v);
            try {
              return await readFile(p);
            } catch (err) {
              throw new Error(`cannot read ${v} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
            }
          },
          onRow: (done, total) => {
            progress ??= createProgress('import', total);
            progress.tick();
            if (done === total) progress.done();
          },
        });
        return r;
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        process.stdout.write(
          `${report.rows} rows: ${report.created} added, ${report.updated} replaced, ${report.rejected.length} rejected\n`,
        );
        if (report.ignoredColumns.length)
          process.stdout.write(`ignored columns: ${report.ignoredColumns.join(', ')}\n`);
        for (const r of report.rejected) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
      }
      if (report.rejected.length > 0 && report.created + report.updated === 0) process.exitCode = 1;
    });

  registry
    .command('list')
    .description('list the registry (masked)')
    .option('--app <name>', 'app (tenant)', 'default')
    .option('--limit <n>', 'at most this many people', '50')
    .option('--json', 'print JSON')
    .action(async (opts: { app: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliExit(`--limit ${opts.limit}: a whole number ≥ 1`, 2);
      const page = await withCore('shiren registry list', async (core) =>
        registryOf(core).list(await appId(core, opts.app), { limit }),
      );
      if (opts.json) {
        process.stdout.write(JSON.stringify(page, null, 2) + '\n');
        return;
      }
      const rows = [['id', 'name', 'id number', 'mobile', 'bank card', 'plate', 'photo']];
      for (const p of page.people)
        rows.push([p.id, p.name, p.idNumber, p.mobile ?? '', p.bankCard ?? '', p.plate ?? '', p.photo ? 'yes' : '']);
      printTable(rows);
      process.stdout.write(`${page.total} people\n`);
    });

  registry
    .command('delete <id>')
    .description('delete one person with its look-up keys and its photo')
    .option('--app <name>', 'app (tenant)', 'default')
    .action(async (id: string, opts: { app: string }) => {
      const r = await withCore('shiren registry delete', async (core) =>
        registryOf(core).delete(await appId(core, opts.app), id),
      );
      process.stdout.write(`deleted ${id} (${r.blobs} blob${r.blobs === 1 ? '' : 's'})\n`);
    });

  program
    .command('identity-settings')
    .description(
      "show or change an app's identity provider settings: the default provider and the http upstream (operator only: the native API cannot set the upstream)",
    )
    .option('--app <name>', 'app (tenant)', 'default')
    .option('--provider <name>', 'default provider: registry | http | none')
    .option('--http-url <url>', 'the upstream URL of the http provider (docs/identity.md "Upstream protocol")')
    .option('--http-authorization <value>', 'Authorization header sent to the upstream (stored encrypted)')
    .option('--http-timeout-ms <n>', 'timeout of one upstream call, default 5000')
    .option('--http-failures <n>', 'consecutive failures that open the circuit, default 5')
    .option('--http-cooldown-ms <n>', 'time the circuit stays open before one trial call, default 30000')
    .option('--no-http', 'remove the http upstream')
    .action(
      async (opts: {
        app: string;
        provider?: string;
        httpUrl?: string;
        httpAuthorization?: string;
        httpTimeoutMs?: string;
        httpFailures?: string;
        httpCooldownMs?: string;
        http: boolean;
      }) => {
        const num = (name: string, v: string | undefined) => {
          if (v === undefined) return undefined;
          if (!/^\d+$/.test(v)) throw new CliExit(`--${name} ${v}: a whole number`, 2);
          return Number(v);
        };
        const input: IdentitySettingsInput = {};
        if (opts.provider !== undefined) input.defaultProvider = opts.provider as IdentityProviderName;
        if (!opts.http) input.http = null;
        else if (opts.httpUrl !== undefined) {
          const timeoutMs = num('http-timeout-ms', opts.httpTimeoutMs);
          const failureThreshold = num('http-failures', opts.httpFailures);
          const cooldownMs = num('http-cooldown-ms', opts.httpCooldownMs);
          input.http = {
            url: opts.httpUrl,
            ...(opts.httpAuthorization !== undefined ? { authorization: opts.httpAuthorization } : {}),
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
            ...(failureThreshold !== undefined ? { failureThreshold } : {}),
            ...(cooldownMs !== undefined ? { cooldownMs } : {}),
          };
        } else if (opts.httpAuthorization || opts.httpTimeoutMs || opts.httpFailures || opts.httpCooldownMs)
          throw new CliExit('the --http-* options need --http-url', 2);
        const view = await withCore('shiren identity-settings', async (core) => {
          const checks = createIdentityChecks({
            registry: registryOf(core).provider,
            settings: core.repos.settings,
            plans: core.repos.plans,
            keyring: core.keyring,
          });
          const id = await appId(core, opts.app);
          return Object.keys(input).length ? checks.setSettings(id, input) : checks.getSettings(id);
        });
        process.stdout.write(JSON.stringify(view, null, 2) + '\n');
      },
    );
}

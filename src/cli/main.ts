#!/usr/bin/env node
/** The `shiren` command line. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../app.js';
import { serveForever } from '../server.js';
import { config, describeFatal, withCore } from './context.js';
import { registerBenchCommand } from './bench-command.js';
import { registerFaceCommands } from './face-commands.js';
import { registerKeysCommands } from './keys-commands.js';
import { registerObjectsCommands } from './objects-commands.js';
import { registerPlansCommands } from './plans-commands.js';
import { registerRegistryCommands } from './registry-commands.js';
import { registerRulesCommand } from './rules-command.js';

export function buildProgram(): Command {
  const program = new Command('shiren')
    .description('Shiren: self-hosted real-person identity verification')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('migrate the database and serve HTTP (settings from the environment: see docs/configuration.md)')
    .action(async () => {
      await serveForever(config());
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const applied = await withCore('shiren migrate', async (core) => {
        // openCore already migrated; report the state.
        const rows = await core.store.db
          .selectFrom('kysely_migration' as never)
          .select('name' as never)
          .execute();
        return { kind: core.store.kind, location: core.store.location, count: rows.length };
      });
      process.stdout.write(
        `database ${applied.kind} ${applied.location}: ${applied.count} migrations applied, schema up to date\n`,
      );
    });

  registerKeysCommands(program);
  registerObjectsCommands(program);
  registerPlansCommands(program);
  registerRegistryCommands(program);
  registerFaceCommands(program);
  registerBenchCommand(program);
  registerRulesCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const { message, code } = describeFatal(err);
    process.stderr.write(`shiren: ${message}\n`);
    process.exitCode = code;
  }
}

await main(process.argv);

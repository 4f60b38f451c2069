import type { Command } from 'commander';
import { printTable } from './table.js';
import { withCore } from './context.js';

export function registerKeysCommands(program: Command) {
  const keys = program
    .command('keys')
    .description('manage access keys (AccessKeyId / AccessKeySecret pairs of an app)');

  keys
    .command('create')
    .description('create an access key; the secret is printed once')
    .option('--app <name>', 'app (tenant) the key belongs to; created if new', 'default')
    .option('--json', 'print {"accessKeyId","accessKeySecret"} as JSON')
    .action(async (opts: { app: string; json?: boolean }) => {
      const key = await withCore('shiren keys create', (core) =>
        core.accessKeys.create({ app: opts.app, actor: 'cli' }),
      );
      if (opts.json) {
        process.stdout.write(
          JSON.stringify({ accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret }) + '\n',
        );
      } else {
        process.stdout.write(
          `app              ${key.appName}\nAccessKeyId      ${key.accessKeyId}\nAccessKeySecret  ${key.accessKeySecret}\n` +
            'The secret is shown only now; store it safely.\n',
        );
      }
    });

  keys
    .command('list')
    .description('list access keys (secrets are never shown)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withCore('shiren keys list', (core) => core.accessKeys.list());
      if (opts.json) {
        process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        return;
      }
      const rows = [['AccessKeyId', 'app', 'status', 'created', 'last used']];
      for (const k of list)
        rows.push([k.accessKeyId, k.appName, k.status, k.createdAt.slice(0, 19), k.lastUsedAt?.slice(0, 19) ?? '-']);
      printTable(rows);
    });

  keys
    .command('disable')
    .description('disable an access key: requests signed with it are refused from now on')
    .argument('<accessKeyId>')
    .action(async (id: string) => {
      await withCore('shiren keys disable', (core) => core.accessKeys.disable(id, 'cli'));
      process.stdout.write(`disabled ${id}\n`);
    });
}

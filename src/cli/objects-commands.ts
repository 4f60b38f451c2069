/**
 * `shiren objects put|list|delete`: an app's object area, which Cloudauth's OssBucketName + OssObjectName picture
 * inputs read (docs/image-sources.md).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { createImageSources } from '../verify/image-source.js';
import type { Core } from '../core.js';
import { CliExit, withCore } from './context.js';
import { printTable } from './table.js';

async function sourcesFor(core: Core, appName: string) {
  const app = await core.repos.apps.findByName(appName);
  if (!app) throw new CliExit(`no app named ${JSON.stringify(appName)} (shiren keys list shows the apps)`, 1);
  const sources = createImageSources({
    policy: { ...core.config.imageFetch, maxBytes: core.config.engine.maxImageBytes },
    blobs: core.blobs,
  });
  return { appId: app.id, sources };
}

export function registerObjectsCommands(program: Command) {
  const objects = program
    .command('objects')
    .description("an app's object area: pictures that Cloudauth OssBucketName/OssObjectName inputs name");

  objects
    .command('put BUCKET OBJECT FILE')
    .description('store FILE as OBJECT in BUCKET of the app')
    .option('--app <name>', 'the app', 'default')
    .action(async (bucket: string, object: string, file: string, opts: { app: string }) => {
      const data = await readFile(path.resolve(file)).catch((err: NodeJS.ErrnoException) => {
        throw new CliExit(`cannot read ${file} (${err.code ?? err.message})`, 66);
      });
      const stored = await withCore('shiren objects put', async (core) => {
        const { appId, sources } = await sourcesFor(core, opts.app);
        return sources.putObject(appId, bucket, object, data);
      });
      process.stdout.write(`stored ${bucket}/${object} (${stored.size} bytes) for app ${opts.app}\n`);
    });

  objects
    .command('list BUCKET')
    .description('list the objects of BUCKET of the app')
    .option('--app <name>', 'the app', 'default')
    .option('--json', 'print JSON')
    .action(async (bucket: string, opts: { app: string; json?: boolean }) => {
      const list = await withCore('shiren objects list', async (core) => {
        const { appId, sources } = await sourcesFor(core, opts.app);
        return sources.listObjects(appId, bucket);
      });
      if (opts.json) process.stdout.write(JSON.stringify(list) + '\n');
      else printTable([['object', 'bytes stored'], ...list.map((o) => [o.object, String(o.size)])]);
    });

  objects
    .command('delete BUCKET OBJECT')
    .description('delete OBJECT from BUCKET of the app')
    .option('--app <name>', 'the app', 'default')
    .action(async (bucket: string, object: string, opts: { app: string }) => {
      const deleted = await withCore('shiren objects delete', async (core) => {
        const { appId, sources } = await sourcesFor(core, opts.app);
        return sources.deleteObject(appId, bucket, object);
      });
      if (!deleted) throw new CliExit(`no object ${bucket}/${object} for app ${opts.app}`, 1);
      process.stdout.write(`deleted ${bucket}/${object}\n`);
    });
}

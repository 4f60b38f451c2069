/**
 * Size of the database for the console's storage usage (docs/console.md, "Settings"): `pg_database_size` on
 * PostgreSQL; on the embedded PGlite, the bytes of the files under DATA_DIR/pg (the database cluster directory,
 * write-ahead log included).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { Store } from './db.js';

export interface DatabaseSize {
  kind: Store['kind'];
  bytes: number;
  /** How it was measured. */
  method: 'pg_database_size' | 'directory';
  /** Files counted (directory method only). */
  files?: number;
}

/** Sums the sizes of the regular files under dir (0 when it does not exist); symbolic links are not followed. */
export async function directorySize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        try {
          bytes += (await stat(p)).size;
          files++;
        } catch (err) {
          // A file removed while walking (a WAL segment recycled) is simply not counted.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
  }
  return { bytes, files };
}

export async function databaseSize(store: Pick<Store, 'db' | 'kind'>, dataDir: string): Promise<DatabaseSize> {
  if (store.kind === 'postgres') {
    const r = await sql<{ bytes: string }>`select pg_database_size(current_database())::text as bytes`.execute(
      store.db,
    );
    return { kind: 'postgres', bytes: Number(r.rows[0]?.bytes ?? 0), method: 'pg_database_size' };
  }
  const { bytes, files } = await directorySize(path.join(dataDir, 'pg'));
  return { kind: 'pglite', bytes, method: 'directory', files };
}

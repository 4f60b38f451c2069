/**
 * Embedded PGlite can be opened by one process only. The process that opens it writes DATA_DIR/shiren.lock with its pid;
 * another process that finds a live pid there refuses with DataDirBusyError. A lock left by a killed process (pid gone)
 * is taken over, so a server killed with SIGKILL restarts cleanly.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly holder: string,
  ) {
    super(
      `the embedded database in ${dataDir} is held by another Shiren process (pid ${pid}, ${holder}); ` +
        'stop it first, or set DATABASE_URL to use PostgreSQL, where the CLI and the server can run side by side',
    );
    this.name = 'DataDirBusyError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string, holder: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'shiren.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let info: { pid?: unknown; holder?: unknown } = {};
      try {
        info = JSON.parse(readFileSync(file, 'utf8')) as typeof info;
      } catch {
        // half-written or unreadable lock file: treat as stale
      }
      const pid = typeof info.pid === 'number' ? info.pid : NaN;
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new DataDirBusyError(dataDir, pid, typeof info.holder === 'string' ? info.holder : 'unknown');
      }
      try {
        unlinkSync(file);
      } catch {
        // another process removed it first
      }
      continue;
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, holder, since: new Date().toISOString() }));
    closeSync(fd);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        try {
          const info = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
          if (info.pid === process.pid) unlinkSync(file);
        } catch {
          // already gone
        }
      },
    };
  }
  throw new Error(`could not lock ${dataDir}`);
}

/** Shared plumbing for CLI commands: configuration, opening the core, and one-line fatal errors. */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openCore, MasterKeyMismatchError, type Core } from '../core.js';
import { isShirenError } from '../errors.js';
import { DataDirBusyError } from '../store/data-dir-lock.js';
import { DatabaseUnavailableError } from '../store/db.js';

export class CliExit extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export function config(): Readonly<Config> {
  return loadConfig();
}

/** Opens the core for a command and always closes it. */
export async function withCore<T>(holder: string, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCore(config(), { holder });
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** Turns any failure into one clear line on stderr and an exit code ≠ 0. */
export function describeFatal(err: unknown): { message: string; code: number } {
  if (err instanceof CliExit) return { message: err.message, code: err.code };
  if (err instanceof ConfigError) return { message: err.message, code: 78 };
  if (err instanceof DataDirBusyError) return { message: err.message, code: 75 };
  if (err instanceof DatabaseUnavailableError || err instanceof MasterKeyMismatchError)
    return { message: err.message, code: 69 };
  if (isShirenError(err)) return { message: `${err.reason}: ${err.message}`, code: 1 };
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e?.code === 'EADDRINUSE') return { message: `cannot listen: address in use (${e.message})`, code: 69 };
  if (e?.code === 'EACCES') return { message: `permission denied: ${e.message}`, code: 77 };
  return { message: e?.message ?? String(err), code: 1 };
}

/**
 * The master key encrypts every secret and personal field at rest. It comes from SHIREN_MASTER_KEY, or is generated
 * once into DATA_DIR/master.key (32 random bytes, mode 0600). Losing it makes the encrypted data unreadable: back it up
 * with the database, separately from it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface MasterKeySource {
  key: Buffer;
  /** 'env' = SHIREN_MASTER_KEY, 'file' = existing file, 'generated' = created now. */
  origin: 'env' | 'file' | 'generated';
  file?: string;
}

export function loadMasterKey(dataDir: string, fromEnv: Buffer | undefined): MasterKeySource {
  if (fromEnv) return { key: fromEnv, origin: 'env' };
  const file = path.join(dataDir, 'master.key');
  const read = (): Buffer => {
    const key = readFileSync(file);
    if (key.length !== 32) throw new Error(`${file} must hold exactly 32 bytes (found ${key.length})`);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return key;
  };
  try {
    return { key: read(), origin: 'file', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  // Write a temp file, then hard-link it into place: the link fails if another process won the race, and a crash
  // never leaves a short key file behind.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, randomBytes(32), { mode: 0o600, flush: true });
  try {
    linkSync(tmp, file);
    return { key: read(), origin: 'generated', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { key: read(), origin: 'file', file };
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

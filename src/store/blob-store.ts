/**
 * Blob storage for images and exports. Keys are relative paths of safe segments ("sessions/vs_x/best.jpg").
 * The filesystem store is the default; an S3-compatible store implements the same interface.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface BlobInfo {
  key: string;
  size: number;
}

export interface BlobStore {
  put(key: string, data: Uint8Array): Promise<BlobInfo>;
  /** The blob's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  exists(key: string): Promise<boolean>;
  /** Deletes the blob; true when something was deleted. */
  delete(key: string): Promise<boolean>;
  /** Deletes every blob under the prefix; the number deleted. */
  deletePrefix(prefix: string): Promise<number>;
  list(prefix: string): Promise<BlobInfo[]>;
  /** Total bytes stored (for the console's storage usage). */
  usage(): Promise<{ blobs: number; bytes: number }>;
  /**
   * Blobs and bytes by first key segment ("sessions", "exports", …), with the number of distinct second segments
   * (sessions/<id>/…: sessions with media), in one pass. Optional: without it the console lists each area.
   */
  usageByArea?(): Promise<Record<string, AreaTotals>>;
}

export interface AreaTotals {
  blobs: number;
  bytes: number;
  /** Distinct second key segments that hold blobs. */
  groups: number;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class InvalidBlobKeyError extends Error {
  constructor(key: string) {
    super(`invalid blob key ${JSON.stringify(key)}`);
    this.name = 'InvalidBlobKeyError';
  }
}

export function validateBlobKey(key: string, { prefix = false } = {}): string[] {
  const parts = key.split('/');
  if (prefix && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 16 || !parts.every((p) => SEGMENT.test(p) && p !== '..' && p !== '.')) {
    throw new InvalidBlobKeyError(key);
  }
  return parts;
}

/**
 * Files under ROOT/objects/<key>. A put writes ROOT/tmp/<random>, fsyncs it, renames it over the target (atomic on
 * one filesystem) and fsyncs the directory, so a reader sees the old blob or the whole new one, never a partial file.
 * Temp files left by a crash are removed when the store opens.
 */
export async function createFsBlobStore(root: string): Promise<BlobStore> {
  const objects = path.join(root, 'objects');
  const tmpDir = path.join(root, 'tmp');
  await mkdir(objects, { recursive: true });
  await mkdir(tmpDir, { recursive: true });
  for (const leftover of await readdir(tmpDir)) await rm(path.join(tmpDir, leftover), { force: true });

  const fileOf = (key: string) => path.join(objects, ...validateBlobKey(key));

  async function fsyncDir(dir: string) {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async function walk(dir: string, rel: string, out: BlobInfo[]) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(dir, e.name), childRel, out);
      else if (e.isFile()) out.push({ key: childRel, size: (await stat(path.join(dir, e.name))).size });
    }
  }

  const store: BlobStore = {
    async put(key, data) {
      const target = fileOf(key);
      const tmp = path.join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(data);
        await fh.sync();
      } catch (err) {
        await fh.close();
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      await fh.close();
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await rename(tmp, target);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      await fsyncDir(path.dirname(target));
      return { key, size: data.byteLength };
    },
    async get(key) {
      try {
        return await readFile(fileOf(key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async exists(key) {
      try {
        return (await stat(fileOf(key))).isFile();
      } catch {
        return false;
      }
    },
    async delete(key) {
      try {
        await unlink(fileOf(key));
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    },
    async deletePrefix(prefix) {
      const items = await store.list(prefix);
      let n = 0;
      for (const item of items) if (await store.delete(item.key)) n++;
      const dir = path.join(objects, ...validateBlobKey(prefix, { prefix: true }));
      await rm(dir, { recursive: true, force: true });
      return n;
    },
    async list(prefix) {
      const parts = validateBlobKey(prefix, { prefix: true });
      const out: BlobInfo[] = [];
      await walk(path.join(objects, ...parts), parts.join('/'), out);
      return out.sort((a, b) => a.key.localeCompare(b.key));
    },
    async usage() {
      const out: BlobInfo[] = [];
      await walk(objects, '', out);
      return { blobs: out.length, bytes: out.reduce((s, b) => s + b.size, 0) };
    },
    async usageByArea() {
      // Breadth first, 16 directories at a time, the files of one directory stat'ed together (a plain sequential
      // walk took 2–4 s for 10,000 blobs on the loaded 2-core test machine).
      const areas: Record<string, AreaTotals> = {};
      const groups = new Map<string, Set<string>>();
      const add = (parts: string[], size: number) => {
        const top = parts[0]!;
        const a = (areas[top] ??= { blobs: 0, bytes: 0, groups: 0 });
        a.blobs++;
        a.bytes += size;
        if (parts.length > 2) {
          const g = groups.get(top) ?? new Set<string>();
          groups.set(top, g.add(parts[1]!));
        }
      };
      async function visit(rel: string[]): Promise<string[][]> {
        let entries;
        try {
          entries = await readdir(path.join(objects, ...rel), { withFileTypes: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw err;
        }
        const dirs: string[][] = [];
        const files: Promise<void>[] = [];
        for (const e of entries) {
          const parts = [...rel, e.name];
          if (e.isDirectory()) dirs.push(parts);
          else if (e.isFile())
            files.push(
              stat(path.join(objects, ...parts)).then(
                (st) => add(parts, st.size),
                (err: NodeJS.ErrnoException) => {
                  if (err.code !== 'ENOENT') throw err; // deleted while walking: not counted
                },
              ),
            );
        }
        await Promise.all(files);
        return dirs;
      }
      let level: string[][] = [[]];
      while (level.length > 0) {
        const next: string[][] = [];
        for (let i = 0; i < level.length; i += 16)
          for (const dirs of await Promise.all(level.slice(i, i + 16).map(visit))) next.push(...dirs);
        level = next;
      }
      for (const [top, g] of groups) areas[top]!.groups = g.size;
      return areas;
    },
  };
  return store;
}

/**
 * Storage usage for the console (docs/console.md, "Settings"): objects and bytes of the blob store by area, and the
 * database size. The blob figures come from the store itself (the filesystem store walks DATA_DIR/blobs once,
 * BlobStore.usageByArea; a store without that is asked for the list of each area), so they are the stored (sealed)
 * sizes. A walk costs
 * time in proportion to the number of blobs, so one result is kept for cacheMs (60 s) and shared by concurrent
 * callers; `fresh` asks for a new one (still one computation at a time).
 */
import type { BlobStore } from '../store/blob-store.js';
import type { DatabaseSize } from '../store/storage-size.js';

/** The blob-key areas: sessions/<id>/ (audit frames, reference photos), exports/, oss/ (objects), registry/. */
export const STORAGE_AREAS = ['sessions', 'exports', 'oss', 'registry'] as const;
export type StorageArea = (typeof STORAGE_AREAS)[number] | 'other';

export interface AreaUsage {
  area: StorageArea;
  objects: number;
  bytes: number;
  /** Distinct sessions with media (sessions area only). */
  sessions?: number;
}

export interface StorageUsage {
  computedAt: string;
  /** Time the computation took, ms. */
  durationMs: number;
  blobs:
    | { available: true; areas: AreaUsage[]; total: { objects: number; bytes: number } }
    | { available: false; reason: string };
  database: ({ available: true } & DatabaseSize) | { available: false; reason: string };
}

export interface StorageUsageDeps {
  blobs: Pick<BlobStore, 'list' | 'usage' | 'usageByArea'>;
  databaseSize: () => Promise<DatabaseSize>;
  now?: () => Date;
  /** How long one result is reused, ms (default 60 000). */
  cacheMs?: number;
}

export function createStorageUsage(deps: StorageUsageDeps) {
  const now = deps.now ?? (() => new Date());
  const cacheMs = deps.cacheMs ?? 60_000;
  let last: { at: number; value: StorageUsage } | undefined;
  let running: Promise<StorageUsage> | undefined;

  async function blobUsage(): Promise<StorageUsage['blobs']> {
    const areas: AreaUsage[] = [];
    if (deps.blobs.usageByArea) {
      // One pass over the store.
      const by = await deps.blobs.usageByArea();
      const other = { objects: 0, bytes: 0 };
      for (const area of STORAGE_AREAS) {
        const a = by[area] ?? { blobs: 0, bytes: 0, groups: 0 };
        areas.push({
          area,
          objects: a.blobs,
          bytes: a.bytes,
          ...(area === 'sessions' ? { sessions: a.groups } : {}),
        });
      }
      for (const [top, a] of Object.entries(by))
        if (!(STORAGE_AREAS as readonly string[]).includes(top)) {
          other.objects += a.blobs;
          other.bytes += a.bytes;
        }
      areas.push({ area: 'other', ...other });
    } else {
      // A store without it: list each area, and take "other" as the rest of the store's total.
      for (const area of STORAGE_AREAS) {
        const items = await deps.blobs.list(area);
        const a: AreaUsage = { area, objects: items.length, bytes: items.reduce((n, b) => n + b.size, 0) };
        if (area === 'sessions') a.sessions = new Set(items.map((b) => b.key.split('/')[1])).size;
        areas.push(a);
      }
      const total = await deps.blobs.usage();
      const known = areas.reduce((n, a) => ({ objects: n.objects + a.objects, bytes: n.bytes + a.bytes }), {
        objects: 0,
        bytes: 0,
      });
      areas.push({
        area: 'other',
        objects: Math.max(0, total.blobs - known.objects),
        bytes: Math.max(0, total.bytes - known.bytes),
      });
    }
    const total = areas.reduce((n, a) => ({ objects: n.objects + a.objects, bytes: n.bytes + a.bytes }), {
      objects: 0,
      bytes: 0,
    });
    return { available: true, areas, total };
  }

  async function compute(): Promise<StorageUsage> {
    const started = Date.now();
    const [blobs, database] = await Promise.all([
      blobUsage().catch((err: unknown): StorageUsage['blobs'] => ({
        available: false,
        reason: `the blob store could not be listed (${(err as Error).message})`,
      })),
      deps
        .databaseSize()
        .then((d): StorageUsage['database'] => ({ available: true, ...d }))
        .catch((err: unknown): StorageUsage['database'] => ({
          available: false,
          reason: `the size could not be read (${(err as Error).message})`,
        })),
    ]);
    return { computedAt: now().toISOString(), durationMs: Date.now() - started, blobs, database };
  }

  return {
    async get(opts: { fresh?: boolean } = {}): Promise<StorageUsage & { cached: boolean }> {
      if (!opts.fresh && last && Date.now() - last.at < cacheMs) return { ...last.value, cached: true };
      running ??= compute()
        .then((value) => {
          last = { at: Date.now(), value };
          return value;
        })
        .finally(() => {
          running = undefined;
        });
      return { ...(await running), cached: false };
    },
  };
}
export type StorageUsageService = ReturnType<typeof createStorageUsage>;

/**
 * Storage usage for the console (docs/console.md, "Settings"): objects and bytes of the blob store by area, and the
 * database size. The blob figures come from the store's own listing (BlobStore.list and usage: the filesystem store
 * walks DATA_DIR/blobs; any other store answers with its list), so they are the stored (sealed) sizes. A walk costs
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
  blobs: Pick<BlobStore, 'list' | 'usage'>;
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
    let objects = 0;
    let bytes = 0;
    for (const area of STORAGE_AREAS) {
      const items = await deps.blobs.list(area);
      const a: AreaUsage = { area, objects: items.length, bytes: items.reduce((s, b) => s + b.size, 0) };
      if (area === 'sessions') a.sessions = new Set(items.map((b) => b.key.split('/')[1])).size;
      areas.push(a);
      objects += a.objects;
      bytes += a.bytes;
    }
    const total = await deps.blobs.usage();
    // Whatever lies outside the known areas (a blob written between the two walks can make this briefly off by one).
    areas.push({ area: 'other', objects: Math.max(0, total.blobs - objects), bytes: Math.max(0, total.bytes - bytes) });
    return {
      available: true,
      areas,
      total: { objects: Math.max(total.blobs, objects), bytes: Math.max(total.bytes, bytes) },
    };
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

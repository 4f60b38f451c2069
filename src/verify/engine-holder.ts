/** Loads the face engine in the background so the server can listen (and report not-ready) meanwhile. */
import type { FaceEngine, FaceEngineOptions } from '../engine/index.js';
import type { EngineHolder } from './face-service.js';

export interface LoadingEngine extends EngineHolder {
  /** Resolves when loading has finished (successfully or not). */
  loaded: Promise<void>;
  close(): Promise<void>;
}

export function loadEngineInBackground(
  enabled: boolean,
  create: (opts: FaceEngineOptions) => Promise<FaceEngine>,
  opts: FaceEngineOptions,
  onError: (err: unknown) => void,
): LoadingEngine {
  let engine: FaceEngine | undefined;
  let status: 'loading' | 'ready' | 'disabled' | 'failed' = enabled ? 'loading' : 'disabled';
  let detail: string | undefined;
  let closed = false;
  const loaded = enabled
    ? create(opts).then(
        async (e) => {
          if (closed) return void (await e.close());
          engine = e;
          status = 'ready';
        },
        (err: unknown) => {
          status = 'failed';
          detail = err instanceof Error ? err.message : String(err);
          onError(err);
        },
      )
    : Promise.resolve();
  return {
    loaded,
    current: () => engine,
    state: () => ({ status, ...(detail ? { detail } : {}) }),
    async close() {
      closed = true;
      await loaded;
      await engine?.close();
      engine = undefined;
    },
  };
}

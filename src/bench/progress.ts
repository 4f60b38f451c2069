/** A progress bar with rate and ETA on stderr (a line every 10 s when stderr is not a terminal). */

export interface Progress {
  tick(n?: number): void;
  done(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function renderProgress(label: string, done: number, total: number, elapsedSec: number, width = 24): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  const rate = elapsedSec > 0 ? done / elapsedSec : 0;
  const eta = rate > 0 ? (total - done) / rate : Infinity;
  return (
    `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ` +
    `${(frac * 100).toFixed(1)}% ${rate.toFixed(1)}/s ETA ${formatDuration(eta)}`
  );
}

export function createProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = () => performance.now(),
): Progress {
  const start = now();
  const tty = stream.isTTY === true;
  let count = 0;
  let last = -Infinity;
  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - last < (tty ? 250 : 10_000)) return;
    last = t;
    const line = renderProgress(label, count, total, (t - start) / 1000);
    stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  return {
    tick(n = 1) {
      count += n;
      draw(false);
    },
    done() {
      draw(true);
      if (tty) stream.write('\n');
    },
  };
}

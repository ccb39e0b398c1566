import type { BatchStatus } from './api-types';

/** Requests of the batch that reached a final state. */
export function finishedOf(status: BatchStatus): number {
  return status.counts.succeeded + status.counts.failed;
}

/**
 * Whether the batch is done: the proxy's `complete` when it reports one, else every accepted
 * request final (a proxy without `complete` cannot say whether intake is still under way).
 */
export function isComplete(status: BatchStatus): boolean {
  return status.complete ?? finishedOf(status) >= status.total;
}

interface Sample {
  readonly atMs: number;
  readonly finished: number;
}

/**
 * Finished requests per second over a sliding window, so that one slow poll or one burst does
 * not make the rate (and the ETA) jump about.
 */
export class RateMeter {
  private readonly samples: Sample[] = [];

  /** @param windowMs how far back the rate looks; @param minSpanMs the shortest span it reports a rate for. */
  constructor(
    private readonly windowMs = 10_000,
    private readonly minSpanMs = 1_000,
  ) {}

  /** Records the finished count at a moment (moments never go back). */
  add(atMs: number, finished: number): void {
    this.samples.push({ atMs, finished });
    // Keep one sample at or before the window's start, so the span covers the whole window.
    while (this.samples.length > 2 && (this.samples[1] as Sample).atMs <= atMs - this.windowMs) this.samples.shift();
  }

  /** Finished requests per second; undefined until the samples span `minSpanMs`. */
  rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first === undefined || last === undefined || last.atMs - first.atMs < this.minSpanMs) return undefined;
    return Math.max(0, last.finished - first.finished) / ((last.atMs - first.atMs) / 1000);
  }
}

/** Seconds until `remaining` requests finish at `rate` per second; undefined while the rate is unknown or zero. */
export function etaSeconds(remaining: number, rate: number | undefined): number | undefined {
  if (remaining <= 0) return 0;
  if (rate === undefined || rate <= 0) return undefined;
  return Math.ceil(remaining / rate);
}

/** `45 s`, `2 min 5 s`, `1 h 2 min`; `--` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const minutes = Math.floor((s % 3600) / 60);
  return minutes === 0 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 3600)} h ${minutes} min`;
}

/** `380/s`, `2.5/s`; `--/s` when unknown. */
export function formatRate(rate: number | undefined): string {
  if (rate === undefined || !Number.isFinite(rate)) return '--/s';
  return rate < 10 ? `${rate.toFixed(1)}/s` : `${Math.round(rate)}/s`;
}

/** `512 B`, `12.0 kB`, `26.7 MB` (powers of 1000). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** What the progress display shows at one moment. */
export interface ProgressSnapshot {
  readonly status: BatchStatus;
  /** Finished requests per second, when known. */
  readonly rate: number | undefined;
}

/** The ETA of a snapshot, in seconds (undefined while unknown). */
export function snapshotEta(snapshot: ProgressSnapshot): number | undefined {
  return etaSeconds(snapshot.status.total - finishedOf(snapshot.status), snapshot.rate);
}

/**
 * One plain progress line, for a stderr that is not a terminal:
 * `batch 01J… 1200/5000 finished (succeeded 1100, failed 100, queued 3824, in flight 64, waiting retry 12) 380/s, ETA 10 s`.
 */
export function formatProgressLine(snapshot: ProgressSnapshot): string {
  const { status } = snapshot;
  const { counts } = status;
  return (
    `batch ${status.batchId} ${finishedOf(status)}/${status.total} finished ` +
    `(succeeded ${counts.succeeded}, failed ${counts.failed}, queued ${counts.queued}, in flight ${counts.in_flight}, waiting retry ${counts.waiting_retry}) ` +
    `${formatRate(snapshot.rate)}, ETA ${formatDuration(snapshotEta(snapshot))}`
  );
}

/**
 * The terminal bar's format (cli-progress tokens: `{bar}`, `{value}`, `{total}`; the rest from
 * {@link barPayload}). Most telling first: a narrow terminal cuts the end of the line.
 */
export const BAR_FORMAT =
  '{bar} {value}/{total} finished | succeeded {succeeded} failed {failed} | {rate} ETA {eta_text} | queued {queued} in flight {in_flight} waiting retry {waiting_retry}';

/** The values of {@link BAR_FORMAT}'s own tokens. */
export function barPayload(snapshot: ProgressSnapshot): Record<string, string | number> {
  const { counts } = snapshot.status;
  return {
    succeeded: counts.succeeded,
    failed: counts.failed,
    queued: counts.queued,
    in_flight: counts.in_flight,
    waiting_retry: counts.waiting_retry,
    rate: formatRate(snapshot.rate),
    eta_text: formatDuration(snapshotEta(snapshot)),
  };
}

/** `retries_exhausted 2, non_retryable_status 1`, most frequent first; empty when the proxy gave none. */
export function formatReasons(reasons: BatchStatus['reasons']): string {
  return Object.entries(reasons ?? {})
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
}

/** The line printed when the batch is done: `batch 01J… complete in 12 s: 20 requests, 18 succeeded, 2 failed (retries_exhausted 2)`. */
export function formatSummary(status: BatchStatus, elapsedMs: number): string {
  const reasons = formatReasons(status.reasons);
  const cancelled = status.cancelRequested ? ', cancel requested' : '';
  return (
    `batch ${status.batchId} complete in ${formatDuration(elapsedMs / 1000)}: ` +
    `${status.total} requests, ${status.counts.succeeded} succeeded, ${status.counts.failed} failed${reasons === '' ? '' : ` (${reasons})`}${cancelled}`
  );
}

/** The upload's progress: `sending requests.ndjson: 12.0 MB of 26.7 MB` (the size is unknown for stdin). */
export function formatSendingLine(source: string, sentBytes: number, sizeBytes: number | undefined): string {
  return `sending ${source}: ${formatBytes(sentBytes)}${sizeBytes === undefined ? '' : ` of ${formatBytes(sizeBytes)}`}`;
}

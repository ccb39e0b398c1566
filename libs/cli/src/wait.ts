import type { BatchStatus } from './api-types';
import type { Clock } from './clock';
import { isCliError } from './errors';
import type { ProxyClient } from './http';
import type { ProgressView } from './display';
import { finishedOf, isComplete, RateMeter } from './progress';

/** Settings of {@link waitForBatch}. */
export interface WaitOptions {
  readonly client: ProxyClient;
  readonly batchId: string;
  readonly view: ProgressView;
  readonly clock: Clock;
  /** Between two status reads. */
  readonly pollMs: number;
  /** How long the status may stay unreadable (proxy down, 5xx) before the wait gives up. */
  readonly patienceMs: number;
  /** Ends the wait early (the promise then resolves with the last status read, if any). */
  readonly signal?: AbortSignal;
}

/** `GET /v1/batches/:id`. */
export function getBatch(client: ProxyClient, batchId: string): Promise<BatchStatus> {
  return client.json<BatchStatus>('GET', `/v1/batches/${encodeURIComponent(batchId)}`);
}

/** A failure the next poll may not see: no answer, or a 5xx. A 4xx (unknown batch, wrong key) will not change. */
function passing(error: unknown): boolean {
  return isCliError(error) && (error.code === 'UNREACHABLE' || (error.code === 'UNEXPECTED' && (error.status ?? 500) >= 500));
}

/**
 * Polls the batch's status until it is complete, showing each reading (counts, rate, ETA).
 * Passing failures are noted once and polled through for `patienceMs`.
 * @returns the complete status (or the last one read when `signal` aborted).
 * @throws CliError when the proxy refuses, or stays unreachable past `patienceMs`.
 */
export async function waitForBatch(options: WaitOptions): Promise<BatchStatus | undefined> {
  const { client, batchId, view, clock, signal } = options;
  const meter = new RateMeter();
  let failingSince: number | undefined;
  let last: BatchStatus | undefined;
  const aborted = (): boolean => signal?.aborted === true;
  while (!aborted()) {
    try {
      last = await getBatch(client, batchId);
      if (failingSince !== undefined) view.note(`reading batch ${batchId} again`);
      failingSince = undefined;
    } catch (error) {
      if (aborted()) break;
      if (!passing(error)) throw error;
      if (failingSince === undefined) {
        failingSince = clock.now();
        view.note(`cannot read batch ${batchId} just now (${(error as Error).message}); trying again for ${Math.round(options.patienceMs / 1000)} s`);
      } else if (clock.now() - failingSince > options.patienceMs) {
        throw error;
      }
      await clock.sleep(options.pollMs, signal);
      continue;
    }
    meter.add(clock.now(), finishedOf(last));
    view.update({ status: last, rate: meter.rate() });
    if (isComplete(last)) return last;
    await clock.sleep(options.pollMs, signal);
  }
  return last;
}

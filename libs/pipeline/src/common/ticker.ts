import { errorBackoffMs, sleep, type QueueLogger } from '@parc/queue';
import type { CloseStep } from '@parc/service-kit';

export interface TickerOptions {
  /** For logs and the close report. */
  readonly name: string;
  /** Pause between ticks that found nothing more to do. */
  readonly intervalMs: number;
  /** One round of work; resolves true when more work is waiting now (tick again at once). */
  readonly tick: () => Promise<boolean>;
  readonly logger: QueueLogger;
}

/**
 * Runs `tick` in a loop until closed: at once again while it reports more work (drains a
 * backlog at full speed), otherwise after `intervalMs` (idle cost: one call per interval).
 * A failing tick is logged and retried with capped exponential backoff; nothing is lost, since a
 * tick only moves work that stays where it is until the move succeeds.
 */
export function startTicker(options: TickerOptions): CloseStep {
  const { name, intervalMs, tick, logger } = options;
  const stopping = new AbortController();
  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      let more = false;
      try {
        more = await tick();
        failures = 0;
      } catch (error) {
        failures++;
        logger.warn({ err: error, loop: name, failures }, `${name} failed; trying again`);
        await sleep(errorBackoffMs(failures, intervalMs), stopping.signal);
        continue;
      }
      if (!more) await sleep(intervalMs, stopping.signal);
    }
  })();
  return {
    name,
    close: async () => {
      stopping.abort();
      await loop;
    },
  };
}

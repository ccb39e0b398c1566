import type { DelayedQueue, QueueLogger } from '@parc/queue';
import type { CloseStep } from '@parc/service-kit';
import { startTicker } from './ticker';

export interface PromoterOptions {
  readonly name: string;
  readonly delayed: DelayedQueue;
  readonly now: () => number;
  /** Pause between promotions that found fewer than `limit` due items. */
  readonly tickMs: number;
  /** Items moved per promotion. */
  readonly limit: number;
  readonly logger: QueueLogger;
  readonly onMoved?: (count: number) => void;
}

/**
 * Moves due items from a delayed set into its target queue, atomically per call (an item is in
 * exactly one place at any moment, so a crash between calls loses nothing). A full promotion
 * means more are due: go again at once; otherwise wait a tick (idle cost: one call per tick).
 */
export function startPromoter(options: PromoterOptions): CloseStep {
  const { delayed, now, limit, onMoved } = options;
  return startTicker({
    name: options.name,
    intervalMs: options.tickMs,
    logger: options.logger,
    tick: async () => {
      const moved = await delayed.promoteDue(now(), limit);
      if (moved > 0) onMoved?.(moved);
      return moved >= limit;
    },
  });
}

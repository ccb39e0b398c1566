import type { DelayedQueue } from '@parc/queue';
import type { DelayedReading, Signal } from './signal';

/** A delayed-retry set: its size, and how much of it falls due within `horizonMs`. */
export function delayedSetSignal(name: string, delayed: DelayedQueue, horizonMs: number): Signal<DelayedReading> {
  return {
    name,
    read: async (nowMs) => {
      const [size, dueSoon] = await Promise.all([delayed.size(), delayed.countDueBy(nowMs + horizonMs)]);
      return { size, dueSoon };
    },
  };
}

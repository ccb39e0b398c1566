import { setTimeout as delay } from 'node:timers/promises';

/** Time as the CLI sees it: injected so that tests run waits and rates without waiting. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, signal === undefined ? undefined : { signal });
    } catch {
      // Aborted: the caller looks at its signal.
    }
  },
};

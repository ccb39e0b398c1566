/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential delay for the n-th consecutive failure (n >= 1), capped: for reconnect loops. */
export function errorBackoffMs(consecutiveFailures: number, initialMs = 100, maxMs = 5_000): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, consecutiveFailures - 1));
}

const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

function listenersOf(signal: AbortSignal): Set<() => void> {
  const existing = subscribers.get(signal);
  if (existing) return existing;
  const created = new Set<() => void>();
  const notifyAll = (): void => {
    for (const notify of [...created]) notify();
    created.clear();
  };
  signal.addEventListener('abort', notifyAll, { once: true });
  subscribers.set(signal, created);
  return created;
}

/**
 * Runs `listener` when `signal` aborts and returns the unsubscribe function. However many calls
 * share one signal (a stage typically passes one shutdown signal to every call), the signal gets
 * a single event listener: Node warns about a leak past 10 listeners, and a per-call listener
 * on a long-lived signal would be one.
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  const listeners = listenersOf(signal);
  const entry = (): void => listener(); // a fresh function, so one listener can be added twice
  listeners.add(entry);
  return () => {
    listeners.delete(entry);
  };
}

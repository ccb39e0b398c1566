import type { BatchContext, ConsumeOptions, Delivery, QueueConsumer } from './port';
import { resolveConsumeOptions } from './consume-options';
import { errorBackoffMs, sleep } from './timing';

/**
 * What a pull-based backend (Redis streams, memory) supplies to `startPollingConsumer`.
 * The loop, concurrency bound, lease renewal, pause and shutdown are shared; only the I/O differs.
 */
export interface PollingSource {
  /**
   * Up to `max` deliveries: reclaimed expired leases first, then new messages. May wait for
   * messages a while (e.g. a blocking read) and return [] when none came; must return promptly,
   * with [], once `signal` aborts.
   */
  fetch(max: number, signal: AbortSignal): Promise<Delivery[]>;
  /** Acknowledge: the messages are done and must never be delivered again. */
  ack(batch: readonly Delivery[]): Promise<void>;
  /** Extend the lease of deliveries whose handler is still running. */
  renew(ids: readonly string[]): Promise<void>;
  /**
   * Hands messages this consumer holds and will not handle back to its group, unacknowledged and
   * with their delivery count kept, so that another consumer of the group takes them now rather
   * than once their lease expires. `ids` absent: every message this consumer still holds (called
   * on close, once every handler has finished). Messages another consumer has taken meanwhile are
   * left alone.
   */
  handBack(ids?: readonly string[]): Promise<void>;
  /** Release resources; called once, after every handler has finished. */
  release(): Promise<void>;
}

export interface PollingSettings {
  /** The source's lease length; running batches' leases are renewed every third of it. */
  readonly leaseMs: number;
  /** Attempts to acknowledge a handled batch before leaving it for redelivery. */
  readonly ackAttempts?: number;
  /** Called once the consumer has closed (or been killed) and released its source. */
  readonly onClosed?: () => void;
}

/** A polling consumer that can also be killed the way a crash would end it (tests, fault drills). */
export interface PollingConsumer extends QueueConsumer {
  /**
   * Stops at once, like a process killed mid-batch: no acknowledgement, no lease renewal, no hand
   * back, running handlers are abandoned. Their messages are redelivered once their lease expires.
   */
  kill(): Promise<void>;
}

/** Most messages one fetch asks for (several batches when several slots are free). */
const MAX_FETCH = 1_000;

/**
 * Runs the shared consume loop over a pull-based source. Why a loop with an explicit gate rather
 * than timers: the gate keeps at most `concurrency` handler calls in flight (bounded memory) and
 * stops fetching while paused, so backpressure propagates to the queue instead of to RAM.
 */
export function startPollingConsumer(
  source: PollingSource,
  options: ConsumeOptions,
  settings: PollingSettings,
): PollingConsumer {
  const resolved = resolveConsumeOptions(options);
  const closing = new AbortController();
  const running = new Map<Promise<void>, readonly Delivery[]>();
  const inFlightIds = new Set<string>();
  /** Batches being handed back after they left `running` (close waits for them). */
  const handingBack = new Set<Promise<void>>();
  let paused = false;
  let killed = false;
  let held: readonly Delivery[] | undefined;
  let wake: () => void = () => undefined;
  const wakeUp = (): void => wake();
  const context: BatchContext = { signal: closing.signal };
  const ackAttempts = settings.ackAttempts ?? 3;
  const report = (error: unknown, batch?: readonly Delivery[]): void => resolved.onError?.(error, batch);

  closing.signal.addEventListener('abort', wakeUp, { once: true });

  const waitUntilRunnable = async (): Promise<void> => {
    while (!closing.signal.aborted && (paused || running.size >= resolved.concurrency)) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  const acknowledge = async (batch: readonly Delivery[]): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await source.ack(batch);
      } catch (error) {
        // Not acknowledging is safe (the batch is redelivered after its lease); retrying a few
        // times just avoids needless duplicates on a short blip.
        if (attempt >= ackAttempts || killed) throw error;
        await sleep(errorBackoffMs(attempt));
      }
    }
  };

  /**
   * Hands back, unacknowledged, messages this consumer will not handle because it is closing (a
   * kill hands nothing back: it stands for a crash). A failure only means they wait for their lease.
   */
  const handBack = async (batch?: readonly Delivery[]): Promise<void> => {
    if (killed || (batch !== undefined && batch.length === 0)) return;
    try {
      await source.handBack(batch?.map((delivery) => delivery.id));
    } catch (error) {
      report(error, batch);
    }
  };

  /**
   * Runs the handler until it succeeds, then acknowledges; resolves whether it did. A failed batch
   * is tried again here, after a capped back-off, with its lease renewed meanwhile (it stays in
   * `running`), rather than left to expire: a dependency that was briefly down (Kafka for
   * proxy-store) is then followed within the back-off, not a lease later, and the batch keeps its
   * place. On close a failing batch is not tried again: it is left unacknowledged for `dispatch`
   * to hand back.
   */
  const handleUntilDone = async (batch: readonly Delivery[]): Promise<boolean> => {
    let current = batch;
    for (let failures = 1; ; failures++) {
      try {
        await resolved.handler(current, context);
      } catch (error) {
        if (killed) return false;
        report(error, current);
        if (closing.signal.aborted) return false;
        await sleep(errorBackoffMs(failures), closing.signal);
        if (closing.signal.aborted) return false;
        current = current.map((delivery) => ({ ...delivery, deliveryCount: delivery.deliveryCount + 1 }));
        continue;
      }
      if (killed) return false;
      await acknowledge(current);
      return true;
    }
  };

  /**
   * Runs one batch in a free slot. A batch that ends unacknowledged while the consumer closes (its
   * handler gave up, or acknowledging failed) is handed back as soon as it ends, not when the last
   * handler does: what it held was not done, and another consumer can do it now. It leaves
   * `running` first, so that the lease renewal cannot take it back in between.
   */
  const dispatch = (batch: readonly Delivery[]): void => {
    for (const delivery of batch) inFlightIds.add(delivery.id);
    const run = async (): Promise<void> => {
      let acknowledged = false;
      try {
        acknowledged = await handleUntilDone(batch);
      } catch (error) {
        // Acknowledging failed after its retries: the lease brings the batch back (on close, the hand-back below).
        if (!killed) report(error, batch);
      } finally {
        for (const delivery of batch) inFlightIds.delete(delivery.id);
        running.delete(work);
        wakeUp();
      }
      if (!acknowledged && closing.signal.aborted) {
        const handing = handBack(batch);
        handingBack.add(handing);
        await handing;
        handingBack.delete(handing);
      }
    };
    const work = run();
    running.set(work, batch);
  };

  /**
   * Splits what one fetch returned into batches and starts each as a slot frees up. What was
   * fetched but not yet dispatched is `held`, lease renewed, until a slot is free and the
   * consumer is not paused: while paused no handler starts. On close, what is still held is handed
   * back at once.
   */
  const dispatchAll = async (fetched: readonly Delivery[]): Promise<void> => {
    let next = 0;
    while (next < fetched.length) {
      held = fetched.slice(next);
      await waitUntilRunnable();
      held = undefined;
      if (closing.signal.aborted) break;
      dispatch(fetched.slice(next, next + resolved.batchSize));
      next += resolved.batchSize;
    }
    await handBack(fetched.slice(next));
  };

  const loop = (async () => {
    let failures = 0;
    while (!closing.signal.aborted) {
      await waitUntilRunnable();
      if (closing.signal.aborted) break;
      try {
        // One read for every free slot (bounded): a burst of N messages then costs one round trip
        // instead of N / batchSize sequential ones, which kept the last batch of a burst waiting.
        const free = resolved.concurrency - running.size;
        const max = Math.max(resolved.batchSize, Math.min(free * resolved.batchSize, MAX_FETCH));
        // A lease can expire while its handler still runs (a stalled event loop missed the
        // renewal); the reclaim then hands this consumer its own running messages again. They are
        // being handled: skip them rather than run them twice.
        const fetched = (await source.fetch(max, closing.signal)).filter((delivery) => !inFlightIds.has(delivery.id));
        failures = 0;
        if (fetched.length === 0 || killed) continue;
        await dispatchAll(fetched);
      } catch (error) {
        held = undefined;
        if (closing.signal.aborted) break;
        failures++;
        report(error);
        await sleep(errorBackoffMs(failures), closing.signal);
      }
    }
  })();

  // Leases are renewed while handlers run, so a lease can be short (fast recovery after a crash)
  // without a slow handler's batch being taken over by another consumer. They are renewed on
  // close too, until the last handler has finished: only a kill stops renewing at once.
  const renewTimer = setInterval(() => {
    const ids = [...running.values(), held ?? []].flatMap((batch) => batch.map((delivery) => delivery.id));
    if (ids.length > 0) source.renew(ids).catch((error: unknown) => report(error));
  }, Math.max(10, Math.floor(settings.leaseMs / 3)));
  renewTimer.unref();

  /**
   * Stops fetching at once (a blocking read is interrupted, not waited out). A close then lets
   * running handlers finish, hands back every batch that ends unacknowledged as it ends, and last
   * hands back whatever this consumer still holds: a read whose reply was cut off by the close
   * leaves entries with this consumer that it never saw.
   */
  let closed: Promise<void> | undefined;
  const shutdown = (abandonHandlers: boolean): Promise<void> => {
    closed ??= (async () => {
      killed = abandonHandlers;
      if (abandonHandlers) clearInterval(renewTimer);
      closing.abort();
      await loop;
      if (!abandonHandlers) {
        await Promise.allSettled(running.keys());
        clearInterval(renewTimer);
        await Promise.allSettled(handingBack);
        await handBack();
      }
      await source.release();
      settings.onClosed?.();
    })();
    return closed;
  };

  return {
    queue: resolved.queue,
    group: resolved.group,
    get paused() {
      return paused;
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      wakeUp();
    },
    close: () => shutdown(false),
    kill: () => shutdown(true),
  };
}

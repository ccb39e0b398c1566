import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Delivery, QueueBackend, QueueLogger } from '@parc/queue';
import type { CloseStep } from '@parc/service-kit';
import { BatchOutput } from './output';
import type { StageMetrics } from './metrics';

/** Given to a relay's handler with each batch. */
export interface RelayContext {
  /**
   * Aborted once the worker has been closing for `drainMs`: long work (HTTP calls) stops, the
   * handler throws, and the batch is redelivered instead of holding shutdown up.
   */
  readonly signal: AbortSignal;
  /**
   * Aborted as soon as the worker starts closing: work not yet started (a request waiting for
   * its turn or for a connection) is given up, the handler throws, and the queue hands the batch
   * back to the group's other consumers at once; work under way goes on until `signal`.
   */
  readonly closing: AbortSignal;
}

export interface RelayOptions {
  /** Stage label for metrics and logs. */
  readonly stage: string;
  readonly backend: QueueBackend;
  readonly queue: string;
  readonly group: string;
  readonly batchSize: number;
  readonly concurrency: number;
  /** How long close() lets running handlers finish before aborting them (default 5 s). */
  readonly drainMs?: number;
  readonly logger: QueueLogger;
  readonly metrics: StageMetrics;
  /** Fills `out` from the batch; throwing leaves the batch for redelivery. */
  readonly handle: (batch: readonly Delivery[], out: BatchOutput, context: RelayContext) => Promise<void> | void;
}

/** A running relay: the close step, and pause/resume for backpressure. */
export interface Relay extends CloseStep {
  pause(): void;
  resume(): void;
  readonly paused: boolean;
}

/**
 * The one consume → handle → write → acknowledge loop every stage runs on. A batch is
 * acknowledged (by resolving the consumer's handler) only after everything the handler put into
 * its `BatchOutput` is durable; any failure leaves the whole batch for redelivery, which is
 * safe because every write downstream is idempotent or deduplicated by request id.
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const { stage, backend, queue, logger, metrics } = options;
  const drain = new AbortController();
  const closing = new AbortController();
  // Every call in flight listens on these signals; their number is bounded by
  // batchSize × concurrency, not by the default listener limit of 10.
  setMaxListeners(0, drain.signal, closing.signal);
  const context: RelayContext = { signal: drain.signal, closing: closing.signal };
  const consumer = await backend.consume({
    queue,
    group: options.group,
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    handler: async (batch) => {
      const started = performance.now();
      const out = new BatchOutput();
      try {
        await options.handle(batch, out, context);
      } catch (error) {
        out.settle(error);
        throw error;
      }
      await out.flush();
      metrics.batchSeconds.observe({ stage }, (performance.now() - started) / 1000);
    },
    onError: (error, batch) => {
      if (batch) metrics.batchFailures.inc({ stage });
      const closing = drain.signal.aborted;
      logger[closing ? 'info' : 'warn'](
        { err: error, stage, queue, batchSize: batch?.length },
        batch ? 'batch failed and was not acknowledged; it will be tried again' : 'queue consumer error; retrying',
      );
    },
  });
  return {
    name: `${stage} consumer of ${queue}`,
    pause: () => consumer.pause(),
    resume: () => consumer.resume(),
    get paused() {
      return consumer.paused;
    },
    close: async () => {
      // Handlers get drainMs to finish what they started; after that their signal aborts them.
      // What they have not started is given up at once, after the consumer has begun closing:
      // a batch that fails then is handed back, not tried again.
      const timer = setTimeout(() => drain.abort(), options.drainMs ?? 5_000);
      timer.unref();
      const closed = consumer.close();
      closing.abort();
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

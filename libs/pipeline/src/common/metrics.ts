import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { registerOnce } from '@parc/service-kit';
import type { Attempt } from '@parc/envelope';

/** Series every stage reports, labelled by stage; registered once per registry. */
export interface StageMetrics {
  /** Messages handled, by stage and what became of them (e.g. ready, delayed, retry, final). */
  readonly messages: Counter<'stage' | 'outcome'>;
  /** Time from a batch's delivery to its output being durable (before the ack). */
  readonly batchSeconds: Histogram<'stage'>;
  /** Batches that failed and were left for redelivery. */
  readonly batchFailures: Counter<'stage'>;
}

export function stageMetrics(registry: Registry): StageMetrics {
  return {
    messages: registerOnce(registry, 'parc_stage_messages_total', (register) => new Counter({
      name: 'parc_stage_messages_total',
      help: 'Messages handled by a pipeline stage, by stage and outcome.',
      labelNames: ['stage', 'outcome'],
      registers: [register],
    })),
    batchSeconds: registerOnce(registry, 'parc_stage_batch_duration_seconds', (register) => new Histogram({
      name: 'parc_stage_batch_duration_seconds',
      help: 'Time a stage takes per batch, from delivery until its output is durable.',
      labelNames: ['stage'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [register],
    })),
    batchFailures: registerOnce(registry, 'parc_stage_batch_failures_total', (register) => new Counter({
      name: 'parc_stage_batch_failures_total',
      help: 'Batches a stage failed to handle; they are redelivered.',
      labelNames: ['stage'],
      registers: [register],
    })),
  };
}

/** Outbound HTTP series of one kind of call (`parc_caller` target calls, `parc_callback` callbacks). */
export interface CallMetrics {
  /** Call duration by status class (2xx…5xx) or `error`. */
  readonly seconds: Histogram<'status_class'>;
  /** Calls by outcome: a status class, or the transport error code. */
  readonly calls: Counter<'outcome'>;
  readonly inFlight: Gauge;
}

export function callMetrics(registry: Registry, prefix: 'parc_caller' | 'parc_callback', what: string): CallMetrics {
  return {
    seconds: registerOnce(registry, `${prefix}_call_duration_seconds`, (register) => new Histogram({
      name: `${prefix}_call_duration_seconds`,
      help: `Duration of ${what}, by status class (error: no usable response).`,
      labelNames: ['status_class'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [register],
    })),
    calls: registerOnce(registry, `${prefix}_calls_total`, (register) => new Counter({
      name: `${prefix}_calls_total`,
      help: `${what} by outcome: status class (2xx…5xx) or transport error code.`,
      labelNames: ['outcome'],
      registers: [register],
    })),
    inFlight: registerOnce(registry, `${prefix}_in_flight`, (register) => new Gauge({
      name: `${prefix}_in_flight`,
      help: `${what} in flight in this process.`,
      registers: [register],
    })),
  };
}

/** `2xx`…`5xx`, or `error` when the exchange did not complete. */
export function statusClass(attempt: Pick<Attempt, 'status' | 'error'>): string {
  if (attempt.error !== undefined || attempt.status === undefined) return 'error';
  return `${Math.floor(attempt.status / 100)}xx`;
}

/** Records one finished call. */
export function observeCall(metrics: CallMetrics, attempt: Pick<Attempt, 'status' | 'error' | 'durationMs'>): void {
  const statusLabel = statusClass(attempt);
  metrics.seconds.observe({ status_class: statusLabel }, attempt.durationMs / 1000);
  metrics.calls.inc({ outcome: attempt.error?.code ?? statusLabel });
}

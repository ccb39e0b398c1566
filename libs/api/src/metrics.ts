import { registerOnce } from '@parc/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The intake formats, as metric label values. */
export type IntakeFormat = 'json' | 'ndjson';

/** The public API's metrics, registered once per registry. */
export interface ApiMetrics {
  /** Requests (items) accepted, by API key name and format. */
  readonly accepted: Counter<'api_key' | 'format'>;
  /** Submissions to POST /v1/requests refused as a whole, by error code. */
  readonly rejected: Counter<'reason' | 'format'>;
  /** Batches (submissions) accepted. */
  readonly batches: Counter<'format'>;
  /** NDJSON lines read, by outcome (accepted, rejected). */
  readonly ndjsonLines: Counter<'outcome'>;
  /** Submissions answered from a stored Idempotency-Key answer. */
  readonly replays: Counter;
  /** From the request's arrival to its 202, by format. */
  readonly intakeSeconds: Histogram<'format'>;
  /** The inbox backlog as last read for the watermark. */
  readonly inboxBacklog: Gauge;
}

/** Creates (or finds, when another API instance shares the registry) the API's metrics. */
export function apiMetrics(registry: Registry): ApiMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    registerOnce(registry, name, (register) => new Counter({ name, help, labelNames, registers: [register] }));
  return {
    accepted: counter('parc_api_requests_accepted_total', 'Requests accepted into the inbox, by API key name and format.', ['api_key', 'format']),
    rejected: counter('parc_api_requests_rejected_total', 'Submissions refused as a whole, by error code and format.', ['reason', 'format']),
    batches: counter('parc_api_batches_accepted_total', 'Batches (JSON submissions, NDJSON streams) accepted.', ['format']),
    ndjsonLines: counter('parc_api_ndjson_lines_total', 'NDJSON lines read, by outcome.', ['outcome']),
    replays: counter('parc_api_idempotent_replays_total', 'Submissions answered from a stored Idempotency-Key answer.', []),
    intakeSeconds: registerOnce(
      registry,
      'parc_api_intake_duration_seconds',
      (register) =>
        new Histogram({
          name: 'parc_api_intake_duration_seconds',
          help: 'Time from a submission’s arrival to its 202, by format.',
          labelNames: ['format'],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
          registers: [register],
        }),
    ),
    inboxBacklog: registerOnce(
      registry,
      'parc_api_inbox_backlog',
      (register) => new Gauge({ name: 'parc_api_inbox_backlog', help: 'Inbox entries waiting, as last read for the watermark.', registers: [register] }),
    ),
  };
}

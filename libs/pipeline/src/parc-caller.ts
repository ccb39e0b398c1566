import { appendAttempt, deadlineAtMs, requestBodyBytes, serializeEnvelope, type AttemptRecord, type EndReason, type Envelope } from '@parc/envelope';
import type { QueueBackend } from '@parc/queue';
import type { RequestLedger } from '@parc/store';
import type { ParcNames } from '@parc/topology';
import { startParts, type Worker } from './common/worker';
import { startRelay, type RelayContext } from './common/relay';
import { parseBatch, refsOf, requestFields, type Parsed } from './common/parse';
import { callMetrics, observeCall, type CallMetrics } from './common/metrics';
import type { BatchOutput } from './common/output';
import type { HttpCallPort } from './common/http';
import { checkTunables, stageContext, type StageContext, type StageOptions } from './common/stage-options';

export interface ParcCallerOptions extends StageOptions {
  /** The Parc's Redis: `ready` in, `done` out. */
  readonly parc: QueueBackend;
  readonly names: ParcNames;
  /** The request ledger (proxy Redis): cancellations and the in_flight transition. */
  readonly ledger: RequestLedger;
  /** `@parc/egress`'s HttpCaller (egress policy, pools, timeouts, body cap). */
  readonly http: HttpCallPort;
  /** Consumer group on `ready`; default `parc-caller`. */
  readonly group?: string;
  /** Envelopes per batch: small, so a slow call holds few others; default 8. */
  readonly batchSize?: number;
  /** Batches in flight; calls in flight are at most batchSize × concurrency; default 64. */
  readonly concurrency?: number;
}

const STAGE = 'parc-caller';

/**
 * parc-caller: `ready` → (cancelled or past its deadline: end marker, no call) → one ledger call
 * per batch (in_flight unless cancelled) → the HTTP calls in parallel → each envelope with its
 * new attempt to `done` → acknowledge. In-flight calls are bounded by batchSize × concurrency.
 */
export async function startParcCaller(options: ParcCallerOptions): Promise<Worker> {
  const ctx = stageContext(options);
  const batchSize = options.batchSize ?? 8;
  const concurrency = options.concurrency ?? 64;
  checkTunables(STAGE, { batchSize, concurrency });
  const calls = callMetrics(ctx.registry, 'parc_caller', 'HTTP calls to targets');

  return startParts([
    () =>
      startRelay({
        stage: STAGE,
        backend: options.parc,
        queue: options.names.ready,
        group: options.group ?? STAGE,
        batchSize,
        concurrency,
        drainMs: ctx.drainMs,
        logger: ctx.logger,
        metrics: ctx.metrics,
        handle: (batch, out, relay) => handleBatch(options, ctx, calls, parseBatch(batch, STAGE, ctx.logger, ctx.metrics), out, relay),
      }),
  ]);
}

async function handleBatch(
  options: ParcCallerOptions,
  ctx: StageContext,
  calls: CallMetrics,
  items: readonly Parsed[],
  out: BatchOutput,
  relay: RelayContext,
): Promise<void> {
  const { parc, names, ledger } = options;
  const done = (envelope: Envelope): void => out.publish(parc, names.done, { payload: serializeEnvelope(envelope), key: envelope.id });
  const nowMs = ctx.now();
  const late = items.filter(({ envelope }) => pastDeadline(envelope, nowMs));
  const onTime = items.filter(({ envelope }) => !pastDeadline(envelope, nowMs));
  // One ledger round trip for the batch: the on-time requests are marked in_flight unless
  // cancelled. Late ones are not started; a cancellation still names their end (it came first).
  const [cancelledLate, cancelled] = await Promise.all([
    late.length === 0 ? new Set<string>() : ledger.cancelled(refsOf(late)),
    onTime.length === 0
      ? new Set<string>()
      : ledger.advanceUnlessCancelled(onTime.map(({ envelope: { id, batchId, attempts } }) => ({ id, batchId, state: 'in_flight', attempt: attempts.length + 1 }))),
  ]);
  const end = (envelope: Envelope, endReason: EndReason): void => {
    done({ ...envelope, endReason });
    ctx.metrics.messages.inc({ stage: STAGE, outcome: endReason });
    ctx.logger.debug({ stage: STAGE, ...requestFields(envelope), endReason }, 'ending without a call');
  };
  for (const { envelope } of late) end(envelope, cancelledLate.has(envelope.id) ? 'cancelled' : 'deadline_exceeded');
  const toCall: Envelope[] = [];
  for (const { envelope } of onTime) {
    if (cancelled.has(envelope.id)) end(envelope, 'cancelled');
    else toCall.push(envelope);
  }
  if (toCall.length === 0) return;
  const records = await Promise.all(toCall.map((envelope) => perform(options.http, envelope, calls, relay.signal)));
  // Calls cut short by shutdown did not really happen: leave the batch for redelivery.
  if (relay.signal.aborted) throw new Error(`${STAGE} closing: ${toCall.length} calls aborted, batch left for redelivery`);
  toCall.forEach((envelope, index) => {
    const record = records[index] as AttemptRecord;
    done(appendAttempt(envelope, record));
    ctx.logger.debug({ stage: STAGE, ...requestFields(envelope), attempt: envelope.attempts.length + 1, status: record.status, error: record.error?.code }, 'attempt recorded');
  });
  ctx.metrics.messages.inc({ stage: STAGE, outcome: 'called' }, toCall.length);
}

function pastDeadline(envelope: Envelope, nowMs: number): boolean {
  const deadline = deadlineAtMs(envelope);
  return deadline !== undefined && nowMs > deadline;
}

async function perform(http: HttpCallPort, envelope: Envelope, metrics: CallMetrics, signal: AbortSignal): Promise<AttemptRecord> {
  const { method, url, headers, timeoutMs } = envelope.request;
  const body = requestBodyBytes(envelope);
  metrics.inFlight.inc();
  try {
    const record = await http.call(body === undefined ? { method, url, headers, timeoutMs } : { method, url, headers, body, timeoutMs }, signal);
    observeCall(metrics, record);
    return record;
  } finally {
    metrics.inFlight.dec();
  }
}

import { appendAttempt, deadlineAtMs, requestBodyBytes, serializeEnvelope, type AttemptRecord, type EndReason, type Envelope } from '@parc/envelope';
import type { DelayedQueue, QueueBackend } from '@parc/queue';
import type { RequestLedger } from '@parc/store';
import { endSpan, type Tracing } from '@parc/tracing';
import type { ParcNames } from '@parc/topology';
import { startParts, type Worker } from './common/worker';
import { startRelay, type RelayContext } from './common/relay';
import { parseBatch, refsOf, requestFields, type Parsed } from './common/parse';
import { callMetrics, observeCall, type CallMetrics } from './common/metrics';
import type { BatchOutput } from './common/output';
import type { HttpCallPort } from './common/http';
import { checkTunables, stageContext, type StageContext, type StageOptions } from './common/stage-options';
import { callSpan, endCallSpan, outboundTrace } from './common/tracing';
import type { Admitted, DestinationControl, Waiting } from './caller/destinations';
import type { Leave } from './caller/waiting-room';

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
  /**
   * Flow control, breakers and adaptive concurrency per destination (docs/destinations.md), with
   * the Parc's delayed set, where requests wait for their turn. Without it every request is called.
   */
  readonly destinations?: { readonly control: DestinationControl; readonly delayed: DelayedQueue };
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

  const destinations = options.destinations;
  return startParts([
    // Half of the caller's batches may hold requests waiting for their key; the other half stays free for every other key.
    ...(destinations === undefined
      ? []
      : [async () => destinations.control.start({ delayed: destinations.delayed, maxBatches: Math.max(1, Math.floor(concurrency / 2)), maxRequests: Math.max(1, Math.floor(concurrency / 2)) * batchSize })]),
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
  const destinations = options.destinations;
  // The destination gate first (one round trip, only for keys that need it): a request that must
  // wait for its key is not marked in_flight and uses no attempt. It waits in the caller's
  // waiting room while there is space, else in the Parc's delayed set.
  const admission = destinations === undefined ? { go: onTime.map((item) => ({ item, key: '', probe: false })), waiting: [] as Waiting<Parsed>[] } : await destinations.control.admit(onTime);
  // Closing began while the gate answered: nothing of this batch has started, so none of it
  // starts now; the queue hands the batch back to the other callers at once.
  if (relay.closing.aborted) {
    for (const admitted of admission.go) destinations?.control.finished(admitted, undefined);
    throw new Error(`${STAGE} closing: batch of ${items.length} not started, handed back`);
  }
  // Seated requests leave as 'closing' as soon as the caller starts closing, not after the drain.
  const { seated, refused } = destinations === undefined ? { seated: [], refused: admission.waiting } : destinations.control.hold(admission.waiting, relay.closing);
  const unsent = [...late, ...refused.map(({ item }) => item)];
  // One ledger round trip for the batch: the requests to call are marked in_flight unless
  // cancelled. Late and waiting ones are not started; a cancellation still names their end.
  const [cancelledUnsent, cancelled] = await Promise.all([
    unsent.length === 0 ? new Set<string>() : ledger.cancelled(refsOf(unsent)),
    admission.go.length === 0 ? new Set<string>() : ledger.advanceUnlessCancelled(admission.go.map(({ item }) => inFlight(item.envelope))),
  ]);
  const end = (envelope: Envelope, endReason: EndReason): void => {
    done({ ...withoutFlowWait(envelope), endReason });
    ctx.metrics.messages.inc({ stage: STAGE, outcome: endReason });
    ctx.logger.debug({ stage: STAGE, ...requestFields(envelope), endReason }, 'ending without a call');
  };
  const putBack = (waiting: Waiting<Parsed>): void => {
    if (destinations === undefined) return;
    waitForTurn(ctx, out, destinations.delayed, waiting);
    destinations.control.putBack(waiting);
  };
  for (const { envelope } of late) end(envelope, cancelledUnsent.has(envelope.id) ? 'cancelled' : 'deadline_exceeded');
  for (const waiting of refused) {
    if (cancelledUnsent.has(waiting.item.envelope.id)) end(waiting.item.envelope, 'cancelled');
    else putBack(waiting);
  }
  const call = async (admitted: Admitted<Parsed>): Promise<void> => {
    let record: AttemptRecord | undefined;
    try {
      record = await perform(options.http, admitted.item.envelope, calls, relay, ctx.tracing);
    } finally {
      // The lease goes back as soon as this call ends, not when the batch does.
      destinations?.control.finished(admitted, record);
    }
    // A call cut short by shutdown did not really happen: the batch is left for redelivery. (A
    // call given up before it was sent rejected above, and fails the batch the same way.)
    if (relay.signal.aborted) return;
    const { envelope } = admitted.item;
    done(appendAttempt(withoutFlowWait(envelope), record));
    ctx.metrics.messages.inc({ stage: STAGE, outcome: 'called' });
    ctx.logger.debug({ stage: STAGE, ...requestFields(envelope), attempt: envelope.attempts.length + 1, status: record.status, error: record.error?.code }, 'attempt recorded');
  };
  const callUnlessCancelled = (admitted: Admitted<Parsed>, cancelledIds: ReadonlySet<string>): Promise<void> | undefined => {
    if (!cancelledIds.has(admitted.item.envelope.id)) return call(admitted);
    destinations?.control.finished(admitted, undefined);
    end(admitted.item.envelope, 'cancelled');
    return undefined;
  };
  // A request leaving the waiting room: one ledger round trip of its own, as it goes.
  const leave = async (leaving: Promise<Leave<Parsed>>): Promise<void> => {
    const how = await leaving;
    // Shutting down: not called, not put back; the batch must be redelivered, never acknowledged.
    if (how.kind === 'closing') throw new Error(`${STAGE} closing: a request waiting for its destination is left for redelivery`);
    const { envelope } = how.item;
    if (how.kind === 'go') {
      const admitted: Admitted<Parsed> = { item: how.item, key: how.key, leaseId: how.leaseId, probe: how.probe };
      let cancelledIds: ReadonlySet<string>;
      try {
        cancelledIds = await ledger.advanceUnlessCancelled([inFlight(envelope)]);
      } catch (error) {
        destinations?.control.finished(admitted, undefined);
        throw error;
      }
      await callUnlessCancelled(admitted, cancelledIds);
      return;
    }
    const cancelledIds = await ledger.cancelled(refsOf([how.item]));
    if (cancelledIds.has(envelope.id)) end(envelope, 'cancelled');
    else if (how.kind === 'late') end(envelope, 'deadline_exceeded');
    else if (destinations !== undefined) {
      const { key, limits } = destinations.control.limitsOf(envelope);
      putBack({ item: how.item, key, limits, reason: how.reason, turnAtMs: how.turnAtMs });
    }
  };
  const work = [...admission.go.map((admitted) => callUnlessCancelled(admitted, cancelled)), ...seated.map(leave)];
  const results = await Promise.allSettled(work);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  // Calls cut short and requests still held at shutdown: leave the batch for redelivery.
  if (relay.signal.aborted) throw new Error(`${STAGE} closing: batch of ${items.length} left for redelivery`);
}

const inFlight = ({ id, batchId, attempts }: Envelope) => ({ id, batchId, state: 'in_flight' as const, attempt: attempts.length + 1 });

/**
 * Puts a request back in the Parc's delayed set until its turn, with its place in line; never
 * later than just past its deadline, where it ends as deadline_exceeded when it comes back.
 */
function waitForTurn(ctx: StageContext, out: BatchOutput, delayed: DelayedQueue, waiting: Waiting<Parsed>): void {
  const { envelope } = waiting.item;
  const deadline = deadlineAtMs(envelope);
  const dueAtMs = deadline === undefined ? waiting.turnAtMs : Math.min(waiting.turnAtMs, deadline + 1);
  const flowWait = { turnAtMs: waiting.turnAtMs, waits: (envelope.flowWait?.waits ?? 0) + 1 };
  out.schedule(delayed, { id: envelope.id, payload: serializeEnvelope({ ...envelope, flowWait }), dueAtMs });
  ctx.metrics.messages.inc({ stage: STAGE, outcome: `waiting_${waiting.reason}` });
  ctx.logger.debug({ stage: STAGE, ...requestFields(envelope), reason: waiting.reason, waitMs: waiting.turnAtMs - ctx.now() }, 'waiting for the destination');
}

/** Its place in line is spent once it is called or ended: a retry queues afresh. */
function withoutFlowWait(envelope: Envelope): Envelope {
  if (envelope.flowWait === undefined) return envelope;
  const { flowWait: _spent, ...rest } = envelope;
  return rest;
}

function pastDeadline(envelope: Envelope, nowMs: number): boolean {
  const deadline = deadlineAtMs(envelope);
  return deadline !== undefined && nowMs > deadline;
}

/**
 * One call: cut short when the drain ends, given up at once on close while not sent yet (queued
 * for its host). It carries the request's trace headers unless the request switched them off;
 * with tracing on, the attempt has a span of its own, which the target sees as its parent.
 */
async function perform(http: HttpCallPort, envelope: Envelope, metrics: CallMetrics, relay: RelayContext, tracing: Tracing): Promise<AttemptRecord> {
  const { method, url, headers, timeoutMs } = envelope.request;
  const body = requestBodyBytes(envelope);
  const span = tracing.enabled ? callSpan(tracing, `${STAGE} attempt`, envelope.trace, { method, url, requestId: envelope.id, attempt: envelope.attempts.length + 1 }) : undefined;
  const trace = envelope.request.propagateTrace === false ? undefined : outboundTrace(span, envelope.trace);
  const call = { method, url, headers, timeoutMs, ...(body === undefined ? {} : { body }), ...(trace === undefined ? {} : { trace }) };
  metrics.inFlight.inc();
  try {
    const record = await http.call(call, relay.signal, { unsent: relay.closing });
    observeCall(metrics, record);
    if (span !== undefined) endCallSpan(span, record);
    return record;
  } catch (error) {
    if (span !== undefined) endSpan(span, error);
    throw error;
  } finally {
    metrics.inFlight.dec();
  }
}

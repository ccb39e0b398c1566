import { Counter } from 'prom-client';
import { decideNext, type RetryPolicy } from '@parc/backoff';
import { isParcError } from '@parc/errors';
import type { AttemptRecord } from '@parc/envelope';
import type { DelayedQueue, Delivery, QueueBackend } from '@parc/queue';
import type { DeadLetter, DeadLetterStore } from '@parc/store';
import { registerOnce } from '@parc/service-kit';
import { endSpan } from '@parc/tracing';
import { signWebhook, type WebhookSecret } from '@parc/webhooks';
import { startRelay, type Relay, type RelayContext } from '../common/relay';
import type { BatchOutput } from '../common/output';
import type { HttpCallPort } from '../common/http';
import { callMetrics, observeCall, type CallMetrics } from '../common/metrics';
import { callSpan, endCallSpan, outboundTrace } from '../common/tracing';
import type { StageContext } from '../common/stage-options';
import { parseCallbackJob, type CallbackJob } from '../messages';

export interface SenderSettings {
  readonly proxy: QueueBackend;
  readonly callbacksQueue: string;
  /** Callback jobs waiting for their retry; promotes into `callbacksQueue`. */
  readonly delayed: DelayedQueue;
  readonly deadLetters: DeadLetterStore;
  readonly http: HttpCallPort;
  readonly secrets: readonly WebhookSecret[];
  readonly policy: RetryPolicy;
  readonly timeoutMs: number;
  readonly random: () => number;
  readonly group: string;
  readonly batchSize: number;
  readonly concurrency: number;
}

const STAGE = 'callback-sender';
/** Headers Parc sets on every callback; a user's callback headers cannot override them. */
const OWN_HEADERS = new Set(['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);

interface Sent {
  readonly job: CallbackJob;
  readonly record: AttemptRecord;
}

/**
 * Callbacks queue → POST the signed final result → 2xx: done; retryable: the job, attempt + 1,
 * waits in the callbacks delayed set; final or exhausted: a dead letter. All of a batch's
 * retries are scheduled in one call and its dead letters added in one call, then it is
 * acknowledged.
 */
export function startSender(ctx: StageContext, settings: SenderSettings): Promise<Relay> {
  const calls = callMetrics(ctx.registry, 'parc_callback', 'Callback deliveries');
  const deadLetters = registerOnce(ctx.registry, 'parc_callback_dead_letters_total', (register) => new Counter({
    name: 'parc_callback_dead_letters_total',
    help: 'Callbacks given up on and stored as dead letters.',
    registers: [register],
  }));
  return startRelay({
    stage: STAGE,
    backend: settings.proxy,
    queue: settings.callbacksQueue,
    group: settings.group,
    batchSize: settings.batchSize,
    concurrency: settings.concurrency,
    drainMs: ctx.drainMs,
    logger: ctx.logger,
    metrics: ctx.metrics,
    handle: async (batch, out, relay) => {
      const jobs = readJobs(ctx, batch);
      const sent = await Promise.all(jobs.map(async (job) => ({ job, record: await send(settings, ctx, job, calls, relay) })));
      if (relay.signal.aborted) throw new Error(`${STAGE} closing: callbacks aborted, batch left for redelivery`);
      const dead = settle(ctx, settings, sent, out);
      if (dead.length > 0) {
        out.write(() => settings.deadLetters.add(dead));
        deadLetters.inc(dead.length);
      }
    },
  });
}

function readJobs(ctx: StageContext, batch: readonly Delivery[]): CallbackJob[] {
  const jobs: CallbackJob[] = [];
  for (const delivery of batch) {
    try {
      jobs.push(parseCallbackJob(delivery.payload));
    } catch (error) {
      if (!isParcError(error, 'ENVELOPE_MALFORMED')) throw error;
      ctx.metrics.messages.inc({ stage: STAGE, outcome: 'malformed' });
      ctx.logger.error({ err: error, stage: STAGE, deliveryId: delivery.id, key: delivery.key }, 'dropping a callback job that cannot be read');
    }
  }
  return jobs;
}

/**
 * One signed POST. It carries the request's traceparent (a user's own callback header wins); with
 * tracing on, the delivery has a span of its own, which the receiver sees as its parent.
 */
async function send(settings: SenderSettings, ctx: StageContext, job: CallbackJob, metrics: CallMetrics, relay: RelayContext): Promise<AttemptRecord> {
  const signature = signWebhook({ id: job.id, nowMs: ctx.now(), body: job.body, secrets: settings.secrets });
  const userHeaders = Object.entries(job.headers ?? {}).filter(([name]) => !OWN_HEADERS.has(name.toLowerCase()));
  const headers = { ...Object.fromEntries(userHeaders), 'content-type': 'application/json', ...signature };
  const { tracing } = ctx;
  const span = tracing.enabled ? callSpan(tracing, `${STAGE} deliver`, job.trace, { method: 'POST', url: job.url, requestId: job.id, attempt: job.attempt + 1 }) : undefined;
  const trace = outboundTrace(span, job.trace);
  metrics.inFlight.inc();
  try {
    const call = { method: 'POST', url: job.url, headers, body: Buffer.from(job.body), timeoutMs: settings.timeoutMs, ...(trace === undefined ? {} : { trace }) };
    const record = await settings.http.call(call, relay.signal);
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

/** Decides each sent job's fate; schedules retries into `out` and returns the dead letters. */
function settle(ctx: StageContext, settings: SenderSettings, sent: readonly Sent[], out: BatchOutput): DeadLetter[] {
  const nowMs = ctx.now();
  const dead: DeadLetter[] = [];
  for (const { job, record } of sent) {
    const attemptsMade = job.attempt + 1;
    const outcome = { status: record.status, errorCode: record.error?.code, retryAfterMs: record.retryAfterMs };
    const decision = decideNext({ policy: settings.policy, attemptsMade, outcome, nowMs, random: settings.random });
    const log = { stage: STAGE, requestId: job.id, traceId: job.traceId, attempt: attemptsMade, status: record.status, error: record.error?.code };
    // The job as it goes on (retry) or is kept (dead letter): only then is it re-encoded.
    const next = (): string => JSON.stringify({ ...job, attempt: attemptsMade });
    if (decision.kind === 'succeeded') {
      ctx.metrics.messages.inc({ stage: STAGE, outcome: 'delivered' });
      ctx.logger.debug(log, 'callback delivered');
    } else if (decision.kind === 'retry') {
      out.schedule(settings.delayed, { id: job.id, payload: next(), dueAtMs: decision.retryAtMs });
      ctx.metrics.messages.inc({ stage: STAGE, outcome: 'retry' });
      ctx.logger.debug({ ...log, retryInMs: decision.delayMs }, 'callback failed; retrying later');
    } else {
      const reason = `${decision.reason} after ${attemptsMade} attempt(s): ${record.error?.code ?? `status ${record.status}`}`;
      dead.push({ id: job.id, deadAt: nowMs, job: next(), reason });
      ctx.metrics.messages.inc({ stage: STAGE, outcome: 'dead_letter' });
      ctx.logger.warn({ ...log, reason: decision.reason }, 'callback given up; stored as a dead letter');
    }
  }
  return dead;
}

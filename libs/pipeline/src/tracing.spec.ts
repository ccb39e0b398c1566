import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createEnvelope, serializeEnvelope, type Envelope } from '@parc/envelope';
import { startCallbackReceiver, startTargetServer, waitFor, type CallbackReceiver } from '@parc/testing';
import { globalNames } from '@parc/topology';
import { parseTraceparent, type Tracing } from '@parc/tracing';
import { generateWebhookSecret } from '@parc/webhooks';
import { startEmbeddedPipeline } from './embedded.fixture';
import { FAST_POLICY, loopbackHttp, memoryBackend, type MemoryBackend } from './pipeline.fixture';
import type { Worker } from './index';

const ACCEPT = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const TRACE = { traceparent: `00-${ACCEPT.traceId}-${ACCEPT.spanId}-01`, tracestate: 'rojo=1' };

/** One pipeline in process on the memory backend, with or without tracing. */
async function pipeline(tracing: Tracing | undefined) {
  const [target, receiver] = await Promise.all([startTargetServer(), startCallbackReceiver()]);
  const backend = memoryBackend({ leaseMs: 5_000 });
  const http = loopbackHttp();
  const callbackHttp = loopbackHttp();
  const workers: Worker[] = await startEmbeddedPipeline({ backend, http, callbackHttp, secrets: [generateWebhookSecret()], ...(tracing ? { tracing } : {}) });
  const submit = async (path: string, params: Record<string, string>, request: { propagateTrace?: boolean } = {}): Promise<Envelope> => {
    const envelope = createEnvelope(
      { request: { method: 'GET', url: target.urlFor(path, params), ...request }, policy: FAST_POLICY, callback: { url: receiver.url }, traceId: ACCEPT.traceId, trace: TRACE },
      { nowMs: Date.now() },
    );
    await backend.ledger().accept(globalNames().inbox, [{ id: envelope.id, batchId: envelope.batchId, payload: serializeEnvelope(envelope) }]);
    return envelope;
  };
  const close = async (): Promise<void> => {
    await Promise.all(workers.map((worker) => worker.close()));
    await (backend as MemoryBackend).close();
    await Promise.all([http.close(), callbackHttp.close(), target.close(), receiver.close()]);
  };
  return { target, receiver, submit, close };
}

const callbackOf = (receiver: CallbackReceiver, id: string) => receiver.deliveries.find((delivery) => delivery.id === id);

describe('trace context through the pipeline, tracing on', () => {
  let exporter: InMemorySpanExporter;
  let provider: TracerProvider;
  let stack: Awaited<ReturnType<typeof pipeline>>;

  beforeAll(async () => {
    exporter = new InMemorySpanExporter();
    provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    stack = await pipeline({ enabled: true, tracer: provider.getTracer('test'), shutdown: () => provider.shutdown() });
  });
  afterAll(async () => {
    await stack.close();
    await provider.shutdown();
  });

  it('records a span per stage per request, every one a child of the accept span, and sends the attempt span to the target', async () => {
    const envelope = await stack.submit('/flaky', { seq: '500,200', key: 'flaky' });
    await waitFor('the callback', () => callbackOf(stack.receiver, envelope.id) !== undefined, 10_000);
    const ofRequest = (): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.attributes['parc.request.id'] === envelope.id);
    // The responder's recorder span ends once its ledger write is durable, after the callback may have gone.
    await waitFor('every span ended', () => ofRequest().length >= 10, 5_000);
    const spans = ofRequest();
    const names = spans.map((span) => `${span.name}:${String(span.attributes['parc.outcome'] ?? span.attributes['http.response.status_code'])}`).sort();
    expect(names).toEqual(
      [
        'callback-sender deliver:200',
        'parc-caller attempt:200',
        'parc-caller attempt:500',
        'parc-incoming:ready',
        'parc-incoming:ready',
        'parc-outgoing mover:requeued',
        'parc-outgoing:retry',
        'parc-outgoing:succeeded',
        'proxy-store:routed',
        'responder:succeeded',
      ].sort(),
    );
    for (const span of spans) {
      expect({ name: span.name, traceId: span.spanContext().traceId, parent: span.parentSpanContext?.spanId }).toEqual({ name: span.name, traceId: ACCEPT.traceId, parent: ACCEPT.spanId });
    }
    const attempts = spans.filter((span) => span.name === 'parc-caller attempt').sort((a, b) => Number(a.attributes['parc.attempt']) - Number(b.attributes['parc.attempt']));
    expect(attempts.map((span) => [span.kind, span.attributes['parc.attempt'], span.attributes['http.request.method'], span.status.code])).toEqual([
      [SpanKind.CLIENT, 1, 'GET', SpanStatusCode.ERROR],
      [SpanKind.CLIENT, 2, 'GET', SpanStatusCode.UNSET],
    ]);
    expect(attempts[0]?.attributes['url.full']).toBe(`${stack.target.url}/flaky`);

    // The target saw each attempt's own span as the parent, the client's tracestate along.
    const calls = stack.target.callsFor('flaky');
    expect(calls.map((call) => parseTraceparent(call.headers['traceparent'] as string))).toEqual(
      attempts.map((span) => ({ traceId: ACCEPT.traceId, spanId: span.spanContext().spanId, flags: 1 })),
    );
    expect(calls.map((call) => call.headers['tracestate'])).toEqual(['rojo=1', 'rojo=1']);
    const deliver = spans.find((span) => span.name === 'callback-sender deliver');
    expect(callbackOf(stack.receiver, envelope.id)?.headers['traceparent']).toBe(`00-${ACCEPT.traceId}-${deliver?.spanContext().spanId}-01`);
  });

  it('sends no trace headers to the target of a request that switched them off, and still traces it', async () => {
    const envelope = await stack.submit('/quiet', { status: '200', key: 'quiet' }, { propagateTrace: false });
    await waitFor('the callback', () => callbackOf(stack.receiver, envelope.id) !== undefined, 10_000);
    const [call] = stack.target.callsFor('quiet');
    expect(call?.headers).not.toHaveProperty('traceparent');
    expect(call?.headers).not.toHaveProperty('tracestate');
    expect(exporter.getFinishedSpans().some((span) => span.name === 'parc-caller attempt' && span.attributes['parc.request.id'] === envelope.id)).toBe(true);
    expect(callbackOf(stack.receiver, envelope.id)?.headers['traceparent']).toMatch(new RegExp(`^00-${ACCEPT.traceId}-[0-9a-f]{16}-01$`));
  });
});

describe('trace context through the pipeline, tracing off', () => {
  let stack: Awaited<ReturnType<typeof pipeline>>;
  beforeAll(async () => (stack = await pipeline(undefined)));
  afterAll(() => stack.close());

  it("sends the envelope's traceparent unchanged to the target on every attempt and to the callback", async () => {
    const envelope = await stack.submit('/flaky-off', { seq: '500,200', key: 'flaky-off' });
    await waitFor('the callback', () => callbackOf(stack.receiver, envelope.id) !== undefined, 10_000);
    expect(stack.target.callsFor('flaky-off').map((call) => [call.headers['traceparent'], call.headers['tracestate']])).toEqual([
      [TRACE.traceparent, TRACE.tracestate],
      [TRACE.traceparent, TRACE.tracestate],
    ]);
    expect(callbackOf(stack.receiver, envelope.id)?.headers['traceparent']).toBe(TRACE.traceparent);
  });
});

import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { parseEnvelope, type Envelope } from '@parc/envelope';
import type { Tracing } from '@parc/tracing';
import { buildTestApi, postBatch, postNdjson, type TestApi } from './api.fixture';

const URL_A = 'https://api.example.com/a';
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const CLIENT = { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'rojo=00f067aa0ba902b7' };

/** parts of a traceparent */
const partsOf = (envelope: Envelope | undefined) => {
  const [version, traceId, spanId, flags] = (envelope?.trace?.traceparent ?? '').split('-');
  return { version, traceId, spanId, flags };
};

async function envelopesOf(api: TestApi): Promise<Envelope[]> {
  return (await api.drain()).map((delivery) => parseEnvelope(delivery.payload));
}

describe('trace context at intake, tracing off', () => {
  let api: TestApi;
  beforeEach(async () => (api = await buildTestApi()));
  afterEach(() => api.close());

  it("continues the client's trace for a single request: its trace id, a span id of its own, the client's flags and tracestate", async () => {
    await postBatch(api, { requests: [{ url: URL_A }] }, { ...CLIENT, traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00` });
    const [envelope] = await envelopesOf(api);
    expect(envelope?.traceId).toBe(CLIENT_TRACE);
    expect(partsOf(envelope)).toEqual({ version: '00', traceId: CLIENT_TRACE, spanId: expect.stringMatching(/^[0-9a-f]{16}$/), flags: '00' });
    expect(partsOf(envelope).spanId).not.toBe(CLIENT_SPAN);
    expect(envelope?.trace?.tracestate).toBe(CLIENT.tracestate);
  });

  it('starts a trace per request for a batch of several, and for every NDJSON line, even with a client traceparent', async () => {
    await postBatch(api, { requests: [{ url: URL_A }, { url: URL_A }] }, CLIENT);
    await postNdjson(api, `${JSON.stringify({ url: URL_A })}\n`, CLIENT);
    const envelopes = await envelopesOf(api);
    expect(envelopes).toHaveLength(3);
    const traceIds = envelopes.map((envelope) => envelope.traceId);
    expect(new Set(traceIds).size).toBe(3);
    expect(traceIds).not.toContain(CLIENT_TRACE);
    for (const envelope of envelopes) {
      expect(partsOf(envelope)).toEqual({ version: '00', traceId: envelope.traceId, spanId: expect.stringMatching(/^(?!0{16})[0-9a-f]{16}$/), flags: '01' });
      expect(envelope.trace).not.toHaveProperty('tracestate');
    }
  });

  it.each<{ name: string; headers: Record<string, string> }>([
    { name: 'no traceparent', headers: {} },
    { name: 'garbage', headers: { traceparent: 'garbage' } },
    { name: 'an unknown version', headers: { traceparent: `01-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } },
    { name: 'an all-zero trace id', headers: { traceparent: `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01` } },
  ])('makes a new trace for a request with $name', async ({ headers }) => {
    await postBatch(api, { requests: [{ url: URL_A }] }, headers);
    const [envelope] = await envelopesOf(api);
    expect(envelope?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(envelope?.traceId).not.toBe(CLIENT_TRACE);
    expect(partsOf(envelope)).toMatchObject({ traceId: envelope?.traceId, flags: '01' });
  });

  it('records propagateTrace: false from the item or from the batch defaults, and nothing when it is left on', async () => {
    const response = await postBatch(api, {
      requests: [{ url: URL_A, propagateTrace: false }, { url: URL_A }, { url: URL_A, propagateTrace: true }],
      defaults: { propagateTrace: false },
    });
    expect(response.statusCode).toBe(202);
    const [own, fromDefaults, itemWins] = await envelopesOf(api);
    expect(own?.request.propagateTrace).toBe(false);
    expect(fromDefaults?.request.propagateTrace).toBe(false);
    expect(itemWins?.request).not.toHaveProperty('propagateTrace');
  });

  it('refuses a propagateTrace that is not a boolean', async () => {
    const response = await postBatch(api, { requests: [{ url: URL_A, propagateTrace: 'no' }] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([expect.objectContaining({ path: 'requests[0].propagateTrace' })]);
  });
});

describe('accept spans, tracing on', () => {
  let api: TestApi;
  let exporter: InMemorySpanExporter;
  let provider: TracerProvider;

  beforeEach(async () => {
    // The real SDK, its spans kept in memory instead of sent to a collector.
    exporter = new InMemorySpanExporter();
    provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracing: Tracing = { enabled: true, tracer: provider.getTracer('test'), shutdown: () => provider.shutdown() };
    api = await buildTestApi({ tracing });
  });
  afterEach(async () => {
    await api.close();
    await provider.shutdown();
  });

  it("makes a single request's accept span a child of the client's span, and the envelope's parent the accept span", async () => {
    const response = await postBatch(api, { requests: [{ url: URL_A }] }, CLIENT);
    const [envelope] = await envelopesOf(api);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span?.name).toBe('proxy accept');
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(span?.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(span?.attributes).toMatchObject({ 'parc.request.id': response.json().ids[0], 'parc.batch.id': response.json().batchId });
    expect(envelope?.traceId).toBe(CLIENT_TRACE);
    expect(envelope?.trace).toEqual({ traceparent: `00-${CLIENT_TRACE}-${span?.spanContext().spanId}-01`, tracestate: CLIENT.tracestate });
  });

  it("roots each request of a batch in a trace of its own, linked to the client's span", async () => {
    await postBatch(api, { requests: [{ url: URL_A }, { url: URL_A }] }, CLIENT);
    const envelopes = await envelopesOf(api);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    for (const [index, span] of spans.entries()) {
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.links.map((link) => link.context.spanId)).toEqual([CLIENT_SPAN]);
      expect(span.links[0]?.context.traceId).toBe(CLIENT_TRACE);
      expect(envelopes[index]?.traceId).toBe(span.spanContext().traceId);
      expect(partsOf(envelopes[index]).spanId).toBe(span.spanContext().spanId);
    }
    expect(spans[0]?.spanContext().traceId).not.toBe(spans[1]?.spanContext().traceId);
  });

  it('ends the spans of a refused batch as errors, after nothing was stored', async () => {
    api.beforeAccept = async () => {
      throw new Error('redis down');
    };
    const response = await postBatch(api, { requests: [{ url: URL_A }, { url: URL_A }] });
    expect(response.statusCode).toBe(500);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    expect(spans.map((span) => span.status)).toEqual([
      { code: SpanStatusCode.ERROR, message: 'redis down' },
      { code: SpanStatusCode.ERROR, message: 'redis down' },
    ]);
  });
});

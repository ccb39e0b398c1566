import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_KEY, DATA_PATH_APPS, startCallbackReceiver, startStack, startTargetServer, waitFor, type CallbackReceiver, type Stack, type TargetServer } from '@parc/testing';

/** One span as an OTLP/HTTP JSON export carries it, with the service.name of its resource. */
interface ExportedSpan {
  readonly service: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly links: readonly { traceId: string; spanId: string }[];
}

interface OtlpAttribute {
  readonly key: string;
  readonly value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}

const attributesOf = (list: readonly OtlpAttribute[] = []): Record<string, unknown> =>
  Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? (value.intValue === undefined ? (value.boolValue ?? value.doubleValue) : Number(value.intValue))]));

/**
 * A local OTLP/HTTP receiver: the JSON the exporter POSTs to /v1/traces, flattened into spans.
 * Anything but JSON fails the test (the exporter is expected to send JSON).
 */
async function startOtlpReceiver(): Promise<{ url: string; spans: ExportedSpan[]; contentTypes: Set<string>; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const contentTypes = new Set<string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      contentTypes.add(`${request.method} ${request.url} ${request.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              service,
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              links: (span.links ?? []).map((link: { traceId: string; spanId: string }) => ({ traceId: link.traceId, spanId: link.spanId })),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
const OTLP_KIND = { SERVER: 2, CLIENT: 3, CONSUMER: 5 } as const;

describe('OpenTelemetry traces across every hop: six processes, real Redis and Kafka, an OTLP/HTTP receiver', () => {
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let target: TargetServer;
  let receiver: CallbackReceiver;
  let stack: Stack;

  beforeAll(async () => {
    [otlp, target, receiver] = await Promise.all([startOtlpReceiver(), startTargetServer(), startCallbackReceiver()]);
    const allow = [target.url, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`).join(',');
    stack = await startStack({
      egressAllowList: allow,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '200', LOG_LEVEL: 'debug' },
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([target?.close(), receiver?.close(), otlp?.close()]);
  }, 60_000);

  const submit = async (request: object, traceparent?: string): Promise<{ batchId: string; ids: string[] }> => {
    const response = await fetch(`${stack.proxyUrl}/v1/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(traceparent ? { traceparent, tracestate: 'client=1' } : {}) },
      body: JSON.stringify({ requests: [request], callback: { url: receiver.url } }),
    });
    expect(response.status).toBe(202);
    return (await response.json()) as { batchId: string; ids: string[] };
  };
  const retry = { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 100 };

  it("puts one request with two attempts in the client's trace: a span from every stage, each a child of the accept span", async () => {
    const { ids: [id] } = await submit({ url: target.urlFor('/flaky', { seq: '500,200', key: 'flaky' }), retry }, `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`);
    await waitFor('the callback', () => receiver.acceptedById().has(id as string), 60_000, 50);
    const ofRequest = () => otlp.spans.filter((span) => span.attributes['parc.request.id'] === id);
    // proxy, proxy-store, parc-incoming ×2, parc-caller ×2, parc-outgoing ×3 (retry, mover, final), responder ×2 (record, callback).
    await waitFor('every stage exported its spans', () => ofRequest().length >= 11, 30_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate span would show up now
    const spans = ofRequest();

    expect(spans.map((span) => `${span.service} / ${span.name}`).sort()).toEqual(
      [
        'proxy / proxy accept',
        'proxy-store / proxy-store',
        'parc-incoming / parc-incoming',
        'parc-incoming / parc-incoming',
        'parc-caller / parc-caller attempt',
        'parc-caller / parc-caller attempt',
        'parc-outgoing / parc-outgoing',
        'parc-outgoing / parc-outgoing',
        'parc-outgoing / parc-outgoing mover',
        'responder / responder',
        'responder / callback-sender deliver',
      ].sort(),
    );
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([CLIENT_TRACE]));
    const accept = spans.find((span) => span.name === 'proxy accept') as ExportedSpan;
    expect(accept).toMatchObject({ parentSpanId: CLIENT_SPAN, kind: OTLP_KIND.SERVER });
    for (const span of spans.filter((other) => other !== accept)) {
      expect({ span: `${span.service} / ${span.name}`, parent: span.parentSpanId }).toEqual({ span: `${span.service} / ${span.name}`, parent: accept.spanId });
    }
    for (const service of DATA_PATH_APPS) expect(spans.some((span) => span.service === service)).toBe(true);

    const attempts = spans.filter((span) => span.name === 'parc-caller attempt').sort((a, b) => Number(a.attributes['parc.attempt']) - Number(b.attributes['parc.attempt']));
    expect(attempts.map((span) => [span.kind, span.attributes['parc.attempt'], span.attributes['http.request.method'], span.attributes['http.response.status_code'], span.attributes['url.full']])).toEqual([
      [OTLP_KIND.CLIENT, 1, 'GET', 500, `${target.url}/flaky`],
      [OTLP_KIND.CLIENT, 2, 'GET', 200, `${target.url}/flaky`],
    ]);
    expect(spans.filter((span) => span.name === 'parc-outgoing').map((span) => span.attributes['parc.outcome']).sort()).toEqual(['retry', 'succeeded']);

    // The target saw each attempt's span as its parent; the callback the delivery's span.
    const calls = target.callsFor('flaky');
    expect(calls.map((call) => call.headers['traceparent'])).toEqual(attempts.map((span) => `00-${CLIENT_TRACE}-${span.spanId}-01`));
    expect(calls.map((call) => call.headers['tracestate'])).toEqual(['client=1', 'client=1']);
    const deliver = spans.find((span) => span.name === 'callback-sender deliver') as ExportedSpan;
    expect(receiver.acceptedById().get(id as string)?.[0]?.headers['traceparent']).toBe(`00-${CLIENT_TRACE}-${deliver.spanId}-01`);
    expect([...otlp.contentTypes].every((line) => line.startsWith('POST /v1/traces application/json'))).toBe(true);

    // The per-request log lines carry the trace id too.
    const callerLog = readFileSync(stack.apps['parc-caller'].logFile, 'utf8').split('\n').filter((line) => line.includes(id as string));
    expect(callerLog.length).toBeGreaterThan(0);
    expect(callerLog.every((line) => JSON.parse(line).traceId === CLIENT_TRACE)).toBe(true);
  }, 120_000);

  it('sends no traceparent to the target of a request that switched it off; its callback still carries its trace', async () => {
    const { ids: [id] } = await submit({ url: target.urlFor('/quiet', { status: 200, key: 'quiet' }), retry, propagateTrace: false });
    await waitFor('the callback', () => receiver.acceptedById().has(id as string), 60_000, 50);
    const [call, ...more] = target.callsFor('quiet');
    expect(more).toHaveLength(0);
    expect(call?.headers).not.toHaveProperty('traceparent');
    expect(call?.headers).not.toHaveProperty('tracestate');
    await waitFor("the request's spans", () => otlp.spans.some((span) => span.attributes['parc.request.id'] === id && span.name === 'callback-sender deliver'), 30_000, 100);
    const spans = otlp.spans.filter((span) => span.attributes['parc.request.id'] === id);
    const accept = spans.find((span) => span.name === 'proxy accept') as ExportedSpan;
    expect(accept.parentSpanId).toBeUndefined();
    expect(spans.find((span) => span.name === 'parc-caller attempt')?.parentSpanId).toBe(accept.spanId);
    expect(receiver.acceptedById().get(id as string)?.[0]?.headers['traceparent']).toMatch(new RegExp(`^00-${accept.traceId}-[0-9a-f]{16}-01$`));
  }, 120_000);
});

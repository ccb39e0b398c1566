import { execFile, spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tracesUrl } from './sdk';
import { TRACING_OFF, startTracing } from './tracing';

const REPO = join(__dirname, '../../..');

/** Starts `startTracing(options)` in a fresh Node process and lists the OpenTelemetry modules it loaded. */
function modulesLoadedBy(options: object): { enabled: boolean; sdk: string[] } {
  const script = `
    const { startTracing } = require(${JSON.stringify(join(__dirname, 'index.ts'))});
    const tracing = startTracing(${JSON.stringify(options)});
    const sdk = Object.keys(require.cache).filter((file) => /@opentelemetry[\\\\/](sdk-trace|exporter-trace-otlp-http|resources|otlp-)/.test(file));
    console.log(JSON.stringify({ enabled: tracing.enabled, sdk }));
    tracing.shutdown();`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--eval', script], { cwd: REPO, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' }, timeout: 60_000 });
  if (child.status !== 0) throw new Error(`child failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as { enabled: boolean; sdk: string[] };
}

describe('startTracing', () => {
  it('is off without an endpoint, and loads none of the SDK; with one it is on and loads it', () => {
    expect(modulesLoadedBy({ serviceName: 'off' })).toEqual({ enabled: false, sdk: [] });
    const on = modulesLoadedBy({ serviceName: 'on', endpoint: 'http://127.0.0.1:9' });
    expect(on.enabled).toBe(true);
    expect(on.sdk.some((file) => file.includes('sdk-trace'))).toBe(true);
    expect(on.sdk.some((file) => file.includes('exporter-trace-otlp-http'))).toBe(true);
  }, 60_000);

  it('returns the shared off value without an endpoint', async () => {
    expect(startTracing({ serviceName: 'x' })).toBe(TRACING_OFF);
    expect(TRACING_OFF.enabled).toBe(false);
    await expect(TRACING_OFF.shutdown()).resolves.toBeUndefined();
  });

  it.each([
    { name: 'the base endpoint plus v1/traces', options: { endpoint: 'http://collector:4318' }, url: 'http://collector:4318/v1/traces' },
    { name: 'a base endpoint with a path and slash', options: { endpoint: 'http://collector:4318/otlp/' }, url: 'http://collector:4318/otlp/v1/traces' },
    { name: 'the traces endpoint as given, winning', options: { endpoint: 'http://a:4318', tracesEndpoint: 'http://b:4318/custom' }, url: 'http://b:4318/custom' },
  ])('exports to $name', ({ options, url }) => {
    expect(tracesUrl(options)).toBe(url);
  });
});

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly path: string;
  readonly body: string;
}

describe('exporting over OTLP/HTTP', () => {
  let server: Server;
  let endpoint: string;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the spans as JSON on shutdown, children of the remote parent, named after the service', async () => {
    // In a process of its own: the exporter loads node:http with a dynamic import(), which Jest's
    // module sandbox refuses.
    const script = `
      const { SpanKind, startTracing, startRequestSpan, traceContextOfSpan, SPAN_ATTRIBUTES } = require(${JSON.stringify(join(__dirname, 'index.ts'))});
      const tracing = startTracing({ serviceName: 'unit-test', endpoint: ${JSON.stringify(endpoint)}, batch: { scheduledDelayMs: 60000 } });
      const parent = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=1' };
      const span = startRequestSpan(tracing, 'stage work', parent, { kind: SpanKind.CONSUMER, attributes: { [SPAN_ATTRIBUTES.requestId]: 'r1' } });
      const child = traceContextOfSpan(span, parent.tracestate);
      span.end();
      tracing.shutdown().then(() => tracing.shutdown()).then(() => console.log(JSON.stringify(child)));`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', '--eval', script], { cwd: REPO, env: { PATH: process.env['PATH'] ?? '' }, timeout: 60_000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      ),
    );
    const child = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { traceparent: string; tracestate: string };

    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.path).toBe('/v1/traces');
    expect(request.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request.body);
    const resource = body.resourceSpans[0].resource.attributes as { key: string; value: { stringValue?: string } }[];
    expect(resource.find(({ key }) => key === 'service.name')?.value.stringValue).toBe('unit-test');
    const [exported] = body.resourceSpans[0].scopeSpans[0].spans;
    expect(exported).toMatchObject({
      name: 'stage work',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      kind: 5, // OTLP's SPAN_KIND_CONSUMER
    });
    expect(exported.attributes).toEqual([{ key: 'parc.request.id', value: { stringValue: 'r1' } }]);
    expect(child).toEqual({ traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${exported.spanId}-01`, tracestate: 'vendor=1' });
  }, 60_000);
});

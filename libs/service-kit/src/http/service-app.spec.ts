import { ParcError } from '@parc/errors';
import { buildServiceApp, createLogger, createMetrics, type ReadinessCheck, type ServiceApp } from '../index';

function build(readinessChecks: ReadinessCheck[] = []): ServiceApp {
  return buildServiceApp({
    service: 'test-svc',
    logger: createLogger({ service: 'test-svc', level: 'silent' }),
    registry: createMetrics({ service: 'test-svc' }),
    readinessChecks,
  });
}

describe('buildServiceApp', () => {
  let app: ServiceApp;
  afterEach(() => app.close());

  it('answers /health/live with 200 {status: ok}', async () => {
    app = build();
    const response = await app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('serves Prometheus text with the default metrics and the service label', async () => {
    app = build();
    await app.inject({ method: 'GET', url: '/health/live' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.body).toContain('process_cpu_user_seconds_total{service="test-svc"}');
    expect(response.body).toContain('nodejs_eventloop_lag_seconds{service="test-svc"}');
    expect(response.body).toMatch(
      /http_server_request_duration_seconds_count\{service="test-svc",method="GET",route="\/health\/live",status_code="200"\} 1/,
    );
  });

  it('takes the request id from x-request-id and echoes it, or makes one', async () => {
    app = build();
    const given = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const junk = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'no spaces {}' } });
    expect(junk.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with 404 and the house error body', async () => {
    app = build();
    const response = await app.inject({ method: 'POST', url: '/nope?token=secret' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for POST /nope' } });
  });

  it('answers a ParcError with its status and the house body, other errors as Fastify does', async () => {
    app = build();
    app.get('/draining', async () => {
      throw new ParcError('SHUTTING_DOWN', 'draining');
    });
    app.post('/strict', { schema: { body: { type: 'object', properties: { n: { type: 'integer' } } } } }, async () => 'ok');
    const draining = await app.inject({ method: 'GET', url: '/draining' });
    expect(draining.statusCode).toBe(503);
    expect(draining.json()).toEqual({ error: { code: 'SHUTTING_DOWN', message: 'draining' } });
    const coerced = await app.inject({ method: 'POST', url: '/strict', payload: { n: '5' } });
    expect(coerced.statusCode).toBe(400);
    expect(coerced.json()).toMatchObject({ code: 'FST_ERR_VALIDATION' });
  });

  it('refuses bodies that are not JSON with 415', async () => {
    app = build();
    app.post('/echo', async (request) => request.body);
    const text = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'text/plain' }, payload: 'hi' });
    expect(text.statusCode).toBe(415);
    const json = await app.inject({ method: 'POST', url: '/echo', payload: { hi: 1 } });
    expect(json.json()).toEqual({ hi: 1 });
  });
});

describe('readiness', () => {
  let app: ServiceApp;
  afterEach(() => app.close());

  const ready = async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    return { statusCode: response.statusCode, body: response.json() };
  };

  it('is ready when every check passes, and reports each failure by name while one fails', async () => {
    let redisUp = true;
    app = build([
      { name: 'kafka', check: async () => undefined },
      {
        name: 'redis',
        check: () => {
          if (!redisUp) throw new Error('ECONNREFUSED 127.0.0.1:6379');
        },
      },
    ]);
    expect(await ready()).toEqual({
      statusCode: 200,
      body: { service: 'test-svc', status: 'ok', checks: [{ name: 'kafka', status: 'pass' }, { name: 'redis', status: 'pass' }] },
    });
    redisUp = false;
    expect(await ready()).toEqual({
      statusCode: 503,
      body: {
        service: 'test-svc',
        status: 'unavailable',
        checks: [
          { name: 'kafka', status: 'pass' },
          { name: 'redis', status: 'fail', error: 'ECONNREFUSED 127.0.0.1:6379' },
        ],
      },
    });
    redisUp = true;
    expect((await ready()).statusCode).toBe(200);
  });

  it('fails a check that outlives its timeout, and aborts its signal', async () => {
    let aborted = false;
    app = build([
      {
        name: 'slow',
        timeoutMs: 20,
        check: (signal) =>
          new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              resolve();
            });
          }),
      },
    ]);
    expect(await ready()).toEqual({
      statusCode: 503,
      body: { service: 'test-svc', status: 'unavailable', checks: [{ name: 'slow', status: 'fail', error: 'timed out after 20 ms' }] },
    });
    expect(aborted).toBe(true);
  });

  it('takes checks added after the build, and reports 503 once shutting down', async () => {
    app = build();
    app.readiness.add({ name: 'late', check: () => Promise.reject(new Error('not yet')) });
    expect((await ready()).statusCode).toBe(503);
    app = build();
    expect(app.readiness.shuttingDown).toBe(false);
    app.readiness.markShuttingDown();
    expect(app.readiness.shuttingDown).toBe(true);
    expect(await ready()).toEqual({ statusCode: 503, body: { service: 'test-svc', status: 'shutting_down', checks: [] } });
  });
});

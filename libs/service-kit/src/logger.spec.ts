import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import { buildServiceApp, createLogger, createMetrics, type LoggerOptions } from './index';

/** A logger whose lines are collected, parsed, for assertions. */
function capture(options: Omit<LoggerOptions, 'destination'>) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ ...options, destination });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes JSON lines with service, pid, hostname, level label and ISO time', () => {
    const { logger, records } = capture({ service: 'proxy' });
    logger.info({ batchId: 'b1' }, 'accepted');
    const [record] = records();
    expect(record).toMatchObject({ level: 'info', service: 'proxy', pid: process.pid, hostname: hostname(), batchId: 'b1', msg: 'accepted' });
    expect(new Date(String(record?.['time'])).toISOString()).toBe(record?.['time']);
  });

  it('honours the level', () => {
    const { logger, records } = capture({ service: 'proxy', level: 'warn' });
    logger.info('hidden');
    logger.warn('shown');
    expect(records().map((r) => r['msg'])).toEqual(['shown']);
  });

  it.each([
    { name: 'req headers', logged: { req: { headers: { authorization: 'Bearer s3cret' } } } },
    { name: 'request headers, any case', logged: { request: { headers: { Authorization: 'Bearer s3cret', 'X-Api-Key': 's3cret' } } } },
    { name: 'response cookies', logged: { response: { headers: { 'Set-Cookie': 'sid=s3cret' } } } },
    { name: 'bare headers', logged: { headers: { Cookie: 'sid=s3cret', 'proxy-authorization': 's3cret' } } },
    { name: 'res headers', logged: { res: { headers: { 'set-cookie': 's3cret' } } } },
  ])('redacts secret headers: $name', ({ logged }) => {
    const { logger, lines } = capture({ service: 'proxy' });
    logger.info(logged, 'call');
    expect(lines.join('\n')).not.toContain('s3cret');
    expect(lines.join('\n')).toContain('[redacted]');
  });

  it('redacts configured header names in any spelling', () => {
    const { logger, records } = capture({ service: 'caller', redactHeaders: ['X-Tenant-Token'] });
    logger.info({ request: { headers: { 'X-TENANT-TOKEN': 'secret', accept: 'json' } } }, 'calling');
    expect(records()[0]).toMatchObject({ request: { headers: { 'x-tenant-token': '[redacted]', accept: 'json' } } });
  });

  it('redacts extra configured paths and keeps other headers', () => {
    const { logger, records } = capture({ service: 'caller', redact: ['envelope.request.body'] });
    logger.info({ envelope: { request: { body: 's3cret' } }, request: { headers: { Accept: 'json' } } }, 'call');
    expect(records()[0]).toMatchObject({ envelope: { request: { body: '[redacted]' } }, request: { headers: { accept: 'json' } } });
  });

  it('keeps Authorization out of a request logged by a Fastify route', async () => {
    const { logger, lines } = capture({ service: 'proxy', level: 'debug' });
    const app = buildServiceApp({ service: 'proxy', logger, registry: createMetrics({ service: 'proxy' }) });
    app.post('/v1/requests', async (request) => {
      request.log.info({ request: { method: request.method, headers: request.headers } }, 'intake');
      return { ok: true };
    });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: { Authorization: 'Bearer s3cret-token', 'x-request-id': 'r-1' },
      payload: {},
    });
    await app.close();
    expect(response.statusCode).toBe(200);
    const intake = lines.map((line) => JSON.parse(line)).find((r) => r.msg === 'intake');
    expect(intake).toMatchObject({ reqId: 'r-1', request: { headers: { authorization: '[redacted]' } } });
    expect(lines.join('\n')).not.toContain('s3cret-token');
  });

  it('keeps health probes and scrapes out of the request log', async () => {
    const { logger, records } = capture({ service: 'proxy' });
    const app = buildServiceApp({ service: 'proxy', logger, registry: createMetrics({ service: 'proxy' }) });
    await app.inject({ method: 'GET', url: '/health/live' });
    await app.inject({ method: 'GET', url: '/metrics' });
    await app.inject({ method: 'GET', url: '/elsewhere' });
    await app.close();
    const urls = records().map((r) => (r['req'] as { url?: string } | undefined)?.url).filter(Boolean);
    expect(urls).toEqual(['/elsewhere']);
  });
});

import { Counter, register as globalRegistry } from 'prom-client';
import { buildServiceApp, createLogger, createMetrics, registerOnce } from './index';

describe('createMetrics', () => {
  it('collects the default Node metrics, every series labelled with the service', async () => {
    const registry = createMetrics({ service: 'parc-caller' });
    const text = await registry.metrics();
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
      expect(text).toContain(`${name}{service="parc-caller"}`);
    }
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('uses a registry of its own, never the global one', async () => {
    const registry = createMetrics({ service: 'a' });
    expect(registry).not.toBe(globalRegistry);
    new Counter({ name: 'parc_test_things_total', help: 'Things.', registers: [registry] }).inc();
    expect(await createMetrics({ service: 'b' }).metrics()).not.toContain('parc_test_things_total');
    expect(await globalRegistry.metrics()).not.toContain('parc_test_things_total');
    expect(await registry.metrics()).toContain('parc_test_things_total{service="a"} 1');
  });
});

describe('registerOnce', () => {
  it('returns the metric already registered under the name instead of failing', () => {
    const registry = createMetrics({ service: 'a' });
    const create = (register: typeof registry) => new Counter({ name: 'parc_test_once_total', help: 'Once.', registers: [register] });
    const first = registerOnce(registry, 'parc_test_once_total', create);
    expect(registerOnce(registry, 'parc_test_once_total', create)).toBe(first);
  });
});

describe('parc_ready', () => {
  it('is 1 while every readiness check passes, 0 while one fails and once shutting down, read at each scrape', async () => {
    let redisUp = true;
    const app = buildServiceApp({
      service: 'parc-caller',
      logger: createLogger({ service: 'parc-caller', level: 'silent' }),
      registry: createMetrics({ service: 'parc-caller' }),
      readinessChecks: [
        { name: 'http', check: () => undefined },
        {
          name: 'parc-redis',
          check: () => {
            if (!redisUp) throw new Error('ECONNREFUSED');
          },
        },
      ],
    });
    const scrape = async () => (await app.inject({ method: 'GET', url: '/metrics' })).body.match(/^parc_ready\{service="parc-caller"\} (\d+)$/m)?.[1];
    try {
      expect(await scrape()).toBe('1');
      redisUp = false;
      expect(await scrape()).toBe('0');
      redisUp = true;
      expect(await scrape()).toBe('1');
      app.readiness.markShuttingDown();
      expect(await scrape()).toBe('0');
    } finally {
      await app.close();
    }
  });
});

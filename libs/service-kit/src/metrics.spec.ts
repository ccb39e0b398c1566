import { Counter, register as globalRegistry } from 'prom-client';
import { createMetrics, registerOnce } from './index';

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

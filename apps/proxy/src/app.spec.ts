import { MemoryBackend } from '@parc/memory';
import { verifyServiceContract } from '@parc/service-kit';
import { buildApp } from './app';
import { SERVICE, configSpec } from './config';

it(`${SERVICE} serves health, readiness, metrics and house errors`, async () => {
  const memory = new MemoryBackend();
  const backends = { proxyRedis: memory, parcRedis: memory, kafka: memory };
  try {
    const violations = await verifyServiceContract({
      service: SERVICE,
      spec: configSpec,
      env: { API_KEYS: 'test:0123456789abcdef' },
      build: (config, deps) => buildApp(config, { ...deps, backends }),
    });
    expect(violations).toEqual([]);
  } finally {
    await memory.close();
  }
});

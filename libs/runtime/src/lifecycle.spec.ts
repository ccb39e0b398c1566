import { MemoryBackend } from '@parc/memory';
import { buildServiceApp, createLogger, createMetrics } from '@parc/service-kit';
import { manageStage, watch } from './lifecycle';

function app() {
  return buildServiceApp({ service: 'test', logger: createLogger({ service: 'test', level: 'silent' }), registry: createMetrics({ service: 'test' }) });
}

describe('manageStage', () => {
  it('starts workers when ready, pings backends for readiness, and closes workers before owned backends', async () => {
    const order: string[] = [];
    const owned = new MemoryBackend();
    const shared = new MemoryBackend();
    const server = app();
    manageStage(server, {
      backends: {
        owned: { backend: { ping: () => owned.ping(), close: async () => void order.push('owned closed') }, owned: true },
        shared: { backend: { ping: () => shared.ping(), close: async () => void order.push('shared closed') }, owned: false },
      },
      start: async () => {
        order.push('started');
        return [{ close: async () => void order.push('worker closed') }];
      },
    });
    await server.ready();
    expect(order).toEqual(['started']);
    const ready = await server.inject({ method: 'GET', url: '/health/ready' });
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ok', checks: [{ name: 'owned', status: 'pass' }, { name: 'shared', status: 'pass' }] });
    await server.close();
    expect(order).toEqual(['started', 'worker closed', 'owned closed']);
  });

  it('reports the backlog of watched queues when /metrics is scraped, across stages in one process', async () => {
    const memory = new MemoryBackend();
    const server = app();
    const noBackends = { backends: {}, start: async () => [] };
    manageStage(server, { ...noBackends, backlogs: [watch(memory, 'inbox', 'proxy-store')] });
    manageStage(server, { ...noBackends, backlogs: [watch(memory, 'ready', 'parc-caller')] });
    await memory.publish('inbox', [{ payload: 'a' }, { payload: 'b' }]);
    await memory.publish('ready', [{ payload: 'c' }]);
    const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('parc_queue_backlog{queue="inbox",group="proxy-store",state="waiting"');
    expect(metrics).toMatch(/parc_queue_backlog\{queue="inbox",group="proxy-store",state="waiting"[^}]*\} 2/);
    expect(metrics).toMatch(/parc_queue_backlog\{queue="ready",group="parc-caller",state="waiting"[^}]*\} 1/);
    await server.close();
    await memory.close();
  });
});

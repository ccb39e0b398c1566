import { ParcError } from '@parc/errors';
import { MemoryBackend } from '@parc/memory';
import { waitFor } from '@parc/testing';
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
      name: 'stage',
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
    await waitFor('the workers to start', () => order.length > 0, 2_000);
    expect(order).toEqual(['started']);
    const ready = await server.inject({ method: 'GET', url: '/health/ready' });
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 'ok',
      checks: [{ name: 'owned', status: 'pass' }, { name: 'shared', status: 'pass' }, { name: 'stage workers', status: 'pass' }],
    });
    await server.close();
    expect(order).toEqual(['started', 'worker closed', 'owned closed']);
  });

  it('listens and reports not-ready while a dependency is missing, and becomes ready by itself once it answers', async () => {
    const server = app();
    let brokerUp = false;
    const closed: string[] = [];
    manageStage(server, {
      name: 'incoming',
      backends: {},
      start: async () => {
        if (!brokerUp) throw new Error('Kafka could not connect: ECONNREFUSED');
        return [{ close: async () => void closed.push('worker') }];
      },
    });
    await server.ready();
    const notReady = await server.inject({ method: 'GET', url: '/health/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(JSON.parse(notReady.body).checks).toEqual([
      { name: 'incoming workers', status: 'fail', error: 'incoming workers not started: Kafka could not connect: ECONNREFUSED' },
    ]);
    expect((await server.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    brokerUp = true;
    await waitFor('readiness once the broker answers', async () => (await server.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200, 5_000);
    await server.close();
    expect(closed).toEqual(['worker']);
  });

  it('reports a configuration error found while starting on the fatal channel', async () => {
    const server = app();
    const fatal: unknown[] = [];
    server.fatal.subscribe((error) => fatal.push(error));
    manageStage(server, {
      name: 'caller',
      backends: {},
      start: async () => {
        throw new ParcError('QUEUE_OPTIONS_INVALID', 'parc-caller: batchSize must be an integer ≥ 1');
      },
    });
    await server.ready();
    await waitFor('the fatal report', () => fatal.length > 0, 2_000);
    expect(fatal).toEqual([expect.objectContaining({ code: 'QUEUE_OPTIONS_INVALID' })]);
    await server.close();
  });

  it('reports the backlog of watched queues when /metrics is scraped, across stages in one process', async () => {
    const memory = new MemoryBackend();
    const server = app();
    const noBackends = { name: 'stage', backends: {}, start: async () => [] };
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

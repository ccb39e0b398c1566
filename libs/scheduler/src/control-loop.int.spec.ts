import { randomBytes } from 'node:crypto';
import { KafkaBackend } from '@parc/kafka';
import { RedisBackend } from '@parc/redis';
import { DEFAULT_SCALING_POLICY } from '@parc/scaling';
import { waitFor } from '@parc/testing';
import { globalNames, parcNames } from '@parc/topology';
import { createControlLoop, type DecisionEntry } from './control-loop';
import { dryRunDriver, type ClusterState } from './driver';
import { pipelineSignals } from './signals/pipeline';

const CLUSTER: ClusterState = {
  globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 },
  parcs: [{ id: 'p1', state: 'active', createdAtMs: 0, instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism: 64 }],
  capacity: { cpuMillis: 20_000, memoryMiB: 32_768 }, // not the bound here: the sizing is what this test reads
};

const messages = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ payload: `${tag}${i}`, key: `${tag}${i}` }));

describe('scheduler control loop on a real Redis and Kafka', () => {
  const namespace = `sched${randomBytes(4).toString('hex')}`;
  const redis = new RedisBackend({ url: process.env['REDIS_URL'] ?? '', connectionName: 'scheduler-test', keyPrefix: namespace });
  const kafka = new KafkaBackend({ brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), clientId: 'scheduler-test', clientLogLevel: 'nothing' });
  const global = globalNames(namespace);
  const p1 = parcNames('p1', namespace);
  let clock = Date.now();

  afterAll(async () => Promise.all([redis.close(), kafka.close()]));

  it('reads backlogs and arrival rates from Redis streams, a Kafka topic and a delayed set, and keeps its log in Redis', async () => {
    await kafka.ensureQueue(p1.requestsTopic, { partitions: 4 });
    // A new topic can take a while before every partition answers offset requests on a busy
    // broker; the loop would just try again next tick, this test waits for it once.
    await kafka.publish(p1.requestsTopic, messages(1, 'first'));
    await waitFor('the new topic readable', () => kafka.backlog(p1.requestsTopic, 'parc-incoming.p1').then((b) => b.added === 1, () => false), 60_000);
    const loop = () =>
      createControlLoop({
        signals: pipelineSignals({ proxy: redis, kafka, parcRedis: () => redis, namespace, dueHorizonMs: 10_000 }),
        driver: dryRunDriver(CLUSTER, () => undefined),
        policy: DEFAULT_SCALING_POLICY,
        decisions: redis.decisionLog(),
        now: () => clock,
      });
    await loop().tick();

    await redis.publish(global.inbox, messages(3_000, 'in'));
    await kafka.publish(p1.requestsTopic, messages(1_200, 'rq'));
    await redis.publish(p1.ready, messages(800, 'rd'));
    await redis.delayedQueue(p1.delayed, p1.due).schedule([{ id: 'a', payload: 'a', dueAtMs: clock + 2_000 }]);
    clock += 2_000;
    const entry = await loop().tick();

    expect(entry.observation.proxyStore).toEqual({ arrivalRate: 1_500, backlog: 3_000 });
    expect(entry.observation.parcs[0]).toMatchObject({
      incoming: { arrivalRate: 600, backlog: 1_201 },
      caller: { arrivalRate: 400, backlog: 800, inFlight: 0 },
      delayed: { size: 1, dueSoon: 1 },
    });
    const proxyStore = entry.plan.stages.find((stage) => stage.key === 'proxy-store');
    // (1,500/s + 3,000 / 10 s) / (500/s × 0.8) = 4.5 → 5 instances.
    expect(proxyStore).toMatchObject({ current: 1, desired: 5 });
    expect(entry.plan.budget.planned.cpuMillis).toBeLessThanOrEqual(20_000);
    const logged = (await redis.decisionLog().recent(2)).map((line) => JSON.parse(line) as DecisionEntry);
    expect(logged[0]).toEqual(entry);
    expect(logged[1]?.atMs).toBe(clock - 2_000);
  });
});

import { MemoryParcRegistry } from '@parc/memory';
import { silentLogger } from '@parc/queue';
import type { ParcPlan, Plan, StageName, StagePlan } from '@parc/scaling';
import { waitFor } from '@parc/testing';
import { startLocalProcessDriver, type LocalProcessDriver } from './local-processes';

/** A stand-in instance: a real process answering on its PORT with what it is. */
const INSTANCE = `require('node:http').createServer((q, s) => s.end(JSON.stringify({ pid: String(process.pid), stage: process.env.STAGE, parc: process.env.PARC_ID, callers: process.env.CALLER_CONCURRENCY }))).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));`;

function plan(stages: [StageName, string | undefined, number][], parcs: ParcPlan[] = []): Plan {
  const stagePlans: StagePlan[] = stages.map(([stage, parcId, desired]) => ({
    key: parcId === undefined ? stage : `${parcId}/${stage}`,
    stage,
    ...(parcId === undefined ? {} : { parcId }),
    current: 0,
    desired,
    reason: 'test',
  }));
  return { stages: stagePlans, parcs, budget: { capacity: { cpuMillis: 1, memoryMiB: 1 }, planned: { cpuMillis: 0, memoryMiB: 0 } }, parcsNeeded: false, parcSaturated: false, arrivalsNeedParcs: false };
}

const ask = async (port: number): Promise<Record<string, string>> => (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as Record<string, string>;

describe('local-process driver (real processes)', () => {
  const registry = new MemoryParcRegistry();
  const topics: string[] = [];
  const restarts: { stage: string; restartInMs: number }[] = [];
  let driver: LocalProcessDriver;

  beforeAll(async () => {
    driver = await startLocalProcessDriver({
      environment: { PATH: process.env['PATH'] },
      commandOf: (stage, parcId, callers) => ({
        command: process.execPath,
        // The responder stands for a stage that fails at once on every start.
        args: ['-e', stage === 'responder' ? 'process.exit(3)' : INSTANCE],
        env: { STAGE: stage, PARC_ID: parcId ?? '', CALLER_CONCURRENCY: String(callers) },
      }),
      basePort: 19_400 + Math.floor(Math.random() * 400),
      capacity: { cpuMillis: 2_000, memoryMiB: 4_096 },
      registry,
      createParcTopic: async (parcId) => void topics.push(parcId),
      initialParcs: ['p1'],
      restartBackoff: { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 },
      logger: { ...silentLogger, warn: (fields: object) => void restarts.push(fields as { stage: string; restartInMs: number }) },
    });
  });
  afterAll(() => driver.close(2_000));

  it('records the initial Parcs and reports what runs', async () => {
    expect((await registry.list()).map((r) => [r.id, r.state])).toEqual([['p1', 'active']]);
    expect(await driver.state()).toMatchObject({ globalInstances: { proxy: 0, 'proxy-store': 0, responder: 0 }, parcs: [{ id: 'p1', instances: { 'parc-caller': 0 } }] });
  });

  it('starts instances on their own ports, restarts a crashed one, and stops the newest on scale-down', async () => {
    await driver.apply(plan([['proxy-store', undefined, 2], ['parc-caller', 'p1', 1]]));
    const ports = driver.ports('proxy-store');
    expect(ports).toHaveLength(2);
    const callerPort = driver.ports('p1/parc-caller')[0] as number;
    // Every started instance must answer before it is asked what it is: the processes start concurrently.
    await waitFor('all three instances answer', async () => (await Promise.all([...ports, callerPort].map((port) => ask(port).then(() => true, () => false)))).every(Boolean), 10_000);
    expect(await ask(ports[0] as number)).toMatchObject({ stage: 'proxy-store' });
    // Before any plan names a parallelism, callers start at the driver's default: the apps' 512.
    expect(await ask(callerPort)).toMatchObject({ stage: 'parc-caller', parc: 'p1', callers: '512' });
    expect((await driver.state()).globalInstances['proxy-store']).toBe(2);

    // A crash: the same port answers again shortly after.
    const crashed = ports[1] as number;
    const { pid } = await ask(crashed);
    process.kill(Number(pid), 'SIGKILL');
    await waitFor('the crashed instance back on its port', async () => ask(crashed).then(() => driver.ports('proxy-store').includes(crashed), () => false), 10_000);

    await driver.apply(plan([['proxy-store', undefined, 1]]));
    expect(driver.ports('proxy-store')).toEqual([ports[0]]);
    await waitFor('the newest stopped', async () => ask(crashed).then(() => false, () => true), 10_000);
  });

  it('restarts an instance that keeps crashing at once ever more slowly, as Kubernetes does', async () => {
    await driver.apply(plan([['responder', undefined, 1]]));
    await waitFor('four restarts of the crashing responder', () => restarts.filter((r) => r.stage === 'responder').length >= 4, 10_000);
    await driver.apply(plan([['responder', undefined, 0]]));
    expect(restarts.filter((r) => r.stage === 'responder').slice(0, 4).map((r) => r.restartInMs)).toEqual([100, 200, 400, 400]);
  });

  it('creates a Parc (topic first, then recorded active), drains it and removes it', async () => {
    await driver.apply(plan([['parc-incoming', 'p2', 1]], [{ id: 'p2', action: 'create', state: 'active', callerParallelism: 128, reason: 'test' }]));
    expect(topics).toEqual(['p2']);
    expect((await registry.list()).map((r) => [r.id, r.state])).toEqual([['p1', 'active'], ['p2', 'active']]);
    expect((await driver.state()).parcs[1]).toMatchObject({ id: 'p2', callerParallelism: 128, instances: { 'parc-incoming': 1 } });
    await driver.apply(plan([], [{ id: 'p2', action: 'drain', state: 'draining', callerParallelism: 128, reason: 'test' }]));
    expect((await registry.list()).map((r) => r.state)).toEqual(['active', 'draining']);
    await driver.apply(plan([['parc-incoming', 'p2', 0]], [{ id: 'p2', action: 'remove', state: 'removed', callerParallelism: 128, reason: 'test' }]));
    expect((await registry.list()).map((r) => r.id)).toEqual(['p1']);
    expect(driver.ports('p2/parc-incoming')).toEqual([]);
  });

  it('rolls callers onto a new parallelism, as a Deployment rolls its pods: the new one started, then the old one stopped', async () => {
    const caller = (callerParallelism: number) => plan([['parc-caller', 'p1', 1]], [{ id: 'p1', action: 'keep', state: 'active', callerParallelism, reason: 'test' }]);
    await driver.apply(caller(64));
    const [old] = driver.ports('p1/parc-caller');
    await waitFor('the caller answers', () => ask(old as number).then(() => true, () => false), 10_000);
    expect(await ask(old as number)).toMatchObject({ callers: '64' });
    await driver.apply(caller(128));
    const [rolled] = driver.ports('p1/parc-caller');
    expect(rolled).not.toBe(old);
    expect((await driver.state()).parcs[0]).toMatchObject({ callerParallelism: 128, instances: { 'parc-caller': 1 } });
    await waitFor('the new caller answers', () => ask(rolled as number).then((answer) => answer['callers'] === '128', () => false), 10_000);
    await waitFor('the old caller stopped', () => ask(old as number).then(() => false, () => true), 10_000);
    // A plan with the same parallelism rolls nothing.
    await driver.apply(caller(128));
    expect(driver.ports('p1/parc-caller')).toEqual([rolled]);
  });
});

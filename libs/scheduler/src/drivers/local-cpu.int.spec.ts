import { cpus } from 'node:os';
import { MemoryDecisionLog, MemoryParcRegistry } from '@parc/memory';
import { applyPolicyOverrides, DEFAULT_SCALING_POLICY, decide, GLOBAL_STAGES, PARC_STAGES, type Plan } from '@parc/scaling';
import { waitFor } from '@parc/testing';
import { createControlLoop, type DecisionEntry } from '../control-loop';
import type { ScalingDriver } from '../driver';
import type { PipelineSignals } from '../observe';
import type { QueueReading, Signal } from '../signals/signal';
import { startLocalProcessDriver, type LocalProcessDriver } from './local-processes';

/** A stand-in instance that answers on its PORT; the busy one also burns ~60 % of a core. */
const instance = (busy: boolean): string => `require('node:http').createServer((q, s) => s.end('up')).listen(Number(process.env.PORT), '127.0.0.1');
${busy ? 'setInterval(() => { const end = Date.now() + 60; while (Date.now() < end); }, 100);' : ''}
process.on('SIGTERM', () => process.exit(0));`;

const queue = (name: string, reading: QueueReading = { waiting: 0, inFlight: 0, added: 0 }): Signal<QueueReading> => ({ name, read: async () => reading });

/** Callers of 64 to 512 calls (the defaults start at 512): the scenario below fills callers of 64. */
const POLICY = applyPolicyOverrides(DEFAULT_SCALING_POLICY, { caller: { minParallelism: 64, maxParallelism: 512 } });

/** p1's callers full (64 in flight) with 20,000 waiting and nothing finishing: slow calls (the assumed 500 ms). */
const SIGNALS: PipelineSignals = {
  inbox: queue('inbox'),
  responses: queue('responses'),
  callbacks: queue('callbacks'),
  parcs: (id) => ({
    requests: queue(`${id}/requests`),
    ready: queue(`${id}/ready`, { waiting: 20_000, inFlight: 64, added: 0 }),
    done: queue(`${id}/done`),
    delayed: { name: `${id}/delayed`, read: async () => ({ size: 0, dueSoon: 0 }) },
  }),
};

const every = (desired: number): Plan => ({
  stages: [...GLOBAL_STAGES.map((stage) => ({ key: stage, stage, current: 0, desired, reason: 'test' })), ...PARC_STAGES.map((stage) => ({ key: `p1/${stage}`, stage, parcId: 'p1', current: 0, desired, reason: 'test' }))],
  parcs: [],
  budget: { capacity: { cpuMillis: 1, memoryMiB: 1 }, planned: { cpuMillis: 0, memoryMiB: 0 } },
  parcsNeeded: false,
  parcSaturated: false,
  arrivalsNeedParcs: false,
});

describe('the CPU reading of the local driver feeds the decision (real processes)', () => {
  let driver: LocalProcessDriver;

  beforeAll(async () => {
    driver = await startLocalProcessDriver({
      environment: { PATH: process.env['PATH'] },
      callerParallelism: 64,
      commandOf: (stage) => ({ command: process.execPath, args: ['-e', instance(stage === 'parc-caller')], env: {} }),
      basePort: 19_800 + Math.floor(Math.random() * 150),
      capacity: { cpuMillis: 2_000, memoryMiB: 4_096 },
      registry: new MemoryParcRegistry(),
      createParcTopic: async () => undefined,
      initialParcs: ['p1'],
    });
    await driver.apply(every(1));
    const ports = [...GLOBAL_STAGES, ...PARC_STAGES.map((stage) => `p1/${stage}`)].flatMap((key) => driver.ports(key));
    await waitFor('every instance answers', async () => (await Promise.all(ports.map((port) => fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)))).every(Boolean), 10_000);
  });
  afterAll(() => driver.close(2_000));

  it('reads what each instance and the machine use, logs it with the tick, and decide judges and holds instances on it', async () => {
    // The loop observes through the driver; applying is left out so the busy caller stays the only one.
    const observing: ScalingDriver = { name: driver.name, state: () => driver.state(), apply: async () => undefined };
    const decisions = new MemoryDecisionLog();
    const loop = createControlLoop({ signals: SIGNALS, driver: observing, policy: POLICY, decisions, callLatencyMs: 500 });
    const first = await loop.tick();
    // The first reading has nothing to compare with: no per-instance rates, no busy share yet.
    expect(first.observation.cpu).toEqual({ perInstanceMillis: {}, usedMillis: 0, machineMillis: cpus().length * 1000 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const entry = await loop.tick();

    const cpu = entry.observation.cpu;
    expect(cpu?.machineMillis).toBe(cpus().length * 1000);
    expect(cpu?.perInstanceMillis['p1/parc-caller']).toBeGreaterThan(350);
    expect(cpu?.perInstanceMillis['p1/parc-caller']).toBeLessThan(900);
    for (const quiet of ['proxy', 'proxy-store', 'responder', 'p1/parc-incoming', 'p1/parc-outgoing']) expect(cpu?.perInstanceMillis[quiet]).toBeLessThan(100);
    expect(cpu?.machineBusyShare).toBeGreaterThan(0.1);
    expect(cpu?.usedMillis).toBeGreaterThanOrEqual(cpu?.perInstanceMillis['p1/parc-caller'] ?? 0);
    expect((JSON.parse((await decisions.recent(1))[0] as string) as DecisionEntry).observation.cpu).toEqual(cpu);

    // The load asks for 16 callers at parallelism 64 (slow calls). 15 more at what the busy one uses
    // would overload the machine (or it is saturated already, if other work runs here): its
    // parallelism is raised instead, and no caller is added.
    const callers = (plan: Plan) => plan.stages.find((stage) => stage.key === 'p1/parc-caller');
    expect(entry.plan.parcs[0]).toMatchObject({ callerParallelism: 128, reason: expect.stringMatching(/^parallelism 64 → 128 instead of more callers: callers full \(64 of 64 in flight\), calls slow \(500 ms, waiting on the network\) and machine [\d.]+ % busy/) });
    expect(callers(entry.plan)).toMatchObject({ desired: 1, reason: expect.stringMatching(/^holding 1: CPU held back a scale-up to 10 \(machine [\d.]+ % busy.*; parallelism raised 64 → 128 instead\)/) });

    // Without the machine's share, the per-instance reading still judges capacity: at what the busy
    // caller uses (above its 200 m request), the 2,000 m hold fewer callers than at the request.
    const perInstanceOnly = { perInstanceMillis: cpu?.perInstanceMillis ?? {}, usedMillis: cpu?.usedMillis ?? 0 };
    const judged = callers(decide({ ...entry.observation, cpu: perInstanceOnly }, POLICY));
    const requested = callers(decide({ ...entry.observation, cpu: undefined }, POLICY));
    expect(requested?.desired).toBe(7);
    expect(judged?.desired).toBeLessThan(requested?.desired ?? 0);
    expect(judged?.reason).toMatch(/; capacity short: wanted 16, got \d \(CPU judged at \d+ m per instance as measured, above the 200 m requested\)$/);
  });
});

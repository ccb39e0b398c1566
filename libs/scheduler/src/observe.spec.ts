import { MemoryBackend } from '@parc/memory';
import type { ClusterState } from './driver';
import { toObservation, type Readings } from './observe';
import { pipelineSignals } from './signals/pipeline';

const CLUSTER: ClusterState = { globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 }, parcs: [], capacity: { cpuMillis: 1_000, memoryMiB: 1_024 } };
const memory = new MemoryBackend();
const signals = pipelineSignals({ proxy: memory, kafka: memory, parcRedis: () => memory, namespace: 'parc', dueHorizonMs: 10_000 });
const inboxAdded = (atMs: number, added: number): Readings => ({ atMs, queues: { [signals.inbox.name]: { waiting: 0, inFlight: 0, added } }, delayed: {} });
const ingress = (previous: Readings, latest: Readings, now: Readings): number =>
  toObservation({ readings: now, previous, latest, signals, cluster: CLUSTER, lastChangeMs: {}, callLatencyMs: 100 }).proxy.arrivalRate;

describe('observed arrival rates', () => {
  afterAll(() => memory.close());

  it('see a burst in the last tick at once, not once it fills the rate window', () => {
    // 100/s for 4 s, then 2,000 in the last second: 480/s over the window, 2,000/s since the last tick.
    expect(ingress(inboxAdded(0, 0), inboxAdded(4_000, 400), inboxAdded(5_000, 2_400))).toBe(2_000);
  });

  it('keep the window\'s rate through a lull of one tick, so it does not look like the load ended', () => {
    // 1,000/s for 4 s, then nothing in the last second: 800/s over the window.
    expect(ingress(inboxAdded(0, 0), inboxAdded(4_000, 4_000), inboxAdded(5_000, 4_000))).toBe(800);
  });

  it('are zero on the very first tick', () => {
    expect(toObservation({ readings: inboxAdded(0, 50), previous: undefined, signals, cluster: CLUSTER, lastChangeMs: {}, callLatencyMs: 100 }).proxy.arrivalRate).toBe(0);
  });
});

describe('observed call latency', () => {
  const cluster: ClusterState = {
    ...CLUSTER,
    parcs: [{ id: 'p1', state: 'active', createdAtMs: 0, instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism: 64 }],
  };
  const p1 = signals.parcs('p1');
  const at = (atMs: number, doneAdded: number, inFlight: number): Readings => ({
    atMs,
    queues: { [p1.done.name]: { waiting: 0, inFlight: 0, added: doneAdded }, [p1.ready.name]: { waiting: 0, inFlight, added: 0 } },
    delayed: {},
  });
  const latency = (before: Readings, now: Readings): number =>
    toObservation({ readings: now, previous: before, latest: before, signals, cluster, lastChangeMs: {}, callLatencyMs: 100 }).parcs[0]?.caller.callLatencyMs ?? Number.NaN;

  it("is what the callers hold over what they finish per second (Little's law)", () => {
    // 400 calls in flight, 200 finished per second: each takes 2 s.
    expect(latency(at(0, 0, 0), at(1_000, 200, 400))).toBe(2_000);
  });

  it('is the assumed value while the callers are idle', () => {
    expect(latency(at(0, 0, 0), at(1_000, 0, 0))).toBe(100);
    expect(latency(at(0, 0, 0), at(1_000, 0, 5))).toBe(100);
  });
});

describe('observed CPU', () => {
  const observed = (cluster: ClusterState) => toObservation({ readings: inboxAdded(0, 0), previous: undefined, signals, cluster, lastChangeMs: {}, callLatencyMs: 100 });

  it("is the driver's reading, and absent where the driver has none (decide then plans on requests)", () => {
    const cpu = { perInstanceMillis: { 'p1/parc-caller': 420 }, usedMillis: 420, machineMillis: 2_000, machineBusyShare: 0.9 };
    expect(observed({ ...CLUSTER, cpu }).cpu).toEqual(cpu);
    expect('cpu' in observed(CLUSTER)).toBe(false);
  });
});

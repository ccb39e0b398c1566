import { applyPolicyOverrides, DEFAULT_SCALING_POLICY } from '@parc/scaling';
import { hpaLike, parcController } from './controllers';
import { defaultConfig, Pipeline, type SimulationConfig } from './model';
import { poisson, seededRandom } from './random';
import { simulateController, simulateTrace, type TraceRun } from './run';
import { bundledTraceFiles, loadTrace, rateAt, type Trace } from './trace';

const CONFIG = defaultConfig(DEFAULT_SCALING_POLICY);
const traces = bundledTraceFiles().map(loadTrace);
const spikesTrace = traces.find((trace) => trace.name === 'spikes');

const metricsOf = (run: TraceRun, controller: string) => {
  const metrics = run.runs.find((r) => r.metrics.controller === controller)?.metrics;
  if (!metrics) throw new Error(`no run of ${controller}`);
  return metrics;
};

describe('the controllers on the bundled traces', () => {
  let spikes: TraceRun;
  beforeAll(() => {
    if (!spikesTrace) throw new Error('the spikes trace is missing from bench/simulate/traces');
    spikes = simulateTrace(spikesTrace, CONFIG);
  });

  it('bundles the four traces', () => {
    expect(traces.map((trace) => trace.name)).toEqual(['diurnal', 'spikes', 'steady', 'step']);
  });

  it.each(traces.filter((trace) => trace.name !== 'spikes').map((trace) => [trace.name, trace] as const))('parc never asks for more than the budget (%s)', (_name, trace) => {
    const { metrics } = simulateController(trace, parcController(CONFIG), CONFIG);
    expect(metrics.budgetViolations).toBe(0);
    expect(metrics.peakAllocatedCpuMillis).toBeLessThanOrEqual(CONFIG.capacity.cpuMillis);
  });

  it('parc never asks for more than the budget (spikes), and every baseline is checked alike', () => {
    expect(metricsOf(spikes, 'parc').budgetViolations).toBe(0);
    for (const { metrics } of spikes.runs) expect(metrics.peakAllocatedCpuMillis).toBeLessThanOrEqual(CONFIG.capacity.cpuMillis);
  });

  it('on spikes, parc leaves less backlog than hpa-like and keda-like', () => {
    const parc = metricsOf(spikes, 'parc');
    expect(parc.backlogMessageS).toBeLessThan(metricsOf(spikes, 'hpa-like').backlogMessageS);
    expect(parc.backlogMessageS).toBeLessThan(metricsOf(spikes, 'keda-like').backlogMessageS);
  });

  it('on spikes, parc allocates less surplus than static-peak', () => {
    expect(metricsOf(spikes, 'parc').surplusCoreS).toBeLessThan(metricsOf(spikes, 'static-peak').surplusCoreS);
  });

  it('static-mean is short at the bursts: the most backlog of the fixed sizes', () => {
    expect(metricsOf(spikes, 'static-mean').shortfallCoreS).toBeGreaterThan(0);
    expect(metricsOf(spikes, 'static-mean').backlogMessageS).toBeGreaterThan(metricsOf(spikes, 'static-peak').backlogMessageS);
    expect(metricsOf(spikes, 'static-peak').shortfallCoreS).toBe(0);
  });
});

describe('parc', () => {
  it('adds a Parc when one cannot go faster, and drains and removes it once the load is gone', () => {
    // Slow calls and at most four callers of 64 calls per Parc (~850 calls/s): 1,000 requests/s saturate one Parc.
    const policy = applyPolicyOverrides(DEFAULT_SCALING_POLICY, { stages: { 'parc-caller': { max: 4 } }, caller: { minParallelism: 64, maxParallelism: 64 }, parcs: { drainCooldownMs: 60_000 } });
    const config: SimulationConfig = { ...defaultConfig(policy), target: { medianLatencyMs: 300, latencySigma: 0.3, failureRate: 0 } };
    const trace: Trace = { name: 'burst', description: '', points: [[0, 1_000], [60, 1_000], [60, 50], [240, 50]] };
    const controller = parcController(config);
    const pipeline = new Pipeline(config, controller.initial());
    const arrivals = seededRandom(1, 0);
    const parcCounts: number[] = [];
    for (let step = 0; step < 2_400; step++) {
      pipeline.advance(poisson(arrivals, rateAt(trace, step / 10) / 10));
      const desired = controller.decide(pipeline, pipeline.nowMs);
      if (desired) pipeline.setDesired(desired);
      parcCounts.push(pipeline.parcSnapshots().length);
    }
    expect(Math.max(...parcCounts)).toBeGreaterThanOrEqual(2);
    expect(pipeline.parcSnapshots().map((parc) => parc.id)).toEqual(['p1']);
  });
});

describe('hpa-like', () => {
  it('scales up on CPU and holds for the stabilisation window after the load drops', () => {
    const trace: Trace = { name: 'step', description: '', points: [[0, 200], [30, 200], [30, 1_500], [90, 1_500], [90, 200], [420, 200]] };
    const { timeline } = simulateController(trace, hpaLike(CONFIG), CONFIG);
    const cpu = (from: number, to: number): number[] => timeline.filter((point) => point.tS >= from && point.tS <= to).map((point) => point.allocatedCpuMillis);
    const [before] = cpu(25, 25);
    const afterDrop = cpu(90, 385);
    expect(Math.max(...afterDrop)).toBeGreaterThan(before ?? Number.POSITIVE_INFINITY);
    // Never lower for the 300 s window after the drop; released by the end.
    afterDrop.forEach((value, i) => expect(value).toBeGreaterThanOrEqual(afterDrop[i - 1] ?? 0));
    expect(cpu(420, 420)[0]).toBeLessThan(afterDrop[afterDrop.length - 1] ?? 0);
  });
});

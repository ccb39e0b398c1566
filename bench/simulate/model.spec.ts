import { DEFAULT_SCALING_POLICY } from '@parc/scaling';
import { staticController, type Controller } from './controllers';
import { defaultConfig, Pipeline, type Desired, type SimulationConfig } from './model';
import { simulateController } from './run';
import { expectedAttempts, sizedFor } from './sizing';
import type { Trace } from './trace';

const CONFIG = defaultConfig(DEFAULT_SCALING_POLICY);
const constant = (rate: number, seconds: number): Trace => ({ name: 'constant', description: '', points: [[0, rate], [seconds, rate]] });

/** A controller that starts with `initial` and then asks for `later` once, at `atMs`. */
function scripted(initial: Desired, later: Desired, atMs: number): Controller {
  let asked = false;
  return {
    name: 'scripted',
    initial: () => initial,
    decide: (_pipeline, nowMs) => {
      if (asked || nowMs < atMs) return undefined;
      asked = true;
      return later;
    },
  };
}

describe('the pipeline model', () => {
  it('keeps up with a constant rate within capacity: no backlog growth, every request finished or on its way', () => {
    const trace = constant(1_000, 60);
    const run = simulateController(trace, staticController('static-peak', 1_000, CONFIG), CONFIG);
    const { metrics, timeline } = run;
    expect(metrics.budgetViolations).toBe(0);
    // Nothing waits longer than a step; the backlog neither grows nor builds up.
    expect(metrics.maxQueueWaitS).toBeLessThanOrEqual(0.1);
    expect(Math.max(...timeline.map((point) => point.waiting))).toBeLessThan(100);
    expect(metrics.backlogMessageS).toBeLessThan(60);
    // 60 s at 1,000/s: all but the last few seconds' retries are done.
    expect(metrics.completed).toBeGreaterThan(58_000);
    expect(metrics.unfinished).toBeLessThan(1_000);
  });

  it('loses and invents no message: finished + still inside = arrived', () => {
    const pipeline = new Pipeline(CONFIG, sizedFor(300, CONFIG, 0.8, 64));
    let finished = 0;
    for (let step = 0; step < 300; step++) finished += pipeline.advance(step < 200 ? 30 : 0).reduce((sum, batch) => sum + batch.count, 0);
    expect(finished + pipeline.inside()).toBe(200 * 30);
    expect(pipeline.globalStage('proxy').added).toBe(200 * 30);
  });

  it('retries failed calls: calls per request match the failure rate', () => {
    const pipeline = new Pipeline(CONFIG, sizedFor(500, CONFIG, 0.8, 64));
    for (let step = 0; step < 1_200; step++) pipeline.advance(step < 600 ? 50 : 0);
    const [parc] = pipeline.parcSnapshots();
    const calls = parc?.stages['parc-caller'].served ?? 0;
    // 30,000 requests at 10 % failures per attempt: 1.111 calls each, within sampling noise.
    expect(calls / 30_000).toBeCloseTo(expectedAttempts(CONFIG), 1);
    expect(pipeline.inside()).toBe(0);
  });

  it('bounds a caller by its slots: parallelism × 1000 / mean call time', () => {
    const slow: SimulationConfig = { ...CONFIG, target: { medianLatencyMs: 500, latencySigma: 0.1, failureRate: 0 } };
    const pipeline = new Pipeline(slow, sizedFor(300, slow, 0.8, 64));
    const before = pipeline.parcSnapshots()[0]?.stages['parc-caller'].served ?? 0;
    for (let step = 0; step < 300; step++) pipeline.advance(100);
    const [parc] = pipeline.parcSnapshots();
    const instances = parc?.stages['parc-caller'].instances ?? 0;
    const rate = ((parc?.stages['parc-caller'].served ?? 0) - before) / 30 / instances;
    // 64 slots over ~0.5 s calls: ~128 calls/s per instance, far below its CPU rate of 526/s.
    expect(rate).toBeGreaterThan(110);
    expect(rate).toBeLessThan(135);
    expect(parc?.stages['parc-caller'].waiting).toBeGreaterThan(1_000);
  });

  it('starts new instances after the start-up delay, a new Parc after its own', () => {
    const base = sizedFor(100, CONFIG, 0.8, 64);
    const more: Desired = {
      global: { ...base.global, proxy: base.global.proxy + 1 },
      parcs: [...base.parcs, { id: 'p2', state: 'active', instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism: 64 }],
    };
    const pipeline = new Pipeline(CONFIG, base);
    pipeline.setDesired(more);
    pipeline.advance(0);
    expect(pipeline.globalStage('proxy')).toMatchObject({ instances: base.global.proxy + 1, ready: base.global.proxy });
    while (pipeline.nowMs < CONFIG.processStartMs) pipeline.advance(0);
    expect(pipeline.globalStage('proxy').ready).toBe(base.global.proxy + 1);
    expect(pipeline.parcSnapshots()[1]?.stages['parc-caller'].ready).toBe(0);
    while (pipeline.nowMs < CONFIG.parcStartMs) pipeline.advance(0);
    expect(pipeline.parcSnapshots()[1]?.stages['parc-caller'].ready).toBe(1);
  });

  it('clips a desired state beyond the budget, counts the violation, and never reserves more than exists', () => {
    const small: SimulationConfig = { ...CONFIG, capacity: { cpuMillis: 2_000, memoryMiB: 8_192 } };
    const greedy = sizedFor(3_000, small, 0.5, 64);
    const run = simulateController(constant(200, 20), scripted(sizedFor(200, small, 0.8, 64), greedy, 5_000), small);
    expect(run.metrics.budgetViolations).toBe(1);
    expect(run.metrics.peakAllocatedCpuMillis).toBeLessThanOrEqual(2_000);
    expect(run.metrics.peakAllocatedCpuMillis).toBeGreaterThan(1_800);
  });

  it('refuses to remove a Parc that still holds messages', () => {
    const two: Desired = {
      ...sizedFor(200, CONFIG, 0.8, 64),
      parcs: ['p1', 'p2'].map((id) => ({ id, state: 'active' as const, instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism: 64 })),
    };
    const pipeline = new Pipeline(CONFIG, two);
    for (let step = 0; step < 5; step++) pipeline.advance(200);
    pipeline.setDesired({ ...two, parcs: two.parcs.slice(0, 1) });
    expect(() => pipeline.advance(0)).toThrow(/Parc p2 removed while it still holds \d+ messages/);
  });
});

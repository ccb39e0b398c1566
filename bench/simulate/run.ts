/**
 * One trace through the model under each controller. Arrivals come from their own seeded stream,
 * so every controller sees exactly the same requests at the same times.
 */
import { allControllers, type Controller } from './controllers';
import { cpuOf, MetricsRecorder, neededCalculator, type ControllerMetrics, type TimelinePoint } from './metrics';
import { Pipeline, type SimulationConfig } from './model';
import { poisson, seededRandom } from './random';
import { durationS, rateAt, type Trace } from './trace';

export interface ControllerRun {
  readonly metrics: ControllerMetrics;
  readonly timeline: readonly TimelinePoint[];
}

/** The trace's offered rate and the needed CPU, once per second. */
export interface WorkloadPoint {
  readonly tS: number;
  readonly offeredRate: number;
  readonly neededCpuMillis: number;
}

export interface TraceRun {
  readonly trace: Trace;
  readonly workload: readonly WorkloadPoint[];
  readonly runs: readonly ControllerRun[];
}

/** The offered rate during step `index`: its middle, so a jump at a whole second falls on the right side. */
const stepRate = (trace: Trace, index: number, stepMs: number): number => rateAt(trace, ((index + 0.5) * stepMs) / 1000);

export function simulateController(trace: Trace, controller: Controller, config: SimulationConfig): ControllerRun {
  const { stepMs } = config;
  const arrivals = seededRandom(config.seed, 0);
  const recorder = new MetricsRecorder(config, controller.name);
  const initial = controller.initial();
  recorder.decision(initial);
  const pipeline = new Pipeline(config, initial);
  const steps = Math.round((durationS(trace) * 1000) / stepMs);
  for (let index = 0; index < steps; index++) {
    const rate = stepRate(trace, index, stepMs);
    recorder.finished(pipeline.advance(poisson(arrivals, (rate * stepMs) / 1000)));
    recorder.step(rate, pipeline);
    const desired = controller.decide(pipeline, pipeline.nowMs);
    if (desired) {
      recorder.decision(desired);
      pipeline.setDesired(desired);
    }
  }
  return { metrics: recorder.result(pipeline), timeline: recorder.timeline };
}

export function simulateTrace(trace: Trace, config: SimulationConfig, controllers: readonly Controller[] = allControllers(trace, config)): TraceRun {
  const needed = neededCalculator(config);
  const workload: WorkloadPoint[] = [];
  // Matches the controllers' timelines: the point at t covers the step that ended at t.
  const stepsPerSecond = Math.round(1000 / config.stepMs);
  for (let tS = 1; tS <= durationS(trace); tS++) {
    const offeredRate = stepRate(trace, tS * stepsPerSecond - 1, config.stepMs);
    workload.push({ tS, offeredRate, neededCpuMillis: cpuOf(needed(offeredRate), config) });
  }
  return { trace, workload, runs: controllers.map((controller) => simulateController(trace, controller, config)) };
}

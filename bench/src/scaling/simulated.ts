/**
 * The simulator (bench/simulate) on the live run's trace and setup, so that the live figures
 * can be set beside the modelled ones: the same policy (with the local driver's single proxy),
 * the same budget, a target that answers every call after the live target's latency, no failures.
 * Also where the static-peak configuration's counts come from (the simulator's sizing).
 */
import { DEFAULT_SCALING_POLICY, PARC_STAGES, type ParcStage, type Resources, type ScalingPolicy } from '@parc/scaling';
import { parcCallerSpec } from '@parc/runtime';
import { parcController, type Controller } from '../../simulate/controllers';
import { cpuOf } from '../../simulate/metrics';
import { defaultConfig, requested, type Desired, type SimulationConfig } from '../../simulate/model';
import { simulateController, simulateTrace, type TraceRun } from '../../simulate/run';
import { instancesByStage, sizedFor } from '../../simulate/sizing';
import { peakRate, type Trace } from '../../simulate/trace';
import type { StaticSizing } from './stacks';

/** Calls in flight per caller process started with the app's defaults (CALLER_CONCURRENCY × CALLER_BATCH_SIZE), as `--fixed` runs it. */
export const APP_DEFAULT_CALLER_PARALLELISM = (parcCallerSpec.callerConcurrency.default ?? 1) * (parcCallerSpec.callerBatchSize.default ?? 1);

/** What the scheduler app does to the policy for the local driver (libs/runtime's scheduler stage): one proxy, its port the API's. */
export function localPolicy(policy: ScalingPolicy = DEFAULT_SCALING_POLICY): ScalingPolicy {
  return { ...policy, stages: { ...policy.stages, proxy: { ...policy.stages.proxy, min: 1, max: 1 } } };
}

/**
 * The model of the live setup: `defaultConfig`'s steps, start-up times and seed; the live target
 * (fixed latency, no failures) and budget. The model serves a stage at what its CPU request buys;
 * the local driver pins the proxy at one process, which takes the CPU it needs (one served the
 * whole trace in every live run), so the model's proxy gets what a whole core buys: otherwise
 * one modelled proxy would cap every configuration at about 526 requests/s. The scheduler cannot
 * change the proxy's count, so its decisions are the same either way.
 */
export function liveModel(targetLatencyMs: number, capacity: Resources): SimulationConfig {
  const policy = localPolicy();
  const proxy = policy.stages.proxy;
  const wholeCore = { ...proxy, ratePerInstance: Math.floor((proxy.ratePerInstance * 1000) / proxy.resources.cpuMillis) };
  return {
    ...defaultConfig({ ...policy, stages: { ...policy.stages, proxy: wholeCore } }),
    capacity,
    target: { medianLatencyMs: targetLatencyMs, latencySigma: 0, failureRate: 0 },
  };
}

/** A static sizing as the model's desired state: one Parc entry per Parc, callers at `callerParallelism`. */
export function desiredOf(sizing: StaticSizing, callerParallelism: number): Desired {
  const instances = Object.fromEntries(PARC_STAGES.map((stage) => [stage, sizing[stage]])) as Record<ParcStage, number>;
  return {
    global: { proxy: sizing.proxy, 'proxy-store': sizing['proxy-store'], responder: sizing.responder },
    parcs: Array.from({ length: sizing.parcs }, (_, i) => ({ id: `p${i + 1}`, state: 'active' as const, instances, callerParallelism })),
  };
}

/**
 * The installation sized for the trace's peak by the simulator's sizing (`sizedFor`, at the
 * policy's target utilisation), with callers at the app's default parallelism — what static-default
 * runs, so the two static configurations differ only in their counts.
 */
export function peakSizing(trace: Trace, model: SimulationConfig): StaticSizing {
  const desired = sizedFor(peakRate(trace), model, model.policy.targetUtilisation, APP_DEFAULT_CALLER_PARALLELISM);
  const perParc = desired.parcs[0]?.instances ?? { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 };
  return { ...desired.global, ...perParc, parcs: desired.parcs.length };
}

/** CPU requested by a static sizing, millicores (the policy's requests). */
export function requestedCpuMillis(sizing: StaticSizing, model: SimulationConfig): number {
  return cpuOf(instancesByStage(desiredOf(sizing, APP_DEFAULT_CALLER_PARALLELISM)), model);
}

const fixed = (name: string, desired: Desired): Controller => ({ name, initial: () => desired, decide: () => undefined });

/**
 * The trace through the model under the scheduler's decide() and the two static sizings, named as
 * the live configurations. A static installation is not bound by the scheduler's budget (live, it
 * runs every process it lists), so each runs in a model whose capacity holds it.
 */
export function simulateLive(trace: Trace, model: SimulationConfig, sizings: { readonly 'static-default': StaticSizing; readonly 'static-peak': StaticSizing }): TraceRun {
  const run = simulateTrace(trace, model, [{ ...parcController(model), name: 'scheduler' }]);
  const statics = (['static-default', 'static-peak'] as const).map((name) => {
    const desired = desiredOf(sizings[name], APP_DEFAULT_CALLER_PARALLELISM);
    const needs = requested(desired, model.policy);
    const capacity = { cpuMillis: Math.max(model.capacity.cpuMillis, needs.cpuMillis), memoryMiB: Math.max(model.capacity.memoryMiB, needs.memoryMiB) };
    return simulateController(trace, fixed(name, desired), { ...model, capacity });
  });
  return { ...run, runs: [...run.runs, ...statics] };
}

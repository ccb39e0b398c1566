/**
 * Instances for a steady request rate: what each stage sees per request (retries included), what
 * one instance of it serves, and the smallest installation that keeps every stage at or below a
 * utilisation. The static controllers size with it, and the metrics' "needed" line is it at 100 %.
 */
import { GLOBAL_STAGES, PARC_STAGES, type ParcStage, type ScalingPolicy, type StageName } from '@parc/scaling';
import type { Desired, SimulationConfig } from './model';

/** Calls per request on average: each attempt fails independently until the attempts run out. */
export function expectedAttempts(config: SimulationConfig): number {
  let attempts = 0;
  for (let i = 0; i < config.retry.maxAttempts; i++) attempts += config.target.failureRate ** i;
  return attempts;
}

/** Messages per second each stage handles when `requestRate` requests/s arrive and the pipeline keeps up. */
export function stageRates(requestRate: number, config: SimulationConfig): Record<StageName, number> {
  const calls = requestRate * expectedAttempts(config);
  return { proxy: requestRate, 'proxy-store': requestRate, responder: requestRate, 'parc-incoming': calls, 'parc-caller': calls, 'parc-outgoing': calls };
}

/** Mean call duration of the lognormal target: the median × e^(σ²/2). */
export function meanLatencyMs(config: SimulationConfig): number {
  return config.target.medianLatencyMs * Math.exp(config.target.latencySigma ** 2 / 2);
}

/** Messages per second one instance serves; a caller also by its slots over the mean call time. */
export function perInstanceRate(stage: StageName, config: SimulationConfig, callerParallelism: number): number {
  const rate = config.policy.stages[stage].ratePerInstance;
  return stage === 'parc-caller' ? Math.min(rate, (callerParallelism * 1000) / meanLatencyMs(config)) : rate;
}

/** Most instances of a Parc stage that can work: incoming is bound by the topic's partitions. */
export function usableMax(policy: ScalingPolicy, stage: ParcStage): number {
  return stage === 'parc-incoming' ? Math.min(policy.stages[stage].max, policy.parcs.partitions) : policy.stages[stage].max;
}

/**
 * The smallest installation serving `requestRate` with each stage at most `utilisation` busy:
 * global stages within their max, and as few Parcs as keep every Parc stage within its max.
 */
export function sizedFor(requestRate: number, config: SimulationConfig, utilisation: number, callerParallelism: number): Desired {
  const { policy } = config;
  const rates = stageRates(requestRate, config);
  const instances = (stage: StageName): number => Math.max(policy.stages[stage].min, Math.ceil(rates[stage] / (perInstanceRate(stage, config, callerParallelism) * utilisation) - 1e-9));
  const global = Object.fromEntries(GLOBAL_STAGES.map((stage) => [stage, Math.min(policy.stages[stage].max, instances(stage))])) as Record<(typeof GLOBAL_STAGES)[number], number>;
  const parcCount = Math.min(policy.parcs.max, Math.max(1, ...PARC_STAGES.map((stage) => Math.ceil(instances(stage) / usableMax(policy, stage)))));
  const perParc = Object.fromEntries(
    PARC_STAGES.map((stage) => [stage, Math.min(usableMax(policy, stage), Math.max(policy.stages[stage].min, Math.ceil(instances(stage) / parcCount)))]),
  ) as Record<ParcStage, number>;
  const parcs = Array.from({ length: parcCount }, (_, i) => ({ id: `p${i + 1}`, state: 'active' as const, instances: perParc, callerParallelism }));
  return { global, parcs };
}

/** Instances per stage of `desired`, a Parc stage summed over its Parcs. */
export function instancesByStage(desired: Desired): Record<StageName, number> {
  const counts: Record<StageName, number> = { ...desired.global, 'parc-incoming': 0, 'parc-caller': 0, 'parc-outgoing': 0 };
  for (const parc of desired.parcs) for (const stage of PARC_STAGES) counts[stage] += parc.instances[stage];
  return counts;
}

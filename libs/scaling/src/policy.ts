import type { ScalingPolicy, StagePolicy } from './model';

/**
 * A stage's policy from its manifest's requests and its measured CPU cost: an instance is assumed
 * to handle what its CPU request buys (`1000 / msPerRequest × cpuMillis / 1000` messages/s).
 */
function stage(cpuMillis: number, memoryMiB: number, cpuMsPerMessage: number, max: number): StagePolicy {
  return { resources: { cpuMillis, memoryMiB }, min: 1, max, ratePerInstance: Math.floor(cpuMillis / cpuMsPerMessage) };
}

/**
 * Defaults. Resources are the requests of deploy/k8s (base and Parc template); CPU per message
 * is each app's busy CPU per request from the benchmark's profile at 2,000 requests/s
 * (bench/results, 2026-11-24: responder 0.43 ms, caller 0.38, outgoing 0.24, proxy-store 0.20,
 * proxy 0.19, incoming 0.13 — with profiler overhead, so on the safe side).
 */
export const DEFAULT_SCALING_POLICY: ScalingPolicy = {
  stages: {
    proxy: stage(100, 128, 0.19, 16),
    'proxy-store': stage(100, 128, 0.2, 8),
    responder: stage(150, 160, 0.43, 16),
    'parc-incoming': stage(100, 128, 0.13, 4),
    'parc-caller': stage(200, 192, 0.38, 16),
    'parc-outgoing': stage(100, 128, 0.24, 8),
  },
  drainTargetS: 10,
  targetUtilisation: 0.8,
  scaleDownCooldownMs: 15_000,
  idleScaleDownCooldownMs: 5_000,
  tolerance: 0.1,
  cpuSaturatedShare: 0.85,
  caller: { minParallelism: 512, maxParallelism: 2048, fastCallMs: 100 },
  parcs: { max: 8, partitions: 4, addCooldownMs: 30_000, saturatedForMs: 20_000, drainCooldownMs: 300_000, idleDrainMs: 15_000, startupMs: 15_000 },
};

/** What one local process can use: JavaScript runs on one thread, so at most one core. */
export const LOCAL_PROCESS_CPU_MILLIS = 1_000;

/**
 * A policy for instances that are processes on one machine (the local driver) rather than pods
 * held to their CPU request: an instance handles what one core buys, not what its request buys
 * (`ratePerInstance` × 1,000 m ÷ request), since a process uses whatever CPU is free up to one
 * core. With the request-based rates the live scaling bench saw the scheduler start eight
 * processes within a second of a step to 1,200/s on a 2-core machine — responders sized at
 * 348/s each, outgoing at 416/s — whose start-up and rebalances took the CPU the load needed,
 * while one process of each, as `--fixed` runs them, carried the step at 0.2–0.4 ms of CPU per
 * request. Requests stay what the budget counts. The proxy stays one process: its port is the
 * API's address, and nothing here balances load over several (on Kubernetes a Service does).
 */
export function localProcessPolicy(policy: ScalingPolicy): ScalingPolicy {
  const stages = Object.fromEntries(
    Object.entries(policy.stages).map(([name, stage]) => [
      name,
      { ...stage, ratePerInstance: Math.floor((stage.ratePerInstance * LOCAL_PROCESS_CPU_MILLIS) / Math.min(LOCAL_PROCESS_CPU_MILLIS, stage.resources.cpuMillis)) },
    ]),
  ) as unknown as ScalingPolicy['stages'];
  return { ...policy, stages: { ...stages, proxy: { ...stages.proxy, min: 1, max: 1 } } };
}

/** Overrides of a policy, as SCHEDULER_POLICY spells them (JSON): any subset of its fields. */
export interface PolicyOverrides {
  readonly stages?: Partial<Record<string, Partial<Omit<StagePolicy, 'resources'>> & { readonly resources?: Partial<StagePolicy['resources']> }>>;
  readonly drainTargetS?: number;
  readonly targetUtilisation?: number;
  readonly scaleDownCooldownMs?: number;
  readonly idleScaleDownCooldownMs?: number;
  readonly tolerance?: number;
  readonly cpuSaturatedShare?: number;
  readonly caller?: Partial<ScalingPolicy['caller']>;
  readonly parcs?: Partial<ScalingPolicy['parcs']>;
}

/**
 * `overrides` (parsed JSON) over `base`, checked: unknown stages or fields, and numbers that are
 * not positive (utilisation in (0, 1], min ≤ max), are refused with the path of each.
 * @throws Error listing every problem, e.g. `stages.parc-caller.max must be a positive number`.
 */
export function applyPolicyOverrides(base: ScalingPolicy, overrides: unknown): ScalingPolicy {
  const problems: string[] = [];
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  const numbers = (target: Record<string, unknown>, source: unknown, path: string, allowed: readonly string[]): Record<string, unknown> => {
    if (source === undefined) return target;
    if (!isObject(source)) {
      problems.push(`${path || 'the policy'} must be an object`);
      return target;
    }
    const merged: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(source)) {
      const at = path ? `${path}.${key}` : key;
      if (!allowed.includes(key)) problems.push(`${at} is not a policy field (expected one of ${allowed.join(', ')})`);
      else if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) problems.push(`${at} must be a positive number`);
      else merged[key] = value;
    }
    return merged;
  };
  if (!isObject(overrides)) throw new Error('the policy must be a JSON object');
  const { stages, caller, parcs, ...top } = overrides;
  const policy = numbers({ ...base }, top, '', ['drainTargetS', 'targetUtilisation', 'scaleDownCooldownMs', 'idleScaleDownCooldownMs', 'tolerance', 'cpuSaturatedShare']) as unknown as ScalingPolicy;
  const mergedStages: Record<string, StagePolicy> = { ...base.stages };
  if (stages !== undefined && !isObject(stages)) problems.push('stages must be an object');
  for (const [name, stage] of Object.entries(isObject(stages) ? stages : {})) {
    const current = mergedStages[name];
    if (!current) {
      problems.push(`stages.${name} is not a stage (expected one of ${Object.keys(base.stages).join(', ')})`);
      continue;
    }
    const { resources, ...rest } = isObject(stage) ? stage : {};
    const merged = numbers({ ...current }, isObject(stage) ? rest : stage, `stages.${name}`, ['min', 'max', 'ratePerInstance']) as unknown as StagePolicy;
    const mergedResources = numbers({ ...current.resources }, resources, `stages.${name}.resources`, ['cpuMillis', 'memoryMiB']) as unknown as StagePolicy['resources'];
    if (merged.min > merged.max) problems.push(`stages.${name}: min ${merged.min} is above max ${merged.max}`);
    mergedStages[name] = { ...merged, resources: mergedResources };
  }
  const result: ScalingPolicy = {
    ...policy,
    stages: mergedStages as unknown as ScalingPolicy['stages'],
    caller: numbers({ ...base.caller }, caller, 'caller', ['minParallelism', 'maxParallelism', 'fastCallMs']) as unknown as ScalingPolicy['caller'],
    parcs: numbers({ ...base.parcs }, parcs, 'parcs', ['max', 'partitions', 'addCooldownMs', 'saturatedForMs', 'drainCooldownMs', 'idleDrainMs', 'startupMs']) as unknown as ScalingPolicy['parcs'],
  };
  if (result.targetUtilisation > 1) problems.push('targetUtilisation must be at most 1');
  if (result.tolerance >= 1) problems.push('tolerance must be below 1');
  if (result.cpuSaturatedShare > 1) problems.push('cpuSaturatedShare must be at most 1');
  if (problems.length > 0) throw new Error(problems.join('; '));
  return result;
}

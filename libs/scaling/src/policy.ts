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
  scaleDownCooldownMs: 60_000,
  caller: { minParallelism: 64, maxParallelism: 512, fastCallMs: 100 },
  parcs: { max: 8, partitions: 4, addCooldownMs: 30_000, drainCooldownMs: 300_000 },
};

import type { CpuUsage, GlobalStage, ParcStage, Plan, Resources } from '@parc/scaling';

/** What runs now, as the driver sees it. */
export interface ClusterState {
  readonly globalInstances: Readonly<Record<GlobalStage, number>>;
  readonly parcs: readonly ParcState[];
  /** What Parc's stages may use in all (allocatable minus others' requests, or a local budget). */
  readonly capacity: Resources;
  /** CPU actually used since the driver's previous reading, where it can read it (absent: decisions plan on requests). */
  readonly cpu?: CpuUsage;
}

export interface ParcState {
  readonly id: string;
  readonly state: 'active' | 'draining';
  readonly createdAtMs: number;
  readonly instances: Readonly<Record<ParcStage, number>>;
  /** Calls in flight per caller process (see `callerConcurrencyFor`). */
  readonly callerParallelism: number;
}

/**
 * The CALLER_CONCURRENCY (batches in flight) that gives a caller the parallelism the scheduler
 * plans: calls in flight per process, as `decide` counts them and `ready`'s entries in flight
 * measure them. A caller admits CALLER_BATCH_SIZE × CALLER_CONCURRENCY calls.
 */
export function callerConcurrencyFor(parallelism: number, batchSize: number): number {
  return Math.max(1, Math.ceil(parallelism / Math.max(1, batchSize)));
}

/**
 * How plans reach the world: local processes, Kubernetes, or nothing (dry run). `state()` is read
 * every tick — the loop keeps no state of its own — and `apply()` makes the world match the plan.
 */
export interface ScalingDriver {
  readonly name: string;
  state(): Promise<ClusterState>;
  apply(plan: Plan): Promise<void>;
}

/**
 * The dry-run driver: reports a fixed state (what the operator says runs) and changes nothing;
 * the plans it is given are only logged and recorded in the decision log.
 */
export function dryRunDriver(state: ClusterState, log: (plan: Plan) => void): ScalingDriver {
  return {
    name: 'dry-run',
    state: async () => state,
    apply: async (plan) => log(plan),
  };
}

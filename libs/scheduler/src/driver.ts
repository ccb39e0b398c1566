import type { GlobalStage, ParcStage, Plan, Resources } from '@parc/scaling';

/** What runs now, as the driver sees it. */
export interface ClusterState {
  readonly globalInstances: Readonly<Record<GlobalStage, number>>;
  readonly parcs: readonly ParcState[];
  /** What Parc's stages may use in all (allocatable minus others' requests, or a local budget). */
  readonly capacity: Resources;
}

export interface ParcState {
  readonly id: string;
  readonly state: 'active' | 'draining';
  readonly createdAtMs: number;
  readonly instances: Readonly<Record<ParcStage, number>>;
  readonly callerParallelism: number;
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

/**
 * What the scheduler observes each tick, the policy it scales by, and the plan it decides. All
 * plain data: `decide` is a pure function of an observation and a policy, so the control loop can
 * be killed and restarted at any time (everything it needs is read from the system each tick).
 */

/** Stages with one deployment for the whole installation. */
export const GLOBAL_STAGES = ['proxy', 'proxy-store', 'responder'] as const;
/** Stages with one deployment per Parc. */
export const PARC_STAGES = ['parc-incoming', 'parc-caller', 'parc-outgoing'] as const;

export type GlobalStage = (typeof GLOBAL_STAGES)[number];
export type ParcStage = (typeof PARC_STAGES)[number];
export type StageName = GlobalStage | ParcStage;

/** CPU in millicores and memory in MiB, as Kubernetes requests count them. */
export interface Resources {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
}

export interface StagePolicy {
  /** What one instance reserves (the manifests' requests; on one machine, a configured share). */
  readonly resources: Resources;
  readonly min: number;
  readonly max: number;
  /** Messages per second one instance handles at full use (measured: see bench/results). */
  readonly ratePerInstance: number;
}

export interface ScalingPolicy {
  readonly stages: Readonly<Record<StageName, StagePolicy>>;
  /** A backlog should be worked off within this many seconds, on top of the arrivals. */
  readonly drainTargetS: number;
  /** Instances are sized so that the expected rate uses at most this fraction of them (0–1]. */
  readonly targetUtilisation: number;
  /** A stage is scaled down only this long after its last change (scale-up is never delayed). */
  readonly scaleDownCooldownMs: number;
  /** The cooldown instead, for a stage whose demand is at most a quarter of what its instances are sized for. */
  readonly idleScaleDownCooldownMs: number;
  /**
   * No change while a stage's demand is within this fraction of what its instances are sized for
   * (0.1: 90–110 %), as the HPA's tolerance: noise in a steady load does not move it.
   */
  readonly tolerance: number;
  /**
   * A machine whose CPU is busy to this share (0–1] takes no more caller processes while raising
   * the callers' parallelism would serve instead (calls slow: waiting on the network, not on CPU).
   * Applies only where the driver reads the CPU (`Observation.cpu`).
   */
  readonly cpuSaturatedShare: number;
  readonly caller: {
    /**
     * Calls in flight per caller process that a Parc's callers start at and never go below. A
     * parallelism above the need costs nothing (no work, no batches in flight), while every change
     * rolls the callers: the default is the apps' own (CALLER_BATCH_SIZE 8 × CALLER_CONCURRENCY 64).
     */
    readonly minParallelism: number;
    /** Most calls in flight per caller process (raised for fast calls, or slow ones on a CPU-saturated machine). */
    readonly maxParallelism: number;
    /** Calls faster than this are "fast": more parallelism per process rather than more processes. */
    readonly fastCallMs: number;
  };
  readonly parcs: {
    readonly max: number;
    /** Partitions of a requests topic: more incoming instances than this would sit idle. */
    readonly partitions: number;
    /** Least time between adding two Parcs, and before a new Parc may be drained again. */
    readonly addCooldownMs: number;
    /**
     * A Parc is added only once an active one has been saturated this long without a break: a new
     * Parc takes a while to start and holds its minimums until drained, so a burst shorter than
     * this is met by the stages' own instances and the backlog, not by a Parc that comes too late.
     */
    readonly saturatedForMs: number;
    /** Low load must have lasted this long (since the last change of the Parc set) before one is drained. */
    readonly drainCooldownMs: number;
    /**
     * Arrivals that fewer Parcs carry at half their maximum for this long drain every surplus Parc
     * at once (the oldest stay), even while they still hold a backlog: they finish it and take
     * nothing new. The long `drainCooldownMs` is for a load that dips and returns.
     */
    readonly idleDrainMs: number;
    /**
     * How long a new Parc takes to be of use (its topic, processes, group joins). None is created
     * when the active Parcs would work off their backlog sooner than twice this: it would start
     * after the backlog is gone, cost without capacity.
     */
    readonly startupMs: number;
  };
}

/** Input of a stage: what arrives per second and what waits. */
export interface StageLoad {
  /** Messages per second arriving (measured over the last seconds). */
  readonly arrivalRate: number;
  /** Messages waiting: a stream's backlog or a consumer group's lag. */
  readonly backlog: number;
}

export interface CallerLoad extends StageLoad {
  /** Calls in flight over all callers of the Parc. */
  readonly inFlight: number;
  /** Median duration of a call (ms), recent. */
  readonly callLatencyMs: number;
}

export interface ParcObservation {
  readonly id: string;
  readonly state: 'active' | 'draining';
  readonly createdAtMs: number;
  /** Its Kafka requests topic: arrivals and consumer lag. */
  readonly incoming: StageLoad;
  /** `ready`. */
  readonly caller: CallerLoad;
  /** `done`. */
  readonly outgoing: StageLoad;
  /** The delayed-retry set: its size, and how many are due within the drain target. */
  readonly delayed: { readonly size: number; readonly dueSoon: number };
  readonly instances: Readonly<Record<ParcStage, number>>;
  readonly callerParallelism: number;
}

/**
 * CPU actually used, as the driver measured it since its previous reading: the processes it runs
 * (local driver) or the metrics API (Kubernetes). Absent where it cannot be read; then every
 * decision plans on the policy's requests alone.
 */
export interface CpuUsage {
  /** Millicores one instance of a stage used, the mean over its instances (key from `stageKey`); a stage not measured is absent. */
  readonly perInstanceMillis: Readonly<Record<string, number>>;
  /** Millicores Parc's measured instances used in all. */
  readonly usedMillis: number;
  /** The machine's CPU in millicores (cores × 1000; on Kubernetes the schedulable nodes' capacity), when known. */
  readonly machineMillis?: number;
  /** Share (0–1) of `machineMillis` busy, every process counted (Redis, Kafka, other tenants), when known. */
  readonly machineBusyShare?: number;
}

export interface Observation {
  readonly nowMs: number;
  /** Ingress: accepted requests per second (backlog 0: the proxy answers at once). */
  readonly proxy: StageLoad;
  /** The proxy inbox. */
  readonly proxyStore: StageLoad;
  /** Kafka `responses` lag, plus callbacks waiting. */
  readonly responder: StageLoad;
  readonly globalInstances: Readonly<Record<GlobalStage, number>>;
  readonly parcs: readonly ParcObservation[];
  /** What Parc's stages may use in all: allocatable minus what others request (or a local budget). */
  readonly capacity: Resources;
  /** When each stage last changed its instance count (key from `stageKey`), from the decision ledger. */
  readonly lastChangeMs: Readonly<Record<string, number>>;
  /** CPU actually used, where the driver reads it: instances are judged on max(request, measured), and a saturated machine gets parallelism rather than processes. */
  readonly cpu?: CpuUsage;
}

/** One stage's planned instance count, and why. */
export interface StagePlan {
  /** `proxy-store`, or `p2/parc-caller` for a Parc's stage. */
  readonly key: string;
  readonly stage: StageName;
  readonly parcId?: string;
  readonly current: number;
  readonly desired: number;
  readonly reason: string;
}

export interface ParcPlan {
  readonly id: string;
  /** `create`: a new Parc (topic and resources to create); `remove`: drained, delete it. */
  readonly action: 'keep' | 'create' | 'drain' | 'remove';
  readonly state: 'active' | 'draining' | 'removed';
  readonly callerParallelism: number;
  readonly reason: string;
}

export interface Plan {
  readonly stages: readonly StagePlan[];
  readonly parcs: readonly ParcPlan[];
  readonly budget: { readonly capacity: Resources; readonly planned: Resources };
  /** Every current Parc is needed now: the loop records the time (`PARCS_NEEDED_KEY`) for the drain cooldown. */
  readonly parcsNeeded: boolean;
  /** An active Parc is saturated now: the loop keeps the time this began (`SATURATED_SINCE_KEY`) for `saturatedForMs`. */
  readonly parcSaturated: boolean;
  /** The arrivals need every active Parc now: the loop records the time (`ARRIVALS_NEED_PARCS_KEY`) for `idleDrainMs`. */
  readonly arrivalsNeedParcs: boolean;
}

/** The key of a stage in plans and in `lastChangeMs`. */
export function stageKey(stage: StageName, parcId?: string): string {
  return parcId === undefined ? stage : `${parcId}/${stage}`;
}

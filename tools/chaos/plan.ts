/**
 * The faults of a chaos run, drawn from a seed so that a run that found something can be run
 * again exactly: which process dies when, how long the broker stays down, which caller is frozen.
 */

/** The data-path apps, each killed `killsPerStage` times (the proxy once: it is the API). */
export const KILLED_APPS = ['proxy', 'proxy-store', 'parc-incoming', 'parc-caller', 'parc-outgoing', 'responder'] as const;
export type KilledApp = (typeof KILLED_APPS)[number];

export type Fault =
  /** SIGKILL one instance, restarted at once with the same command and environment. */
  | { readonly kind: 'kill'; readonly atMs: number; readonly app: KilledApp; readonly instance: number }
  /** SIGKILL the Kafka broker, started again `downMs` later on its data. */
  | { readonly kind: 'broker'; readonly atMs: number; readonly downMs: number }
  /** SIGKILL a Redis server, started again at once on its append-only file. */
  | { readonly kind: 'redis'; readonly atMs: number; readonly which: 'proxy-redis' | 'parc-redis' }
  /** SIGSTOP one instance past its lease, SIGCONT `pausedMs` later: a zombie that wakes up. */
  | { readonly kind: 'pause'; readonly atMs: number; readonly app: 'parc-caller'; readonly instance: number; readonly pausedMs: number };

export interface PlanOptions {
  readonly seed: number;
  /** The faults are spread over [5 %, 85 %] of this window (the submission time). */
  readonly windowMs: number;
  readonly killsPerStage: number;
  /** 0: no broker outage. */
  readonly brokerDownMs: number;
  readonly redisRestarts: boolean;
  /** 0: no zombie. */
  readonly pausedMs: number;
  /** Instances of parc-caller; with two or more, the last one is the zombie and the first is the one killed. */
  readonly callers: number;
}

/** mulberry32: a small, fast, seedable PRNG; Math.random cannot be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The faults, in the order they happen. */
export function planFaults(options: PlanOptions): Fault[] {
  const random = seededRandom(options.seed);
  const at = (): number => Math.round(options.windowMs * (0.05 + 0.8 * random()));
  const faults: Fault[] = [];
  for (const app of KILLED_APPS) {
    const kills = app === 'proxy' ? Math.min(1, options.killsPerStage) : options.killsPerStage;
    for (let n = 0; n < kills; n++) faults.push({ kind: 'kill', atMs: at(), app, instance: 0 });
  }
  if (options.brokerDownMs > 0) faults.push({ kind: 'broker', atMs: at(), downMs: options.brokerDownMs });
  if (options.redisRestarts) {
    faults.push({ kind: 'redis', atMs: at(), which: 'proxy-redis' });
    faults.push({ kind: 'redis', atMs: at(), which: 'parc-redis' });
  }
  // The zombie needs a second caller to take its work over, or its pause is just an outage.
  if (options.pausedMs > 0 && options.callers >= 2) {
    faults.push({ kind: 'pause', atMs: at(), app: 'parc-caller', instance: options.callers - 1, pausedMs: options.pausedMs });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** One line per fault, for the run's log. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'kill':
      return `SIGKILL ${fault.app}#${fault.instance + 1}, restarted at once`;
    case 'broker':
      return `SIGKILL the Kafka broker, restarted ${fault.downMs / 1000} s later`;
    case 'redis':
      return `SIGKILL ${fault.which}, restarted at once on its append-only file`;
    case 'pause':
      return `SIGSTOP ${fault.app}#${fault.instance + 1} for ${fault.pausedMs / 1000} s, then SIGCONT`;
  }
}

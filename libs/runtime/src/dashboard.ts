import { operatorAuthorizer } from '@parc/api';
import { registerDashboard, type DashboardSource, type DashboardTick } from '@parc/dashboard';
import { pipelineSignals, readSignals, toObservation, type ClusterState, type Readings } from '@parc/scheduler';
import type { QueueBackend } from '@parc/queue';
import type { DecisionLog, DestinationGate, RequestLedger } from '@parc/store';
import type { ServiceApp } from '@parc/service-kit';
import type { StoreBackend } from './backends';

/** Batches the dashboard lists, and how long a completed one stays (long enough to see its bar reach 100 %). */
const DASHBOARD_BATCHES = 20;
const COMPLETED_BATCH_SHOWN_MS = 120_000;

export interface DashboardMountOptions {
  readonly source: DashboardSource;
  /** The configured API keys (`API_KEYS`, split); none: the state is open to whoever reaches the port. */
  readonly apiKeys: readonly string[];
  readonly operatorKeys?: readonly string[];
}

/** `/dashboard` on `app`: behind the operator keys when API keys are configured. */
export function mountDashboard(app: ServiceApp, options: DashboardMountOptions): void {
  registerDashboard(app, {
    source: options.source,
    ...(options.apiKeys.length === 0 ? {} : { authorize: operatorAuthorizer(options.apiKeys, options.operatorKeys) }),
  });
}

/** What both sources read besides the ticks: the ledger's open batches and the destination gate. */
function batchesAndDestinations(ledger: RequestLedger, gate: DestinationGate): Pick<DashboardSource, 'batches' | 'destinations'> {
  return {
    batches: () => ledger.recentBatches(DASHBOARD_BATCHES, COMPLETED_BATCH_SHOWN_MS),
    destinations: () => gate.list(),
  };
}

/** The scheduler's picture: its decision log, newest entries first (the same entries as GET /v1/scheduler/decisions). */
export function schedulerDashboardSource(input: { readonly decisions: DecisionLog; readonly ledger: RequestLedger; readonly gate: DestinationGate }): DashboardSource {
  return {
    kind: 'scheduler',
    ticks: async (limit) => (await input.decisions.recent(limit)).map((line) => JSON.parse(line) as DashboardTick),
    ...batchesAndDestinations(input.ledger, input.gate),
  };
}

/**
 * The embedded mode's picture: no scheduler runs there, so every poll reads the queues itself,
 * with the scheduler's own signals, and reports the one instance of each stage it runs.
 */
export function embeddedDashboardSource(input: {
  readonly backends: { readonly proxyRedis: StoreBackend; readonly parcRedis: StoreBackend; readonly kafka: QueueBackend };
  readonly namespace: string;
  readonly parcId: string;
  readonly callerParallelism: number;
}): DashboardSource {
  const signals = pipelineSignals({ proxy: input.backends.proxyRedis, kafka: input.backends.kafka, parcRedis: () => input.backends.parcRedis, namespace: input.namespace, dueHorizonMs: 30_000 });
  const cluster: ClusterState = {
    globalInstances: { proxy: 1, 'proxy-store': 1, responder: 1 },
    parcs: [{ id: input.parcId, state: 'active', createdAtMs: 0, instances: { 'parc-incoming': 1, 'parc-caller': 1, 'parc-outgoing': 1 }, callerParallelism: input.callerParallelism }],
    // Nothing is planned in the embedded mode: no budget to show.
    capacity: { cpuMillis: 0, memoryMiB: 0 },
  };
  let previous: Readings | undefined;
  return {
    kind: 'embedded',
    ticks: async () => {
      const atMs = Date.now();
      const readings = await readSignals(signals, [input.parcId], atMs);
      const observation = toObservation({ readings, previous, signals, cluster, lastChangeMs: {}, callLatencyMs: 100 });
      previous = readings;
      return [{ atMs, driver: 'embedded', readings, observation }];
    },
    ...batchesAndDestinations(input.backends.proxyRedis.ledger({}), input.backends.proxyRedis.destinationGate()),
  };
}

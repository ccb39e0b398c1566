import { Gauge } from 'prom-client';
import type { QueueBacklog } from '@parc/queue';
import { closeAll, registerOnce, startInBackground, type ServiceApp } from '@parc/service-kit';

/** Something started that must be stopped: a stage worker or a backend connection. */
export interface Closable {
  close(): Promise<void>;
}

/** A backend whose reachability decides readiness. */
export interface PingTarget extends Closable {
  ping(): Promise<void>;
}

/** A backend the stage uses; `owned` ones (connected by the stage itself) are closed with it. */
export interface StageBackend {
  readonly backend: PingTarget;
  readonly owned: boolean;
}

export interface StageLifecycle {
  /** The stage, e.g. `parc-incoming`: names its readiness check and its start-up log lines. */
  readonly name: string;
  /** Backends by name, e.g. `proxy-redis`: readiness pings each; owned ones close after the workers. */
  readonly backends: Readonly<Record<string, StageBackend>>;
  /** Starts the stage's workers once the app is ready. */
  readonly start: () => Promise<readonly Closable[]>;
  /** The queues this stage consumes, reported as `parc_queue_backlog` when /metrics is scraped. */
  readonly backlogs?: readonly WatchedQueue[];
}

/** A queue (and consumer group) whose backlog a stage reports. */
export interface WatchedQueue {
  readonly queue: string;
  readonly group: string;
  readonly backlog: () => Promise<QueueBacklog>;
}

/** A queue to report: `group`'s backlog on `queue` in `backend`. */
export function watch(backend: { backlog(queue: string, group: string): Promise<QueueBacklog> }, queue: string, group: string): WatchedQueue {
  return { queue, group, backlog: () => backend.backlog(queue, group) };
}

/** The watched queues per registry: stages mounted in one process (embedded) share one gauge. */
const watchedByRegistry = new WeakMap<object, Set<WatchedQueue>>();

/** Backlog gauges read at scrape time: no polling, and the numbers are as fresh as the scrape. */
function registerBacklogGauge(app: ServiceApp, queues: readonly WatchedQueue[]): void {
  if (queues.length === 0) return;
  let watched = watchedByRegistry.get(app.metrics);
  if (!watched) {
    const all = new Set<WatchedQueue>();
    watched = all;
    watchedByRegistry.set(app.metrics, all);
    registerOnce(app.metrics, 'parc_queue_backlog', (registry) =>
      new Gauge({
        name: 'parc_queue_backlog',
        help: 'Messages of a consumed queue: waiting (not yet delivered to the group) and in_flight (delivered, not acknowledged; 0 for Kafka).',
        labelNames: ['queue', 'group', 'state'],
        registers: [registry],
        async collect() {
          await Promise.all(
            [...all].map(async ({ queue, group, backlog }) => {
              // A backend that cannot be read leaves the last value: readiness reports the outage.
              const current = await backlog().catch(() => undefined);
              if (!current) return;
              this.set({ queue, group, state: 'waiting' }, current.waiting);
              this.set({ queue, group, state: 'in_flight' }, current.inFlight);
            }),
          );
        },
      }),
    );
  }
  for (const queue of queues) watched.add(queue);
}

/**
 * Ties a stage to its app: readiness checks that ping every backend and that the workers run;
 * the workers started once the app is ready — in the background, tried again with back-off for as
 * long as a dependency is missing or slow (a Kafka group still holding a killed member), so the
 * process listens, answers `/health/live` and reports not-ready instead of exiting; and on close
 * (SIGTERM) the workers stopped first — they finish what they hold and acknowledge it — and the
 * connections after them. Only a configuration error found while starting ends the process.
 */
export function manageStage(app: ServiceApp, stage: StageLifecycle): void {
  registerBacklogGauge(app, stage.backlogs ?? []);
  for (const [name, { backend }] of Object.entries(stage.backends)) {
    app.readiness.add({ name, check: () => backend.ping() });
  }
  const workers = startInBackground({
    name: `${stage.name} workers`,
    start: () => stage.start(),
    logger: app.log.child({ stage: stage.name }),
    onFatal: (error) => app.fatal.report(error),
  });
  app.readiness.add({ name: `${stage.name} workers`, check: () => workers.assertStarted() });
  app.addHook('onReady', async () => workers.begin());
  app.addHook('onClose', async () => {
    const started = (await workers.stop()) ?? [];
    await closeAll(started.map((worker, i) => ({ name: `worker ${i + 1}`, close: () => worker.close() })));
    const owned = Object.entries(stage.backends).filter(([, { owned }]) => owned);
    await closeAll(owned.map(([name, { backend }]) => ({ name, close: () => backend.close() })));
  });
}

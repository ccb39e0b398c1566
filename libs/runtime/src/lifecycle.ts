import { closeAll, type ServiceApp } from '@parc/service-kit';

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
  /** Backends by name, e.g. `proxy-redis`: readiness pings each; owned ones close after the workers. */
  readonly backends: Readonly<Record<string, StageBackend>>;
  /** Starts the stage's workers once the app is ready. */
  readonly start: () => Promise<readonly Closable[]>;
}

/**
 * Ties a stage to its app: readiness checks that ping every backend, workers started when the
 * app becomes ready, and on close (SIGTERM) the workers stopped first — they finish what they
 * hold and acknowledge it — and the connections after them.
 */
export function manageStage(app: ServiceApp, stage: StageLifecycle): void {
  let workers: readonly Closable[] = [];
  for (const [name, { backend }] of Object.entries(stage.backends)) {
    app.readiness.add({ name, check: () => backend.ping() });
  }
  app.addHook('onReady', async () => {
    workers = await stage.start();
  });
  app.addHook('onClose', async () => {
    await closeAll(workers.map((worker, i) => ({ name: `worker ${i + 1}`, close: () => worker.close() })));
    const owned = Object.entries(stage.backends).filter(([, { owned }]) => owned);
    await closeAll(owned.map(([name, { backend }]) => ({ name, close: () => backend.close() })));
  });
}

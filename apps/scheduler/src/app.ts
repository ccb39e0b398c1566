import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { mountScheduler, type InjectedBackends } from '@parc/runtime';
import { SERVICE, type AppConfig } from './config';

export interface AppDeps extends ServiceDeps {
  /** Backends to use instead of connecting (tests). */
  readonly backends?: InjectedBackends;
  /** What the local driver's instances inherit: main.ts passes the process environment. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/**
 * scheduler: the control loop that scales every stage and the number of Parcs, and its decision
 * log at GET /v1/scheduler/decisions. Health, readiness (one check per backend), metrics and
 * graceful shutdown come from the kit.
 */
export function buildApp(config: AppConfig, deps: AppDeps = {}): ServiceApp {
  const app = buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
  mountScheduler(app, config, deps.backends, deps.environment ? { environment: deps.environment } : {});
  return app;
}

import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { mountParcCaller, type InjectedBackends } from '@parc/runtime';
import { SERVICE, type AppConfig } from './config';

export interface AppDeps extends ServiceDeps {
  /** Backends to use instead of connecting (tests, the embedded mode). */
  readonly backends?: InjectedBackends;
}

/**
 * parc-caller: Performs the HTTP calls: `ready` → the target (egress policy, timeouts, body cap) → `done`.
 * Health, readiness (one check per backend), metrics and graceful shutdown come from the kit.
 */
export function buildApp(config: AppConfig, deps: AppDeps = {}): ServiceApp {
  const app = buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
  mountParcCaller(app, config, deps.backends);
  return app;
}

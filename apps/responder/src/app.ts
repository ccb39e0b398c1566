import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { mountResponder, type InjectedBackends } from '@parc/runtime';
import { SERVICE, type AppConfig } from './config';

export interface AppDeps extends ServiceDeps {
  /** Backends to use instead of connecting (tests, the embedded mode). */
  readonly backends?: InjectedBackends;
}

/**
 * responder: Stores final results for polling and delivers one signed callback per request (retried, then dead-lettered).
 * Health, readiness (one check per backend), metrics and graceful shutdown come from the kit.
 */
export function buildApp(config: AppConfig, deps: AppDeps = {}): ServiceApp {
  const app = buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
  mountResponder(app, config, deps.backends);
  return app;
}

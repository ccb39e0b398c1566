import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { mountParcOutgoing, type InjectedBackends } from '@parc/runtime';
import { SERVICE, type AppConfig } from './config';

export interface AppDeps extends ServiceDeps {
  /** Backends to use instead of connecting (tests, the embedded mode). */
  readonly backends?: InjectedBackends;
}

/**
 * parc-outgoing: Classifies attempts: finals to Kafka `responses`, retries into the delayed set and back to Kafka when due.
 * Health, readiness (one check per backend), metrics and graceful shutdown come from the kit.
 */
export function buildApp(config: AppConfig, deps: AppDeps = {}): ServiceApp {
  const app = buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
  mountParcOutgoing(app, config, deps.backends);
  return app;
}

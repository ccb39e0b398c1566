import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { mountParcIncoming, type InjectedBackends } from '@parc/runtime';
import { SERVICE, type AppConfig } from './config';

export interface AppDeps extends ServiceDeps {
  /** Backends to use instead of connecting (tests, the embedded mode). */
  readonly backends?: InjectedBackends;
}

/**
 * parc-incoming: Moves the Parc's Kafka requests into its Redis `ready` stream (or its delayed set), with backpressure.
 * Health, readiness (one check per backend), metrics and graceful shutdown come from the kit.
 */
export function buildApp(config: AppConfig, deps: AppDeps = {}): ServiceApp {
  const app = buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
  mountParcIncoming(app, config, deps.backends);
  return app;
}

import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { mountProxyStore, type InjectedBackends } from '@parc/runtime';
import { SERVICE, type AppConfig } from './config';

export interface AppDeps extends ServiceDeps {
  /** Backends to use instead of connecting (tests, the embedded mode). */
  readonly backends?: InjectedBackends;
}

/**
 * proxy-store: Moves accepted envelopes from the proxy's inbox to the Kafka requests topic of an active Parc.
 * Health, readiness (one check per backend), metrics and graceful shutdown come from the kit.
 */
export function buildApp(config: AppConfig, deps: AppDeps = {}): ServiceApp {
  const app = buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
  mountProxyStore(app, config, deps.backends);
  return app;
}

import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { SERVICE, type AppConfig } from './config';

/**
 * Composes parc-caller on the service kit (health, readiness, metrics, errors).
 * Its worker (`ready` → the HTTP call → `done`) comes with issue #3, stopped by an onClose hook.
 */
export function buildApp(config: AppConfig, deps: ServiceDeps = {}): ServiceApp {
  return buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
}

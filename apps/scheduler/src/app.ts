import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { SERVICE, type AppConfig } from './config';

/**
 * Composes the scheduler on the service kit (health, readiness, metrics, errors).
 * Its control loop (observe queues and lag → decide replicas → apply through a driver)
 * comes with issue #6, stopped by an onClose hook.
 */
export function buildApp(config: AppConfig, deps: ServiceDeps = {}): ServiceApp {
  return buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
}

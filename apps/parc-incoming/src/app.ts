import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { SERVICE, type AppConfig } from './config';

/**
 * Composes parc-incoming on the service kit (health, readiness, metrics, errors).
 * Its worker (Kafka requests topic → Parc Redis `ready`) comes with issue #3, stopped by an
 * onClose hook.
 */
export function buildApp(config: AppConfig, deps: ServiceDeps = {}): ServiceApp {
  return buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
}

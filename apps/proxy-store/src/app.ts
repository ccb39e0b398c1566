import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { SERVICE, type AppConfig } from './config';

/**
 * Composes proxy-store on the service kit (health, readiness, metrics, errors).
 * Its worker (proxy Redis inbox → Kafka requests topic, policy annotated) comes with issue #3,
 * stopped by an onClose hook.
 */
export function buildApp(config: AppConfig, deps: ServiceDeps = {}): ServiceApp {
  return buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
}

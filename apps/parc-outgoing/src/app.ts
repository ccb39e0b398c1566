import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { SERVICE, type AppConfig } from './config';

/**
 * Composes parc-outgoing on the service kit (health, readiness, metrics, errors).
 * Its workers (`done` → Kafka responses; retryable failures → delayed set → Kafka requests)
 * come with issue #3, stopped by onClose hooks.
 */
export function buildApp(config: AppConfig, deps: ServiceDeps = {}): ServiceApp {
  return buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
}

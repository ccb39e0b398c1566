import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { SERVICE, type AppConfig } from './config';

/**
 * Composes the responder on the service kit (health, readiness, metrics, errors).
 * Its worker (Kafka responses → signed POST to the callback URL) and the result polling
 * route come with issue #3.
 */
export function buildApp(config: AppConfig, deps: ServiceDeps = {}): ServiceApp {
  return buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
}

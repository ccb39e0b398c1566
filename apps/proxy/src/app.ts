import { buildServiceApp, resolveServiceDeps, type ServiceApp, type ServiceDeps } from '@parc/service-kit';
import { SERVICE, type AppConfig } from './config';

/**
 * Composes the proxy on the service kit (health, readiness, metrics, errors).
 * The intake routes (a JSON batch and an NDJSON stream → 202, envelopes appended to the
 * proxy Redis inbox) come with issue #3.
 */
export function buildApp(config: AppConfig, deps: ServiceDeps = {}): ServiceApp {
  return buildServiceApp(resolveServiceDeps(SERVICE, config, deps));
}

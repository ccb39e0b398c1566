import type { Registry } from 'prom-client';
import { field } from './config/fields';
import type { ConfigOf, ConfigSpec } from './config/parse';
import type { ServiceApp } from './http/service-app';
import { LOG_LEVELS, createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';

/** Defaults that differ between services. */
export interface ServiceDefaults {
  /** Each service has its own default port so that all of them run side by side on one machine. */
  readonly port: number;
}

/**
 * The variables every service reads (HOST, PORT, LOG_LEVEL, SHUTDOWN_TIMEOUT_MS). An app's spec
 * spreads these and adds its stage's own fields.
 */
export function serviceConfigSpec(defaults: ServiceDefaults) {
  return {
    host: field.string({
      env: 'HOST',
      default: '0.0.0.0',
      description: 'Interface the HTTP server (API, health, metrics) listens on.',
    }),
    port: field.port({ env: 'PORT', default: defaults.port, description: 'TCP port of the HTTP server.' }),
    logLevel: field.enum({
      env: 'LOG_LEVEL',
      values: LOG_LEVELS,
      default: 'info',
      description: 'Least severe level written to stdout as JSON lines.',
    }),
    logRedactHeaders: field.list({
      env: 'LOG_REDACT_HEADERS',
      optional: true,
      description: 'Header names to redact from logs besides Authorization, Cookie, Set-Cookie, X-Api-Key and Proxy-Authorization.',
    }),
    shutdownTimeoutMs: field.duration({
      env: 'SHUTDOWN_TIMEOUT_MS',
      default: 10_000,
      min: 1,
      description: 'After SIGTERM, how long draining may take before the process gives up and exits with code 1.',
    }),
  };
}

/** The spec every service's spec extends. */
export type ServiceConfigSpec = ConfigSpec & ReturnType<typeof serviceConfigSpec>;

/** The config every service has. */
export type ServiceConfig = ConfigOf<ReturnType<typeof serviceConfigSpec>>;

/**
 * What an app's `buildApp` may be given instead of creating it: tests pass a silent or
 * capturing logger; several stages in one process can share a registry. Stages extend this
 * with their own ports (queues, clocks).
 */
export interface ServiceDeps {
  readonly logger?: Logger;
  readonly registry?: Registry;
}

/** Fills in what was not injected: a logger at the configured level and a fresh registry. */
export function resolveServiceDeps(
  service: string,
  config: Pick<ServiceConfig, 'logLevel'> & Partial<Pick<ServiceConfig, 'logRedactHeaders'>>,
  deps: ServiceDeps = {},
): { service: string; logger: Logger; registry: Registry } {
  return {
    service,
    logger: deps.logger ?? createLogger({ service, level: config.logLevel, redactHeaders: config.logRedactHeaders ?? [] }),
    registry: deps.registry ?? createMetrics({ service }),
  };
}

/** An app as the launcher, the contract check and the tools see it. */
export interface ServiceDefinition<S extends ServiceConfigSpec> {
  /** Name of the service, e.g. `proxy`. */
  readonly service: string;
  readonly spec: S;
  readonly build: (config: ConfigOf<S>, deps?: ServiceDeps) => ServiceApp | Promise<ServiceApp>;
}

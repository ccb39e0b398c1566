/**
 * The service kit: what every Parc app uses the same way. Config from the environment
 * (parsed once, frozen, typed), a pino logger, a prom-client registry, the Fastify app with
 * health and metrics, and the graceful-shutdown lifecycle.
 */
export { Secret } from './config/secret';
export {
  field,
  type ConfigField,
  type EnumOptions,
  type FieldCommon,
  type FieldKind,
  type Presence,
  type Range,
  type SecretOptions,
  type UrlOptions,
} from './config/fields';
export { describeConfig, invalidConfiguration, parseConfig, type ConfigOf, type ConfigRow, type ConfigSpec, type Env } from './config/parse';
export {
  DEFAULT_REDACT_PATHS,
  LOG_LEVELS,
  REDACTED_HEADERS,
  createLogger,
  type LogLevel,
  type Logger,
  type LoggerOptions,
} from './logger';
export { createMetrics, registerOnce, type MetricsOptions } from './metrics';
export {
  DEFAULT_CHECK_TIMEOUT_MS,
  type CheckResult,
  type Readiness,
  type ReadinessCheck,
  type ReadinessReport,
} from './http/readiness';
export { buildServiceApp, type FatalChannel, type ServiceApp, type ServiceAppOptions } from './http/service-app';
export { verifyServiceContract, type ContractOptions } from './http/contract';
export { closeAll, type CloseStep } from './lifecycle/close-all';
export {
  createShutdown,
  runService,
  type ProcessLike,
  type RunServiceOptions,
  type RunningService,
  type Shutdown,
  type ShutdownOptions,
} from './lifecycle/run-service';
export { launchService, type LaunchOptions } from './lifecycle/launch';
export {
  isConfigurationError,
  startInBackground,
  type BackgroundStart,
  type BackgroundStartOptions,
} from './lifecycle/start-in-background';
export {
  resolveServiceDeps,
  serviceConfigSpec,
  type ServiceConfig,
  type ServiceConfigSpec,
  type ServiceDefaults,
  type ServiceDefinition,
  type ServiceDeps,
} from './service';

/**
 * @parc/testing: the test harness. Spec files only (lint forbids it in production code).
 *
 * - Real Redis and Kafka for integration tests: `provideRedis`, `provideKafka`,
 *   `startInfrastructure` (global setup uses the latter; see README.md for the three ways).
 * - Tiny protocol probes that need neither ioredis nor kafkajs: `probeRedis`, `probeKafka`.
 * - A scriptable HTTP target server: `startTargetServer`.
 */
export { InfraUnavailableError } from './infra/errors';
export { detectDockerEngine, type DockerEngineStatus } from './infra/docker';
export { sourcesFromEnv, startInfrastructure, type Infrastructure, type StartInfrastructureOptions } from './infra/infrastructure';
export { provideRedis, startLocalRedis, MIN_REDIS_VERSION, type LocalRedisServer, type ProvideRedisOptions, type RedisPersistence } from './infra/redis';
export { provideKafka, type ProvideKafkaOptions } from './infra/kafka';
export { startLocalKafka, type LocalKafkaBroker, type LocalKafkaOptions, type SecureLocalKafkaBroker } from './infra/kafka-local';
export type { KafkaSecurityFiles, KafkaSecurityMaterial, KafkaUser } from './infra/kafka-security';
export { defaultKafkaCacheDir, ensureKafkaJars, type KafkaJars } from './infra/kafka-jars';
export { KAFKA_VERSION } from './infra/kafka-settings';
export { probeRedis, redisCommands, type RedisProbeResult, type RespValue } from './infra/resp-probe';
export { probeKafka, requestMetadata, type KafkaMetadata, type KafkaBrokerInfo, type KafkaTopicInfo } from './infra/kafka-probe';
export { freePort, freePorts } from './infra/free-port';
export type { InfraSource, ProvideOptions, ProvidedKafka, ProvidedRedis } from './infra/types';
export { startTargetServer, type TargetCall, type TargetServer, type TargetServerOptions } from './target/server';
export { parseScript, ScriptError, MAX_BODY_BYTES, type Script, type Step, type Action } from './target/script';
export {
  describeQueueConformance,
  describeStoreConformance,
  describeGateConformance,
  spawnDoomedConsumer,
  waitFor,
  delay,
  type QueueConformanceTarget,
  type StoreConformanceTarget,
  type StoreSet,
  type GateConformanceTarget,
  type GateUnderTest,
  type DoomedConsumer,
  type DoomedConsumerSpec,
} from './conformance';
export {
  bundleApps,
  startServiceProcess,
  startCallbackReceiver,
  type ServiceProcess,
  type ServiceProcessOptions,
  type CallbackReceiver,
  type CallbackReceiverOptions,
  type ReceivedCallback,
} from './stack';
export * from './e2e';
export { CHROMIUM_PATH, launchChromium } from './browser/chromium';
export { startStandInApiServer, type RbacRule, type RecordedRequest, type StandInApiServer, type StandInOptions, type StoredObject } from './kubernetes/stand-in-api-server';

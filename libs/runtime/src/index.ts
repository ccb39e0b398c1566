/**
 * The runtime: how each stage is wired into an app — its config fields, the backends it connects
 * to (or is given), its workers and their lifecycle. Apps stay three small files; the embedded
 * mode mounts every stage into one process on one memory backend.
 */
export type { InjectedBackends, StoreBackend } from './backends';
export { manageStage, type Closable, type PingTarget, type StageBackend, type StageLifecycle } from './lifecycle';
export { commonSpec, namespaceOf, proxyRedisSpec, parcRedisSpec, kafkaSpec, activeParcsSpec, connectRedis, connectKafka } from './infrastructure';
export { outboundSpec, createHttpCaller } from './outbound';
export { proxyStoreSpec, mountProxyStore, type ProxyStoreConfig } from './stages/proxy-store';
export { parcIncomingSpec, mountParcIncoming, type ParcIncomingConfig } from './stages/parc-incoming';
export { parcCallerSpec, mountParcCaller, type ParcCallerConfig } from './stages/parc-caller';
export { parcOutgoingSpec, mountParcOutgoing, type ParcOutgoingConfig } from './stages/parc-outgoing';
export { responderSpec, mountResponder, type ResponderConfig } from './stages/responder';
export { proxySpec, mountProxy, type ProxyConfig, type ProxyMountOptions } from './stages/proxy';
export { embeddedSpec, buildEmbeddedApp, type EmbeddedApp, type EmbeddedConfig } from './embedded';
export { memoryBackends, verifyStageApp, type StageAppBuilder } from './contract';
export { schedulerSpec, mountScheduler, type SchedulerConfig } from './stages/scheduler';

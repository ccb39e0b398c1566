export { describeQueueConformance, type QueueConformanceTarget } from './queue-conformance';
export { spawnDoomedConsumer, type DoomedConsumer, type DoomedConsumerSpec } from './doomed-consumer';
export { waitFor, delay } from './wait-for';
export { describeStoreConformance, type StoreConformanceTarget, type StoreSet } from './store-conformance';
export { describeGateConformance, type GateConformanceTarget, type GateUnderTest } from './gate-conformance';

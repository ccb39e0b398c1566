export { KafkaBackend, chunkByBytes, type KafkaBackendOptions } from './kafka-backend';
export { KAFKA_LOG_LEVELS, type KafkaLogLevel } from './kafka-logging';
export type { KafkaSaslMechanism, KafkaSaslOptions, KafkaTlsOptions } from './security';

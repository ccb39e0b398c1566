import { field } from '@parc/service-kit';

/** Partitions of the Kafka topics a stage creates when they do not exist yet. */
export const kafkaPartitionsSpec = {
  kafkaPartitions: field.integer({
    env: 'KAFKA_PARTITIONS',
    default: 4,
    min: 1,
    max: 1_000,
    description: 'Partitions of a Kafka topic Parc creates (bounds how many consumers of one group can share it).',
  }),
};

import type * as PlatformaticKafka from '@platformatic/kafka';

export type KafkaClientLibrary = typeof PlatformaticKafka;

let loading: Promise<KafkaClientLibrary> | undefined;

/**
 * `@platformatic/kafka`, loaded on first use. Every app's bundle holds this lib (the runtime can
 * mount every stage), but the proxy and parc-caller never talk to Kafka, and loading the client
 * (about a thousand ES modules, and the option schemas it compiles at import) costs 60 MB of RSS
 * and 0.3 s of start-up: only the processes that use it pay for it.
 */
export function kafkaClientLibrary(): Promise<KafkaClientLibrary> {
  loading ??= import('@platformatic/kafka');
  return loading;
}

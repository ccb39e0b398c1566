import { ParcError } from '@parc/errors';
import { DEFAULT_CALLBACK_RETRY_POLICY, startResponder } from '@parc/pipeline';
import { field, type ConfigOf, type ServiceApp } from '@parc/service-kit';
import { globalNames } from '@parc/topology';
import { parseWebhookSecrets, type WebhookSecret } from '@parc/webhooks';
import type { InjectedBackends } from '../backends';
import { commonSpec, namespaceOf, connectKafka, connectRedis, kafkaSpec, proxyRedisSpec } from '../infrastructure';
import { appTracing, tracingSpec } from '../tracing';
import { manageStage, watch } from '../lifecycle';
import { createHttpCaller, outboundSpec } from '../outbound';
import { kafkaPartitionsSpec } from './shared';

export const responderSpec = {
  ...commonSpec,
  ...tracingSpec,
  ...proxyRedisSpec,
  ...kafkaSpec,
  ...kafkaPartitionsSpec,
  ...outboundSpec,
  webhookSecrets: field.secret({
    env: 'WEBHOOK_SECRETS',
    required: true,
    description: 'Standard Webhooks signing secrets (whsec_…), newest first, separated by spaces: each adds a signature, for rotation.',
  }),
  callbackMaxAttempts: field.integer({
    env: 'CALLBACK_MAX_ATTEMPTS',
    default: DEFAULT_CALLBACK_RETRY_POLICY.maxAttempts,
    min: 1,
    max: 1_000,
    description: 'Deliveries of one callback before it goes to the dead letters.',
  }),
  callbackTimeoutMs: field.duration({ env: 'CALLBACK_TIMEOUT_MS', default: 10_000, min: 1, description: 'Time allowed for one callback POST.' }),
  callbackConcurrency: field.integer({ env: 'CALLBACK_CONCURRENCY', default: 32, min: 1, max: 10_000, description: 'Callback batches (of 8) in flight.' }),
};

export type ResponderConfig = ConfigOf<typeof responderSpec>;

/** The signing secrets; a malformed one is a config error naming the variable (never its value). */
export function webhookSecretsFrom(text: string): readonly WebhookSecret[] {
  try {
    return parseWebhookSecrets(text);
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    throw new ParcError('CONFIG_INVALID', `WEBHOOK_SECRETS: ${problem}`, { cause: error });
  }
}

/** responder: Kafka `responses` → stored result + one signed callback per request (retried, dead-lettered). */
export function mountResponder(app: ServiceApp, config: ResponderConfig, injected: InjectedBackends = {}): void {
  const tracing = appTracing(app, config, 'responder');
  const ns = namespaceOf(config);
  const global = globalNames(ns);
  const secrets = webhookSecretsFrom(config.webhookSecrets.reveal());
  const http = createHttpCaller(config);
  const proxyRedis = injected.proxyRedis ?? connectRedis(config.proxyRedisUrl, 'responder', config, app.log);
  const kafka = injected.kafka ?? connectKafka(config, 'responder', app.log);
  manageStage(app, {
    name: 'responder',
    backends: {
      'proxy-redis': { backend: proxyRedis, owned: !injected.proxyRedis },
      kafka: { backend: kafka, owned: !injected.kafka },
      http: { backend: { ping: async () => undefined, close: () => http.close() }, owned: true },
    },
    backlogs: [watch(kafka, global.responsesTopic, 'responder'), watch(proxyRedis, global.callbacks, 'callback-sender')],
    start: async () => {
      await kafka.ensureQueue(global.responsesTopic, { partitions: config.kafkaPartitions });
      return [
        await startResponder({
          kafka,
          proxy: proxyRedis,
          callbacksDelayed: proxyRedis.delayedQueue(global.callbacksDelayed, global.callbacks),
          ledger: proxyRedis.ledger({ retentionMs: config.ledgerRetentionMs }),
          deadLetters: proxyRedis.deadLetters(),
          names: global,
          http,
          secrets,
          callbackRetryPolicy: { ...DEFAULT_CALLBACK_RETRY_POLICY, maxAttempts: config.callbackMaxAttempts },
          callbackTimeoutMs: config.callbackTimeoutMs,
          callbackConcurrency: config.callbackConcurrency,
          // Every partition of responses this member holds is recorded at once (see parc-incoming).
          concurrency: config.kafkaPartitions,
          logger: app.log,
          registry: app.metrics,
          tracing,
        }),
      ];
    },
  });
}

import { globalNames, parcNames } from '@parc/topology';
import type { WebhookSecret } from '@parc/webhooks';
import type { HttpCaller } from '@parc/egress';
import type { Registry } from 'prom-client';
import type { QueueLogger } from '@parc/queue';
import type { Tracing } from '@parc/tracing';
import type { MemoryBackend } from './pipeline.fixture';
import { startParcCaller, startParcIncoming, startParcOutgoing, startProxyStore, startResponder, type Worker } from './index';
import { DEFAULT_CALLBACK_RETRY_POLICY } from './responder';

export interface EmbeddedPipelineOptions {
  readonly backend: MemoryBackend;
  readonly http: HttpCaller;
  readonly callbackHttp: HttpCaller;
  readonly secrets: readonly WebhookSecret[];
  readonly registry?: Registry;
  readonly logger?: QueueLogger;
  readonly callerBatchSize?: number;
  readonly callerConcurrency?: number;
  readonly tracing?: Tracing;
}

/**
 * All five workers on one memory backend (Kafka topics and Redis streams are memory queues),
 * as the embedded mode wires them: one Parc, the delayed sets shared by instance.
 */
export async function startEmbeddedPipeline(options: EmbeddedPipelineOptions): Promise<Worker[]> {
  const { backend, registry, logger } = options;
  const global = globalNames();
  const names = parcNames('p1');
  const ledger = backend.ledger();
  const common = { ...(registry ? { registry } : {}), ...(logger ? { logger } : {}), ...(options.tracing ? { tracing: options.tracing } : {}) };
  const active = () => ['p1'];
  const delayed = backend.delayedQueue(names.delayed, names.due);
  return Promise.all([
    startResponder({
      ...common, kafka: backend, proxy: backend, ledger, deadLetters: backend.deadLetters(), names: global, http: options.callbackHttp,
      callbacksDelayed: backend.delayedQueue(global.callbacksDelayed, global.callbacks), secrets: options.secrets,
      callbackRetryPolicy: { ...DEFAULT_CALLBACK_RETRY_POLICY, initialDelayMs: 10, maxDelayMs: 50 }, promoterTickMs: 20,
    }),
    startParcOutgoing({
      ...common, parc: backend, delayed, kafka: backend, ledger, names, responsesTopic: global.responsesTopic,
      activeParcIds: active, moverTickMs: 20, sweepTickMs: 50,
    }),
    startParcCaller({
      ...common, parc: backend, names, ledger, http: options.http,
      batchSize: options.callerBatchSize ?? 8, concurrency: options.callerConcurrency ?? 64,
    }),
    startParcIncoming({ ...common, requests: backend, parc: backend, delayed, names }),
    startProxyStore({ ...common, inbox: backend, inboxQueue: global.inbox, requests: backend, activeParcIds: active }),
  ]);
}

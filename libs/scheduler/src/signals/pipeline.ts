import type { DelayedQueueFactory, QueueBackend } from '@parc/queue';
import { globalNames, parcNames } from '@parc/topology';
import type { ParcSignals, PipelineSignals } from '../observe';
import { delayedSetSignal } from './delayed-set';
import { queueBacklogSignal } from './queue-backlog';

export interface PipelineSignalSources {
  /** The proxy's Redis: inbox and callbacks. */
  readonly proxy: QueueBackend;
  /** Kafka: the requests topics and responses. */
  readonly kafka: QueueBackend;
  /** A Parc's Redis: ready, done and its delayed set. */
  readonly parcRedis: (parcId: string) => QueueBackend & DelayedQueueFactory;
  /** Key and topic prefix (PARC_NAMESPACE). */
  readonly namespace: string;
  /** How far ahead "due soon" looks in a delayed set (the policy's drain target). */
  readonly dueHorizonMs: number;
}

/**
 * Every signal of the pipeline, by the names and consumer groups the stages use: the inbox for
 * proxy-store, responses and callbacks for the responder, and per Parc its requests topic (group
 * `parc-incoming.<id>`), ready (parc-caller), done (parc-outgoing) and delayed set.
 */
export function pipelineSignals(sources: PipelineSignalSources): PipelineSignals {
  const global = globalNames(sources.namespace);
  const parcs = new Map<string, ParcSignals>();
  return {
    inbox: queueBacklogSignal('inbox', sources.proxy, global.inbox, 'proxy-store'),
    responses: queueBacklogSignal('responses', sources.kafka, global.responsesTopic, 'responder'),
    callbacks: queueBacklogSignal('callbacks', sources.proxy, global.callbacks, 'callback-sender'),
    parcs: (parcId) => {
      let signals = parcs.get(parcId);
      if (!signals) {
        const names = parcNames(parcId, sources.namespace);
        const redis = sources.parcRedis(parcId);
        signals = {
          requests: queueBacklogSignal(`${parcId}/requests`, sources.kafka, names.requestsTopic, `parc-incoming.${parcId}`),
          ready: queueBacklogSignal(`${parcId}/ready`, redis, names.ready, 'parc-caller'),
          done: queueBacklogSignal(`${parcId}/done`, redis, names.done, 'parc-outgoing'),
          delayed: delayedSetSignal(`${parcId}/delayed`, redis.delayedQueue(names.delayed, names.due), sources.dueHorizonMs),
        };
        parcs.set(parcId, signals);
      }
      return signals;
    },
  };
}

import type { QueueBackend } from '@parc/queue';
import type { QueueReading, Signal } from './signal';

/**
 * The backlog of `queue` for consumer `group`, and how many messages were ever added to it: a
 * Redis stream (inbox, ready, done, callbacks) or a Kafka topic (a Parc's requests, responses),
 * whatever `backend` holds it.
 */
export function queueBacklogSignal(name: string, backend: QueueBackend, queue: string, group: string): Signal<QueueReading> {
  return {
    name,
    read: async () => {
      const { waiting, inFlight, added } = await backend.backlog(queue, group);
      return { waiting, inFlight, added };
    },
  };
}

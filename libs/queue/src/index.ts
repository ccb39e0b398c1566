export type {
  BatchContext,
  BatchHandler,
  ConsumeOptions,
  DelayedItem,
  DelayedQueue,
  DelayedQueueFactory,
  Delivery,
  EnsureQueueOptions,
  OutboundMessage,
  QueueBackend,
  QueueBacklog,
  QueueConsumer,
} from './port';
export { resolveConsumeOptions, uniqueConsumerName, type ResolvedConsumeOptions } from './consume-options';
export { startPollingConsumer, type PollingConsumer, type PollingSettings, type PollingSource } from './polling-consumer';
export { sleep, errorBackoffMs } from './timing';
export { RepeatFilter, silentLogger, type QueueLogger } from './logger';

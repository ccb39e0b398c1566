import type { EventEmitter } from 'node:events';
import { types } from 'node:util';
import { RepeatFilter, type QueueLogger } from '@parc/queue';

/** How much of the Kafka client's own events reaches the app's log, by name (KAFKA_LOG_LEVEL). */
export const KAFKA_LOG_LEVELS = { nothing: 0, error: 1, warn: 2, info: 3, debug: 4 } as const;

export type KafkaLogLevel = keyof typeof KAFKA_LOG_LEVELS;

export interface ClientLogSettings {
  readonly logger: QueueLogger;
  readonly level: KafkaLogLevel;
  readonly repeats: RepeatFilter;
}

/**
 * A broker that goes away is routine for a service that keeps retrying (a broker restart, a
 * rolling upgrade): said as a warning, once per window, never with a stack. Failures Parc cannot
 * get past are reported by its own code (readiness, the stage's logs), not by these lines.
 */
export function watchClient<T extends EventEmitter>(client: T, settings: ClientLogSettings): T {
  const { logger, level, repeats } = settings;
  const allowed = KAFKA_LOG_LEVELS[level];
  if (allowed >= KAFKA_LOG_LEVELS.warn) {
    client.on('client:broker:failed', (event: { broker?: { host: string; port: number }; error?: unknown } | undefined) => {
      const broker = event?.broker === undefined ? undefined : `${event.broker.host}:${event.broker.port}`;
      const detail = event?.error === undefined ? '' : `: ${describeKafkaError(event.error)}`;
      const { log, held } = repeats.admit(`broker failed ${broker}${detail}`);
      if (log) logger.warn({ kafka: 'connection', broker, ...(held > 0 ? { repeatsHeldBack: held } : {}) }, `could not connect to the Kafka broker ${broker ?? ''}${detail}; retrying`);
    });
  }
  if (allowed >= KAFKA_LOG_LEVELS.debug) {
    client.on('client:broker:connect', (event: { broker?: { host: string; port: number } } | undefined) =>
      logger.debug({ kafka: 'connection', broker: event?.broker === undefined ? undefined : `${event.broker.host}:${event.broker.port}` }, 'connected to a Kafka broker'),
    );
  }
  return client;
}

/** The Kafka client's errors nest (a MultipleErrors of per-broker errors): one line that says what happened. */
export function describeKafkaError(error: unknown): string {
  if (error === undefined || error === null) return 'unknown error';
  // isNativeError, not instanceof: errors made in another realm (Node's own, under Jest) count too.
  if (!types.isNativeError(error)) return String(error);
  const nested = (error as Error & { errors?: unknown[] }).errors;
  const parts = [error.message];
  if (Array.isArray(nested)) {
    const inner = [...new Set(nested.map((item) => describeKafkaError(item)))].filter((text) => text !== error.message);
    if (inner.length > 0) parts.push(inner.slice(0, 3).join('; '));
  } else if (types.isNativeError(error.cause) && error.cause.message !== error.message) {
    parts.push(describeKafkaError(error.cause));
  }
  return parts.join(': ');
}

/** Whether `error`, or anything it wraps, is the broker refusing the client's credentials. */
export function isAuthenticationFailure(error: unknown, depth = 0): boolean {
  if (!types.isNativeError(error) || depth > 6) return false;
  const { code, errors, cause, apiId } = error as Error & { code?: string; errors?: unknown[]; apiId?: string };
  if (code === 'PLT_KFK_AUTHENTICATION' || apiId === 'SASL_AUTHENTICATION_FAILED' || /SASL_AUTHENTICATION_FAILED|Authentication failed/i.test(error.message)) return true;
  if (Array.isArray(errors) && errors.some((item) => isAuthenticationFailure(item, depth + 1))) return true;
  return isAuthenticationFailure(cause, depth + 1);
}

import { logLevel, type logCreator } from 'kafkajs';
import { RepeatFilter, type QueueLogger } from '@parc/queue';

/**
 * Routes kafkajs's own log lines into the app's logger, under `kafka` with kafkajs's namespace.
 * kafkajs logs at `error` what is transient for a service that keeps retrying — a broker
 * restarting, a coordinator loading, a rebalance, a consumer it restarts ("Crash") — with stacks.
 * Parc's clients retry all of these by themselves, so they are warnings here, without stacks, and
 * said once per window rather than on every retry. Failures Parc cannot get past are reported by
 * its own code (readiness, the stage's logs), not by these lines.
 */
export function kafkaLogCreator(logger: QueueLogger, filter = new RepeatFilter()): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, stack: _stack, ...fields } = log as typeof log & { stack?: unknown };
      if (level <= logLevel.WARN) {
        const { log: admitted, held } = filter.admit(`${namespace} ${message}`);
        if (!admitted) return;
        logger.warn({ kafka: namespace, ...fields, ...(held > 0 ? { repeatsHeldBack: held } : {}) }, message);
      } else if (level === logLevel.INFO) logger.info({ kafka: namespace, ...fields }, message);
      else logger.debug({ kafka: namespace, ...fields }, message);
    };
}

/** kafkajs log levels by name, for options read from configuration. */
export const KAFKA_LOG_LEVELS = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

export type KafkaLogLevel = keyof typeof KAFKA_LOG_LEVELS;

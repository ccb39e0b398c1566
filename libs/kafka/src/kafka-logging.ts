import { logLevel, type logCreator } from 'kafkajs';
import type { QueueLogger } from '@parc/queue';

/** Routes kafkajs's own log lines into the app's logger, under `kafka` with kafkajs's namespace. */
export function kafkaLogCreator(logger: QueueLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { kafka: namespace, ...fields };
      if (level === logLevel.ERROR) logger.error(entry, message);
      else if (level === logLevel.WARN) logger.warn(entry, message);
      else if (level === logLevel.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
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

import { ParcError } from '@parc/errors';
import type { ConsumeOptions } from './port';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** Consume options with defaults applied and ranges checked. */
export interface ResolvedConsumeOptions extends ConsumeOptions {
  readonly concurrency: number;
}

/** Applies defaults and refuses nonsensical values up front, naming the option. */
export function resolveConsumeOptions(options: ConsumeOptions): ResolvedConsumeOptions {
  const concurrency = options.concurrency ?? 1;
  const problems: string[] = [];
  if (!options.queue) problems.push('queue must be a non-empty name');
  if (!options.group) problems.push('group must be a non-empty name');
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) problems.push(`batchSize must be a positive integer, got ${options.batchSize}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) problems.push(`concurrency must be a positive integer, got ${concurrency}`);
  if (problems.length > 0) {
    throw new ParcError('QUEUE_OPTIONS_INVALID', `Invalid consumer options: ${problems.join('; ')}`);
  }
  return { ...options, concurrency };
}

/**
 * A consumer name unique to this process and call: a restarted process must not inherit a dead
 * one's pending messages under the same name (they are reclaimed by lease instead).
 */
export function uniqueConsumerName(prefix = 'c'): string {
  return `${prefix}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

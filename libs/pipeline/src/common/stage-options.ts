import { Registry } from 'prom-client';
import { silentLogger, type QueueLogger } from '@parc/queue';
import { ParcError } from '@parc/errors';
import { TRACING_OFF, type Tracing } from '@parc/tracing';
import { stageMetrics, type StageMetrics } from './metrics';

/** Options every worker takes. */
export interface StageOptions {
  /** A pino logger (or anything with debug/info/warn/error); default silent. */
  readonly logger?: QueueLogger;
  /** The app's prom-client registry the worker registers its metrics on; default a private one. */
  readonly registry?: Registry;
  /** Clock, epoch ms; default Date.now. */
  readonly now?: () => number;
  /** How long close() lets running handlers finish before aborting them (default 5000 ms). */
  readonly drainMs?: number;
  /** Spans per request (docs/tracing.md); default off. */
  readonly tracing?: Tracing;
}

/** Stage options with defaults applied. */
export interface StageContext {
  readonly logger: QueueLogger;
  readonly registry: Registry;
  readonly metrics: StageMetrics;
  readonly now: () => number;
  readonly drainMs: number;
  readonly tracing: Tracing;
}

export function stageContext(options: StageOptions): StageContext {
  const registry = options.registry ?? new Registry();
  return {
    logger: options.logger ?? silentLogger,
    registry,
    metrics: stageMetrics(registry),
    now: options.now ?? Date.now,
    drainMs: options.drainMs ?? 5_000,
    tracing: options.tracing ?? TRACING_OFF,
  };
}

/**
 * Checks positive-integer tunables up front, naming each bad option.
 * @throws ParcError QUEUE_OPTIONS_INVALID listing every bad value.
 */
export function checkTunables(stage: string, values: Readonly<Record<string, number>>): void {
  const bad = Object.entries(values)
    .filter(([, value]) => !Number.isInteger(value) || value < 1)
    .map(([name, value]) => `${name} must be a positive integer, got ${value}`);
  if (bad.length > 0) throw new ParcError('QUEUE_OPTIONS_INVALID', `${stage}: ${bad.join('; ')}`);
}

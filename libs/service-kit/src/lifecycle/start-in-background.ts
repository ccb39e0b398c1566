import { setTimeout as pause } from 'node:timers/promises';
import { exponentialBoundMs } from '@parc/backoff';
import { isParcError } from '@parc/errors';
import type { Logger } from '../logger';

type StarterLogger = Pick<Logger, 'info' | 'warn' | 'debug'>;

export interface BackgroundStartOptions<T> {
  /** What is being started, for logs and readiness, e.g. `workers`. */
  readonly name: string;
  /**
   * One attempt to start. Throwing means "not yet": the attempt is repeated with back-off,
   * unless {@link isFatal} says trying again cannot help. `signal` aborts when the service stops.
   */
  readonly start: (signal: AbortSignal) => Promise<T>;
  readonly logger: StarterLogger;
  /** Errors that no retry can mend (bad configuration); default {@link isConfigurationError}. */
  readonly isFatal?: (error: unknown) => boolean;
  /** Called once with a fatal error; the attempts stop. */
  readonly onFatal: (error: unknown) => void;
  /** Pause after the first failed attempt, doubled after each further one up to `maxDelayMs` (default 200 ms). */
  readonly initialDelayMs?: number;
  /** Longest pause between attempts (default 3 s), so a dependency that comes back is seen within it. */
  readonly maxDelayMs?: number;
  /** While it keeps failing the same way, a reminder is logged this often (default 30 s). */
  readonly reminderMs?: number;
  readonly now?: () => number;
}

/** A start that keeps trying in the background. */
export interface BackgroundStart<T> {
  /** Starts the first attempt (later calls do nothing). */
  begin(): void;
  /** What the successful attempt returned; undefined while still trying. */
  readonly value: T | undefined;
  /** Throws, saying what it waits for, until an attempt has succeeded (a readiness check). */
  assertStarted(): void;
  /** Stops trying (an attempt in progress finishes first) and resolves with what was started, if anything. */
  stop(): Promise<T | undefined>;
}

/**
 * Errors that mean the configuration is wrong rather than a dependency absent: ParcErrors whose
 * catalog entry is not retriable (CONFIG_INVALID, QUEUE_OPTIONS_INVALID, …), except QUEUE_CLOSED,
 * which only says the service is stopping.
 */
export function isConfigurationError(error: unknown): boolean {
  return isParcError(error) && !error.retriable && error.code !== 'QUEUE_CLOSED';
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Starts something that needs dependencies (Redis, Kafka) without ever giving up on them: the
 * service listens and answers `/health/live` at once, reports not-ready while this keeps trying
 * with capped exponential back-off, and becomes ready when an attempt succeeds. Why not inside
 * the start-up: a dependency that is slow (a Kafka group still holding a killed member) or absent
 * must not make the process exit, which under a supervisor becomes a crash loop. Each distinct
 * failure is logged once at warn, then a reminder every `reminderMs`; only configuration errors
 * end the attempts (and are handed to `onFatal`).
 */
export function startInBackground<T>(options: BackgroundStartOptions<T>): BackgroundStart<T> {
  const { name, logger } = options;
  const now = options.now ?? Date.now;
  const isFatal = options.isFatal ?? isConfigurationError;
  const initialDelayMs = options.initialDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 3_000;
  const reminderMs = options.reminderMs ?? 30_000;
  const stopping = new AbortController();
  let value: T | undefined;
  let started = false;
  let waitingFor = 'not started yet';
  let loop: Promise<void> | undefined;

  const attempts = async (): Promise<void> => {
    const since = now();
    let lastLogged = '';
    let lastLoggedAt = 0;
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      try {
        value = await options.start(stopping.signal);
        started = true;
        waitingFor = '';
        if (attempt > 1) logger.info({ attempts: attempt, waitedMs: now() - since }, `${name} started after ${attempt} attempts`);
        return;
      } catch (error) {
        if (isFatal(error)) {
          waitingFor = `stopped: ${describe(error)}`;
          options.onFatal(error);
          return;
        }
        if (stopping.signal.aborted) return;
        waitingFor = describe(error);
        // A dependency that is down fails every attempt the same way: say so once, then remind.
        const nowMs = now();
        if (waitingFor !== lastLogged || nowMs - lastLoggedAt >= reminderMs) {
          const fields = { err: error, attempt, waitingMs: nowMs - since };
          logger.warn(fields, attempt === 1 || waitingFor !== lastLogged ? `${name} waiting for a dependency: ${waitingFor}` : `${name} still waiting: ${waitingFor}`);
          lastLogged = waitingFor;
          lastLoggedAt = nowMs;
        } else {
          logger.debug({ attempt, waitingMs: nowMs - since }, `${name} not started yet: ${waitingFor}`);
        }
        const delayMs = exponentialBoundMs({ initialDelayMs, maxDelayMs, multiplier: 2 }, attempt - 1);
        await pause(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  };

  return {
    begin: () => {
      loop ??= attempts();
    },
    get value() {
      return value;
    },
    assertStarted: () => {
      if (!started) throw new Error(`${name} not started: ${waitingFor}`);
    },
    stop: async () => {
      stopping.abort();
      await loop;
      return value;
    },
  };
}

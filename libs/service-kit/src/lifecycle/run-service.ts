import type { ServiceApp } from '../http/service-app';
import type { Logger } from '../logger';

/**
 * The part of `process` the lifecycle touches, so that tests can send signals and observe
 * exits without a real process.
 */
export interface ProcessLike {
  on(event: 'SIGTERM' | 'SIGINT' | 'uncaughtException' | 'unhandledRejection', listener: (arg: unknown) => void): unknown;
  exit(code: number): void;
}

type LifecycleLogger = Pick<Logger, 'info' | 'warn' | 'fatal'>;

export interface ShutdownOptions {
  readonly app: ServiceApp;
  readonly logger: LifecycleLogger;
  /** How long `app.close()` plus `onShutdown` may take before the process exits with 1. */
  readonly shutdownTimeoutMs: number;
  /** Runs after the app has closed, within the timeout (e.g. to flush a telemetry exporter). */
  readonly onShutdown?: () => unknown;
  readonly exit: (code: number) => void;
}

/** Starts a graceful shutdown (idempotent) and resolves with the exit code it chose. */
export type Shutdown = (reason: string) => Promise<number>;

/**
 * The graceful shutdown, apart from any signal: marks the app not ready (`/health/ready` → 503
 * at once), closes it (Fastify stops accepting and runs the stages' `onClose` hooks), runs
 * `onShutdown`, then exits 0; exits 1 after logging fatal when that fails or outlives the
 * timeout. Later calls return the first call's outcome, so a second signal changes nothing.
 */
export function createShutdown(options: ShutdownOptions): Shutdown {
  let outcome: Promise<number> | undefined;
  return (reason) => {
    if (outcome) {
      options.logger.warn({ reason }, 'shutdown already in progress');
      return outcome;
    }
    outcome = drain(options, reason);
    return outcome;
  };
}

async function drain(options: ShutdownOptions, reason: string): Promise<number> {
  const { app, logger, shutdownTimeoutMs } = options;
  logger.info({ reason, shutdownTimeoutMs }, `shutting down (${reason})`);
  app.readiness.markShuttingDown();
  let timer: NodeJS.Timeout | undefined;
  // Not unref()ed: if closing hangs with nothing else scheduled, this timer is what ends the process.
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), shutdownTimeoutMs);
  });
  const closed = (async () => {
    await app.close();
    await options.onShutdown?.();
    return 'closed' as const;
  })();
  let code: number;
  try {
    const result = await Promise.race([closed, timedOut]);
    code = result === 'closed' ? 0 : 1;
    if (code === 0) logger.info('shut down cleanly');
    else logger.fatal({ shutdownTimeoutMs }, `shutdown took longer than ${shutdownTimeoutMs} ms; exiting`);
  } catch (err) {
    code = 1;
    logger.fatal({ err }, 'shutdown failed');
  } finally {
    clearTimeout(timer);
  }
  options.exit(code);
  return code;
}

export interface RunServiceOptions {
  readonly app: ServiceApp;
  readonly host: string;
  /** 0 picks a free port (tests); the URL logged and returned is the bound one. */
  readonly port: number;
  readonly logger: LifecycleLogger;
  readonly shutdownTimeoutMs: number;
  readonly onShutdown?: () => unknown;
  /** Defaults to the real `process`. */
  readonly process?: ProcessLike;
}

/** A listening service. */
export interface RunningService {
  /** The URL the server is bound to, e.g. `http://0.0.0.0:8080`. */
  readonly url: string;
  /** What SIGTERM does; resolves with the exit code passed to `exit`. */
  readonly shutdown: Shutdown;
}

/**
 * Runs a built app as the process's service: SIGTERM/SIGINT start the graceful shutdown of
 * {@link createShutdown}; an uncaught exception or unhandled rejection is logged as fatal and
 * exits 1 (the process state is unknown, draining could do more harm), as does a failure reported
 * on the app's fatal channel. Then listens on
 * host:port and logs the URL. Rejects when it cannot listen.
 */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const proc: ProcessLike = options.process ?? process;
  const { app, logger } = options;
  const exit = (code: number): void => proc.exit(code);
  const shutdown = createShutdown({ ...options, exit });
  proc.on('SIGTERM', () => void shutdown('SIGTERM'));
  proc.on('SIGINT', () => void shutdown('SIGINT'));
  proc.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting');
    exit(1);
  });
  proc.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled promise rejection; exiting');
    exit(1);
  });
  // The app has logged it already; like a bad config at start-up, it ends the process.
  app.fatal.subscribe(() => exit(1));
  const url = await app.listen({ host: options.host, port: options.port });
  logger.info({ url }, `listening on ${url}`);
  return { url, shutdown };
}

/**
 * What every process of systems A and B does around its work: read its environment, report
 * readiness to the process that spawned it (see spawn.ts), log warnings only, and shut down
 * gracefully on SIGTERM.
 */

/** The message a child sends over the IPC channel once it can take work. */
export interface ReadyMessage {
  readonly type: 'ready';
  /** The port an ingress listens on (children pick a free one themselves, so no port race). */
  readonly port?: number;
}

/**
 * Writes one JSON warning line to stderr (the spawner sends it to the process's log file).
 * Warnings only, never per request: the bench measures these processes' CPU.
 */
export function warn(message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

/** A required environment variable. @throws Error naming it when missing or empty. */
export function envString(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} must be set`);
  return value;
}

/** A positive integer from the environment, or `fallback` when unset. */
export function envInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${text}`);
  return value;
}

/** A comma-separated list from the environment (the form Parc's EGRESS_ALLOW_LIST takes). */
export function envList(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * Tells the spawner this process is ready, then closes the IPC channel: nothing else travels
 * over it, and an open channel would keep a child alive after its parent vanished.
 */
export function announceReady(port?: number): void {
  const message: ReadyMessage = port === undefined ? { type: 'ready' } : { type: 'ready', port };
  if (!process.send) return; // started by hand, not by spawn.ts
  process.send(message, () => process.disconnect());
}

/**
 * Runs `close` once on SIGTERM or SIGINT, then exits (0, or 1 when closing failed). A second
 * signal while closing is ignored: the spawner escalates to SIGKILL after its grace period.
 */
export function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        warn('shutdown failed', { error: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** Runs a child's main; a start-up failure is one warning line and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    warn('start-up failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ReadyMessage } from './child';

/** The repository root: children run with it as cwd, so tsx finds tsconfig.json and its @parc paths. */
const ROOT = resolve(__dirname, '../../..');

/** A bench service running as its own OS process (one node process: tsx is a loader, not a wrapper). */
export interface ServiceChild {
  readonly name: string;
  readonly pid: number;
  /** The port it announced (ingress processes), else undefined. */
  readonly port: number | undefined;
  readonly logFile: string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnServiceOptions {
  /** Names the process in `processes()` and its log file `<logDir>/<name>.log`. */
  readonly name: string;
  /** Entry point relative to the repository root, e.g. `bench/src/systems/inmemory.main.ts`. */
  readonly entry: string;
  /** On top of this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly logDir: string;
  /** Default 60 s: tsx compiles the @parc libs on first start. */
  readonly readyTimeoutMs?: number;
}

function tail(logFile: string, lines = 20): string {
  if (!existsSync(logFile)) return '(no log)';
  return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Resolves with the child's ready message; rejects when it exits first or takes too long. */
function whenReady(child: ChildProcess, name: string, logFile: string, timeoutMs: number): Promise<ReadyMessage> {
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} was not ready within ${timeoutMs} ms:\n${tail(logFile)}`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      if ((message as Partial<ReadyMessage> | null)?.type !== 'ready') return;
      cleanup();
      resolveReady(message as ReadyMessage);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready:\n${tail(logFile)}`));
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const fail = (error: Error): void => {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function stopper(child: ChildProcess, exited: Promise<void>): (graceMs?: number) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (graceMs = 30_000) => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
}

/**
 * Starts `node --import tsx <entry>` with its stdout and stderr appended to a log file (the
 * child writes to the descriptor itself, so no output passes through the bench process) and an
 * IPC channel used once, for the ready message (see child.ts).
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceChild> {
  const logFile = join(options.logDir, `${options.name}.log`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
  } finally {
    closeSync(fd);
  }
  // Last resort when the bench exits without stopping its children ('exit' listeners run synchronously).
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((settle) => child.once('exit', () => settle()));
  void exited.then(() => process.removeListener('exit', killOnExit));
  if (child.pid === undefined) {
    await new Promise<void>((_, reject) => child.once('error', reject));
  }
  const ready = await whenReady(child, options.name, logFile, options.readyTimeoutMs ?? 60_000);
  return { name: options.name, pid: child.pid as number, port: ready.port, logFile, stop: stopper(child, exited) };
}

/** Polls `url` until it answers 200 (an ingress's `/health/live`). */
export async function waitForHealthy(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((settle) => setTimeout(settle, 50));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/** Stops every child (in parallel); the first failure is rethrown after all were tried. */
export async function stopAll(children: readonly ServiceChild[]): Promise<void> {
  const results = await Promise.allSettled(children.map((child) => child.stop()));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

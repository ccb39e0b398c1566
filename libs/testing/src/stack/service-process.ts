import { join, resolve } from 'node:path';
import { freePort } from '../infra/free-port';
import { startProcess, tailFile, type ExitInfo, type ManagedProcess } from '../infra/process';

/** A Parc service running as its own OS process, as in production. */
export interface ServiceProcess {
  readonly app: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly logFile: string;
  pid(): number;
  /** SIGTERM and wait (SIGKILL after the grace period). */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** Sends `signal` (e.g. SIGKILL) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<ExitInfo>;
  /** Sends `signal` (e.g. SIGSTOP, SIGCONT) without waiting for anything. */
  signal(signal: NodeJS.Signals): void;
  /** Starts it again with the same port and environment, and waits until it is ready. */
  restart(): Promise<void>;
  /** Starts it again with the same port and environment, as a supervisor does, without waiting. */
  relaunch(): Promise<void>;
  /** Resolves once `/health/ready` answers 200; fails if the current run exits first or `timeoutMs` passes. */
  waitUntilReady(timeoutMs: number): Promise<void>;
  /** Settles when the current run exits. */
  exited(): Promise<ExitInfo>;
}

export interface ServiceProcessOptions {
  /** The directory name under apps/, e.g. `parc-caller` (its `src/main.ts` runs), or a name for `entry`. */
  readonly app: string;
  /** Another entry point to run instead, relative to the repository root (e.g. `tools/embedded/main.ts`). */
  readonly entry?: string;
  /** Node's own arguments; default `--import tsx` (TypeScript sources). A built bundle needs none. */
  readonly nodeArgs?: readonly string[];
  /** Environment on top of this process's (PORT and HOST are set here). */
  readonly env: NodeJS.ProcessEnv;
  /** Where `<app>-<n>.log` files go. */
  readonly logDir: string;
  readonly readyTimeoutMs?: number;
  /** Repository root; default: three levels above this file's lib. */
  readonly root?: string;
  /** Listen on this port instead of a free one. */
  readonly port?: number;
}

const ROOT = resolve(__dirname, '../../../..');

/**
 * Starts `apps/<app>/src/main.ts` (through tsx) on a free loopback port, its JSON logs in a file,
 * and resolves once `/health/ready` answers 200. Fails with the log's tail if it exits or never
 * gets ready.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const root = options.root ?? ROOT;
  let runs = 0;
  let current: ManagedProcess;
  let logFile = '';

  const relaunch = async (): Promise<void> => {
    logFile = join(options.logDir, `${options.app}-${port}-${++runs}.log`);
    const entry = options.entry ?? join('apps', options.app, 'src', 'main.ts');
    current = await startProcess(process.execPath, [...(options.nodeArgs ?? ['--import', 'tsx']), entry], {
      logFile,
      cwd: root,
      env: { ...process.env, ...options.env, HOST: '127.0.0.1', PORT: String(port) },
    });
  };
  const launch = async (): Promise<void> => {
    await relaunch();
    await waitUntilReady(url, current, logFile, options.readyTimeoutMs ?? 30_000);
  };
  await launch();

  return {
    app: options.app,
    port,
    url,
    get logFile() {
      return logFile;
    },
    pid: () => current.pid,
    stop: (graceMs) => current.stop(graceMs),
    kill: async (signal) => {
      process.kill(current.pid, signal);
      return current.exited;
    },
    signal: (signal) => void process.kill(current.pid, signal),
    restart: launch,
    relaunch,
    waitUntilReady: (timeoutMs) => waitUntilReady(url, current, logFile, timeoutMs, false),
    exited: () => current.exited,
  };
}

async function waitUntilReady(url: string, child: ManagedProcess, logFile: string, timeoutMs: number, stopIfNotReady = true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const exit = child.exitInfo();
    if (exit) throw new Error(`${url} exited (${exit.signal ?? `code ${exit.code}`}) before it was ready:\n${tailFile(logFile)}`);
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (stopIfNotReady) await child.stop(2_000);
  throw new Error(`${url} was not ready within ${timeoutMs} ms (last: ${last}):\n${tailFile(logFile)}`);
}

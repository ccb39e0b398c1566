import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** How a child process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A long-running child (redis-server, the Kafka JVM) whose output goes to a log file. */
export interface ManagedProcess {
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** The exit, once it has happened. */
  exitInfo(): ExitInfo | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

/**
 * Starts `command` with stdout and stderr appended straight to `logFile` (the child writes to the
 * file descriptor itself, so nothing passes through this process and the test output stays clean).
 *
 * Not detached: the child stays in the caller's process group, so Ctrl-C in a terminal reaches it
 * too. Runs killed harder than that leave orphans, which `reapOrphans` removes on the next start.
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<ManagedProcess> {
  const fd = openSync(options.logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', fd, fd] });
    let exit: ExitInfo | undefined;
    // Last resort if this process exits without stopping the child (a crash, process.exit()):
    // 'exit' listeners run synchronously, and a synchronous kill is all they can do.
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    const exited = new Promise<ExitInfo>((settle) => {
      child.once('exit', (code, signal) => {
        process.removeListener('exit', killOnExit);
        exit = { code, signal };
        settle(exit);
      });
    });
    child.once('error', (error) => {
      process.removeListener('exit', killOnExit);
      closeSync(fd);
      reject(error);
    });
    child.once('spawn', () => {
      closeSync(fd);
      const pid = child.pid as number;
      resolve({
        pid,
        logFile: options.logFile,
        exited,
        exitInfo: () => exit,
        async stop(graceMs = 10_000) {
          if (exit) return exit;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          try {
            return await exited;
          } finally {
            clearTimeout(timer);
          }
        },
      });
    });
  });
}

/** Result of a short command run to completion. */
export interface CommandResult extends ExitInfo {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a short command, collecting its output; rejects if it cannot start or runs past `timeoutMs`. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The last `lines` lines of a text file ('' when it cannot be read), for error messages. */
export function tailFile(file: string, lines = 30): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** The first `max` lines of a text file that match `pattern` ('' when none or unreadable). */
export function grepFile(file: string, pattern: RegExp, max = 10): string {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => pattern.test(line))
      .slice(0, max)
      .join('\n');
  } catch {
    return '';
  }
}

/** The absolute path of `command` on PATH, or undefined. */
export function which(command: string, path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** True while a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it resolves, while `child` keeps running. Fails with the child's exit
 * status and log tail when it exits first, or with the last probe error after `timeoutMs`.
 */
export async function waitForReady<T>(
  child: ManagedProcess,
  probe: () => Promise<T>,
  options: { name: string; timeoutMs: number; intervalMs?: number; logFiles?: readonly string[] },
): Promise<T> {
  const tails = (): string =>
    (options.logFiles ?? [child.logFile])
      .map((file) => `Last lines of ${file}:\n${tailFile(file) || '(empty)'}`)
      .join('\n');
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'not probed yet';
  for (;;) {
    const exit = child.exitInfo();
    if (exit) {
      throw new Error(
        `${options.name} exited before it was ready (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`}).\n${tails()}`,
      );
    }
    try {
      return await probe();
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${options.name} was not ready within ${options.timeoutMs} ms (last probe: ${lastError}).\n${tails()}`,
      );
    }
    await Promise.race([sleep(options.intervalMs ?? 100), child.exited]);
  }
}

/** A service process that a fault test may kill and start again on its data (same ports, same dir). */
export interface Restartable {
  /** The running (or last) process's pid. */
  readonly pid: number;
  /** SIGKILL: the process dies as in a crash. */
  kill(): Promise<void>;
  /** Starts it again (it must have been killed); resolves with the ms until it answered again. */
  restart(): Promise<number>;
  /** The current process, to stop it. */
  current(): ManagedProcess;
}

/** Kill and restart for a process that `launch` starts and waits for. */
export function restartable(name: string, first: ManagedProcess, launch: () => Promise<ManagedProcess>): Restartable {
  let child = first;
  return {
    get pid() {
      return child.pid;
    },
    kill: async () => {
      process.kill(child.pid, 'SIGKILL');
      await child.exited;
    },
    restart: async () => {
      if (!child.exitInfo()) throw new Error(`${name} (pid ${child.pid}) is still running: kill() it first`);
      const restarted = Date.now();
      child = await launch();
      return Date.now() - restarted;
    },
    current: () => child,
  };
}

/** Time a readiness check may take before it counts as failed (Kubernetes probes time out at 1 s). */
export const DEFAULT_CHECK_TIMEOUT_MS = 800;

/**
 * One dependency the service needs before it can take work, e.g. "redis answers PING". The
 * check passes when it resolves and fails when it throws, rejects or outlives its timeout;
 * `signal` aborts at the timeout so a check can cancel its own I/O.
 */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: (signal: AbortSignal) => unknown;
  /** Defaults to {@link DEFAULT_CHECK_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** The outcome of one check, as `/health/ready` reports it. */
export interface CheckResult {
  readonly name: string;
  readonly status: 'pass' | 'fail';
  /** Why it failed; absent when it passed. */
  readonly error?: string;
}

/** What `/health/ready` answers: 200 when `status` is `ok`, else 503. */
export interface ReadinessReport {
  readonly status: 'ok' | 'unavailable' | 'shutting_down';
  readonly checks: readonly CheckResult[];
}

/**
 * The service's readiness: its checks plus the shutting-down flag that the lifecycle sets on
 * SIGTERM. Stages add checks for the clients they open.
 */
export interface Readiness {
  add(check: ReadinessCheck): void;
  /** From now on the service reports `shutting_down` (503), whatever its checks say. */
  markShuttingDown(): void;
  readonly shuttingDown: boolean;
  /** Runs every check concurrently, each within its timeout. */
  evaluate(): Promise<ReadinessReport>;
}

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  const timeoutMs = check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    // The check runs inside an async function so that a synchronous throw counts as a failure too.
    await Promise.race([(async () => check.check(controller.signal))(), timeout]);
    return { name: check.name, status: 'pass' };
  } catch (error) {
    return { name: check.name, status: 'fail', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Creates the readiness state of one service app. */
export function createReadiness(initialChecks: readonly ReadinessCheck[] = []): Readiness {
  const checks = [...initialChecks];
  let shuttingDown = false;
  return {
    add: (check) => void checks.push(check),
    markShuttingDown: () => {
      shuttingDown = true;
    },
    get shuttingDown() {
      return shuttingDown;
    },
    async evaluate() {
      // Checks of clients that are being closed would only report noise while draining.
      if (shuttingDown) return { status: 'shutting_down', checks: [] };
      const results = await Promise.all(checks.map(runCheck));
      if (shuttingDown) return { status: 'shutting_down', checks: results };
      return { status: results.every((r) => r.status === 'pass') ? 'ok' : 'unavailable', checks: results };
    },
  };
}

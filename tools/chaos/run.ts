import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_KEY,
  DATA_PATH_APPS,
  bundleApps,
  WEBHOOK_SECRET,
  buildScenario,
  expectedCalls,
  startCallbackReceiver,
  startLocalKafka,
  startLocalRedis,
  startStack,
  startTargetServer,
  type CallbackReceiver,
  type DataPathApp,
  type LocalKafkaBroker,
  type LocalRedisServer,
  type ScenarioRequest,
  type ServiceProcess,
  type Stack,
  type TargetServer,
} from '@parc/testing';
import { computeLedger, type FaultOutcome, type Ledger, type RunObservations } from './ledger';
import { describeFault, planFaults, type Fault } from './plan';

export interface ChaosOptions {
  readonly requests: number;
  readonly batchSize: number;
  /** Requests submitted per second (open loop, in batches of batchSize). */
  readonly ratePerS: number;
  readonly seed: number;
  readonly killsPerStage: number;
  readonly brokerDownMs: number;
  readonly redisRestarts: boolean;
  readonly pausedMs: number;
  readonly callers: number;
  /** After the last submission and fault, how long to wait for the remaining callbacks. */
  readonly drainTimeoutMs: number;
  /** The proxy's INBOX_WATERMARK (default: the proxy's own): low, with a high rate, tests overload. */
  readonly inboxWatermark?: number;
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly ledger: Ledger;
  readonly faults: readonly FaultOutcome[];
  readonly logDir: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Every process of the stack, by app and instance, for supervision and probes. */
function everyInstance(stack: Stack): { app: DataPathApp; service: ServiceProcess }[] {
  return DATA_PATH_APPS.flatMap((app) => stack.instances[app].map((service) => ({ app, service })));
}

/**
 * Restarts an instance that exited by itself, as a supervisor (Kubernetes, the scheduler's local
 * driver) would, and records it: the chaos run's promise is that nothing exits but what it kills.
 */
class Supervisor {
  readonly unexpectedExits: { app: string; atMs: number; code: number | null; signal: string | null }[] = [];
  private readonly killing = new Set<ServiceProcess>();
  private stopping = false;

  constructor(private readonly startedAt: number, private readonly log: (line: string) => void) {}

  watch(app: DataPathApp, service: ServiceProcess): void {
    void service.exited().then(async (exit) => {
      if (this.stopping || this.killing.delete(service)) return;
      this.unexpectedExits.push({ app, atMs: Date.now() - this.startedAt, code: exit.code, signal: exit.signal });
      this.log(`!! ${app} on :${service.port} exited by itself (${exit.signal ?? `code ${exit.code}`}); restarting it (log ${service.logFile})`);
      await service.relaunch();
      this.watch(app, service);
    });
  }

  /** SIGKILL, then the same command again at once; resolves when relaunched. */
  async killAndRestart(app: DataPathApp, service: ServiceProcess): Promise<void> {
    this.killing.add(service);
    await service.kill('SIGKILL');
    await service.relaunch();
    this.watch(app, service);
  }

  stop(): void {
    this.stopping = true;
  }
}

/** Polls until every (not frozen) instance answers /health/ready with 200. */
async function allReady(stack: Stack, frozen: ReadonlySet<ServiceProcess>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const states = await Promise.all(
      everyInstance(stack)
        .filter(({ service }) => !frozen.has(service))
        .map(({ service }) => fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status === 200, () => false)),
    );
    if (states.every(Boolean)) return true;
    await sleep(100);
  }
  return false;
}

/** Batches this process has handled so far (its stage's relay), from its own /metrics. */
async function batchesHandled(service: ServiceProcess, stage: string): Promise<number> {
  const text = await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.text(), () => '');
  const line = text.split('\n').find((l) => l.startsWith('parc_stage_batch_duration_seconds_count{') && l.includes(`stage="${stage}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Resident memory of a process (MiB), from /proc; 0 when it cannot be read (it just died). */
function rssMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Intake {
  readonly accepted: { id: string; expected: ScenarioRequest['expected'] }[];
  readonly acceptances: { atMs: number; count: number }[];
  retries: number;
  answers503: number;
  answers409: number;
  longest409Ms: number;
  /** The Retry-After values of the 503s, in seconds. */
  retryAfter: { min: number; max: number } | undefined;
}

/**
 * Submits the requests in batches at the given rate, each batch with its own Idempotency-Key and
 * tried again with the same key until it gets its 202 — through proxy restarts (connection
 * refused, or cut mid-request), 503 (honouring Retry-After) and 409.
 */
async function submit(stack: Stack, requests: readonly ScenarioRequest[], receiver: CallbackReceiver, options: ChaosOptions, startedAt: number, intake: Intake, runId: string): Promise<void> {
  for (let first = 0, n = 0; first < requests.length; first += options.batchSize, n++) {
    await sleep(startedAt + (first / options.ratePerS) * 1000 - Date.now());
    const batch = requests.slice(first, first + options.batchSize);
    const body = JSON.stringify({ requests: batch.map((r) => r.spec), callback: { url: receiver.url } });
    let conflictSince: number | undefined;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) intake.retries++;
      let status = 0;
      let retryAfterS = 0;
      let text = '';
      try {
        const response = await fetch(`${stack.proxyUrl}/v1/requests`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'idempotency-key': `chaos-${runId}-${n}` },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        status = response.status;
        retryAfterS = Number(response.headers.get('retry-after') ?? 0);
        text = await response.text();
      } catch {
        await sleep(200); // the proxy is restarting
        continue;
      }
      if (status === 202) {
        const { ids } = JSON.parse(text) as { ids: string[] };
        ids.forEach((id, i) => intake.accepted.push({ id, expected: (batch[i] as ScenarioRequest).expected }));
        intake.acceptances.push({ atMs: Date.now() - startedAt, count: ids.length });
        if (conflictSince !== undefined) intake.longest409Ms = Math.max(intake.longest409Ms, Date.now() - conflictSince);
        break;
      }
      if (status === 409) {
        intake.answers409++;
        conflictSince ??= Date.now();
        await sleep(500);
      } else if (status === 503) {
        intake.answers503++;
        intake.retryAfter = { min: Math.min(intake.retryAfter?.min ?? retryAfterS, retryAfterS), max: Math.max(intake.retryAfter?.max ?? retryAfterS, retryAfterS) };
        await sleep(Math.max(1, retryAfterS) * 1000);
      } else if (status >= 500) {
        await sleep(500);
      } else {
        throw new Error(`POST /v1/requests answered ${status}: ${text.slice(0, 500)}`);
      }
    }
  }
}

interface Infrastructure {
  readonly proxyRedis: LocalRedisServer;
  readonly parcRedis: LocalRedisServer;
  readonly kafka: LocalKafkaBroker;
}

/** Injects the faults of the plan at their times, one after another, measuring each recovery. */
async function injectFaults(
  plan: readonly Fault[],
  context: { stack: Stack; infra: Infrastructure; supervisor: Supervisor; startedAt: number; log: (line: string) => void },
): Promise<{ outcomes: FaultOutcome[]; pending: Promise<unknown>[] }> {
  const { stack, infra, supervisor, startedAt, log } = context;
  const outcomes: FaultOutcome[] = [];
  const pending: Promise<unknown>[] = [];
  const frozen = new Set<ServiceProcess>();
  const since = (at: number): number => Date.now() - at;
  for (const fault of plan) {
    await sleep(startedAt + fault.atMs - Date.now());
    const firedAtMs = since(startedAt);
    log(`${(firedAtMs / 1000).toFixed(1).padStart(6)} s  ${describeFault(fault)}`);
    if (fault.kind === 'kill') {
      const service = stack.instances[fault.app][fault.instance] as ServiceProcess;
      const killedAt = Date.now();
      await supervisor.killAndRestart(fault.app, service);
      const relaunchedAt = Date.now();
      const readyMs = await service.waitUntilReady(60_000).then(() => since(relaunchedAt), () => undefined);
      const outcome = { ...fault, firedAtMs, ...(readyMs === undefined ? {} : { readyMs }) };
      if (fault.app === 'proxy') {
        outcomes.push(readyMs === undefined ? outcome : { ...outcome, takeoverMs: since(killedAt) });
        continue;
      }
      // The new process's first handled batch: for Kafka consumers, after its group join.
      const index = outcomes.push(outcome) - 1;
      pending.push(
        (async () => {
          const deadline = Date.now() + 90_000;
          while (Date.now() < deadline) {
            if ((await batchesHandled(service, fault.app)) > 0) return (outcomes[index] = { ...outcome, takeoverMs: since(killedAt) });
            await sleep(100);
          }
          return undefined;
        })(),
      );
    } else if (fault.kind === 'broker') {
      await infra.kafka.kill();
      await sleep(fault.downMs);
      const readyMs = await infra.kafka.restart();
      const backAt = Date.now();
      const ready = await allReady(stack, frozen, 90_000);
      outcomes.push({ ...fault, firedAtMs, readyMs, ...(ready ? { allReadyMs: since(backAt) } : {}) });
    } else if (fault.kind === 'redis') {
      const server = fault.which === 'proxy-redis' ? infra.proxyRedis : infra.parcRedis;
      await server.kill();
      const readyMs = await server.restart();
      const backAt = Date.now();
      const ready = await allReady(stack, frozen, 90_000);
      outcomes.push({ ...fault, firedAtMs, readyMs, ...(ready ? { allReadyMs: since(backAt) } : {}) });
    } else {
      const service = stack.instances[fault.app][fault.instance] as ServiceProcess;
      service.signal('SIGSTOP');
      frozen.add(service);
      outcomes.push({ ...fault, firedAtMs });
      pending.push(
        sleep(fault.pausedMs).then(() => {
          service.signal('SIGCONT');
          frozen.delete(service);
          log(`${(since(startedAt) / 1000).toFixed(1).padStart(6)} s  SIGCONT ${fault.app}#${fault.instance + 1}: the zombie wakes up`);
        }),
      );
    }
  }
  return { outcomes, pending };
}

/**
 * One chaos run: the six data-path apps as separate processes (parc-caller twice) on their own
 * Redis servers (the proxy's with appendfsync always, the Parc's with everysec) and their own
 * Kafka broker, all started here so that they can be killed; a scripted target that is slow,
 * flaky, rate-limiting, hanging or failing; requests submitted at a steady rate while processes
 * are killed and restarted, the broker is down for a while, and a caller is frozen past its lease.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { log } = options;
  const logDir = mkdtempSync(join(tmpdir(), 'parc-chaos-'));
  log(`logs in ${logDir}`);
  const started: { stop(): Promise<unknown> }[] = [];
  try {
    const [proxyRedis, parcRedis] = await Promise.all([startLocalRedis({ persistence: 'always' }), startLocalRedis({ persistence: 'everysec' })]);
    started.push(proxyRedis, parcRedis);
    const kafka = await startLocalKafka({ log });
    started.push(kafka);
    log(`proxy Redis ${proxyRedis.url} (${proxyRedis.description}); Parc Redis ${parcRedis.url} (${parcRedis.description}); Kafka ${kafka.brokers}`);
    const [target, receiver] = await Promise.all([startTargetServer(), startCallbackReceiver()]);
    started.push({ stop: () => target.close() }, { stop: () => receiver.close() });
    const allow = [target.url, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`).join(',');
    // Bundles, as the images run them: a restart costs a process start, not a TypeScript compile.
    const bundleDir = await bundleApps(DATA_PATH_APPS);
    started.push({ stop: async () => rmSync(bundleDir, { recursive: true, force: true }) });
    const stack = await startStack({
      bundleDir,
      egressAllowList: allow,
      proxyRedisUrl: proxyRedis.url,
      parcRedisUrl: parcRedis.url,
      kafkaBrokers: kafka.brokers,
      instances: { 'parc-caller': options.callers },
      logDir,
      env: { LOG_LEVEL: 'info', ...(options.inboxWatermark === undefined ? {} : { INBOX_WATERMARK: String(options.inboxWatermark) }) },
    });
    started.push(stack);
    log(`stack up: ${everyInstance(stack).map(({ app, service }) => `${app}:${service.port}`).join(' ')}`);
    return await chaosOn({ stack, infra: { proxyRedis, parcRedis, kafka }, target, receiver, options, logDir });
  } finally {
    for (const thing of started.reverse()) await thing.stop().catch(() => undefined);
  }
}

async function chaosOn(context: { stack: Stack; infra: Infrastructure; target: TargetServer; receiver: CallbackReceiver; options: ChaosOptions; logDir: string }): Promise<ChaosResult> {
  const { stack, infra, target, receiver, options, logDir } = context;
  const { log } = options;
  const requests = buildScenario(target, options.requests, stack.namespace);
  const startedAt = Date.now();
  const supervisor = new Supervisor(startedAt, log);
  for (const { app, service } of everyInstance(stack)) supervisor.watch(app, service);
  const peakRssMiB: Record<string, number> = {};
  const sampler = setInterval(() => {
    for (const { app, service } of everyInstance(stack)) peakRssMiB[app] = Math.max(peakRssMiB[app] ?? 0, rssMiB(service.pid()));
  }, 500);
  const intake: Intake = { accepted: [], acceptances: [], retries: 0, answers503: 0, answers409: 0, longest409Ms: 0, retryAfter: undefined };
  const delivered = (): number => receiver.acceptedById().size;
  const progress = setInterval(() => {
    log(`${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)} s  accepted ${intake.accepted.length}, called back ${delivered()}`);
  }, 5_000);
  try {
    const windowMs = (options.requests / options.ratePerS) * 1000;
    const plan = planFaults({ ...options, windowMs });
    const [, injected] = await Promise.all([
      submit(stack, requests, receiver, options, startedAt, intake, stack.namespace),
      injectFaults(plan, { stack, infra, supervisor, startedAt, log }),
    ]);
    log(`${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)} s  every request submitted and every fault injected; waiting for the callbacks`);
    const deadline = Date.now() + options.drainTimeoutMs;
    const allCalledBack = (): boolean => {
      const called = receiver.acceptedById();
      return intake.accepted.every(({ id }) => called.has(id));
    };
    while (Date.now() < deadline && !allCalledBack()) await sleep(500);
    await Promise.all(injected.pending);
    await sleep(5_000); // late redeliveries, to count them
    const observations: RunObservations = {
      accepted: intake.accepted,
      acceptances: intake.acceptances,
      deliveries: receiver.deliveries,
      startedAtEpochMs: startedAt,
      endedAtMs: Date.now() - startedAt,
      webhookSecrets: WEBHOOK_SECRET,
      targetCalls: target.calls.length,
      expectedTargetCalls: expectedCalls(requests.slice(0, intake.accepted.length)),
      faults: injected.outcomes,
      unexpectedExits: supervisor.unexpectedExits,
      peakRssMiB,
      intake,
    };
    return { ledger: computeLedger(observations), faults: injected.outcomes, logDir };
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
    supervisor.stop();
  }
}

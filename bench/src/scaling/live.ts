/**
 * One configuration through the trace, live: fresh Redis and Kafka, the stack started, a short
 * pre-flight (not recorded), then the trace's arrivals sent open loop while the processes, the
 * scheduler's decisions and the callers' pending entries are sampled; then the quiet end, and
 * the drain (and for the scheduler, the extra Parcs' removal) watched up to a limit.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionEntry } from '@parc/scheduler';
import { startLocalKafka, startLocalRedis } from '@parc/testing';
import { runOpenLoop, type SentRequest } from '../load/open-loop';
import type { BenchReceiver } from '../load/receiver';
import type { BenchTarget } from '../load/target';
import { durationS, type Trace } from '../../simulate/trace';
import { startProcessSampler, type ProcessSample, type SeenProcess } from './processes';
import { BENCH_API_KEY } from '../contract';
import { parcQueuesSnapshot, startDecisionPoller, startPendingProbe, statusOfMissing, type ConsumerPending, type MissingRequest } from './probes';
import { startSchedulerStack, startStaticStack, type ConfigurationId, type RunningStack, type StaticSizing } from './stacks';

export interface LiveContext {
  readonly bundleDir: string;
  readonly target: BenchTarget;
  readonly receiver: BenchReceiver;
  readonly egressAllowList: readonly string[];
  readonly logDir: string;
  readonly trace: Trace;
  readonly arrivalsMs: readonly number[];
  readonly loadEndS: number;
  readonly targetLatencyMs: number;
  /** Processes the bench started (directly or through the scheduler) and has not stopped yet, for a last-resort kill on exit. */
  readonly started: Set<number>;
  readonly say: (line: string) => void;
}

/** Everything measured of one configuration, times in seconds from the load's start. */
export interface LiveRun {
  readonly id: ConfigurationId;
  readonly sizing?: StaticSizing;
  readonly logDir: string;
  readonly requests: readonly SentRequest[];
  readonly refused: number;
  readonly maxSendLagMs: number;
  /** Per request (same order as `requests`): callback time, calls at the target, deliveries of its callback. */
  readonly calledBackS: readonly number[];
  readonly firstCallS: readonly number[];
  readonly calls: readonly number[];
  readonly deliveries: readonly number[];
  readonly anomalies: number;
  readonly samples: readonly ProcessSample[];
  readonly processes: readonly SeenProcess[];
  readonly decisions: readonly DecisionEntry[];
  readonly consumers: readonly ConsumerPending[];
  readonly probe?: { readonly samples: number; readonly failures: number };
  /** performance.now() and Date.now() at the load's start. */
  readonly origin: { readonly perf: number; readonly epochMs: number };
  readonly traceEndS: number;
  /** When the run was last observed (the drain and the Parcs' removal watched up to a limit). */
  readonly observedUntilS: number;
  readonly infrastructure: { readonly redis: string; readonly kafka: string };
  /** Requests accepted and never called back, as the status API told before the stack stopped, and the Parcs' queues then. */
  readonly missing?: { readonly requests: readonly MissingRequest[]; readonly parcQueues: Record<string, unknown> };
}

/** After the trace's end, the drain is watched up to this long. */
const DRAIN_LIMIT_S = 120;
/** Extra Parcs are watched up to this long after the load's end (the target is 60 s). */
const PARCS_LIMIT_S = 120;
const INITIAL_PARCS = new Set(['p1']);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Ports for the scheduler's instances: a random range below the kernel's ephemeral ports, so that two runs (or tests) rarely meet. */
const schedulerBasePort = (): number => 20_000 + 100 * Math.floor(Math.random() * 100);

/** A few requests end to end before recording: every stage up, consumer groups joined. */
async function preflight(context: LiveContext, stack: RunningStack): Promise<void> {
  const { target, receiver } = context;
  const load = await runOpenLoop({ ingressUrl: stack.proxyUrl, callbackUrl: receiver.url, rate: 20, durationMs: 1_000, idPrefix: 'preflight-', urlFor: (c) => target.urlFor(c, context.targetLatencyMs, false) });
  const deadline = performance.now() + 90_000;
  while (receiver.results.size < load.sent.length && performance.now() < deadline) await sleep(200);
  if (receiver.results.size < load.sent.length) throw new Error(`pre-flight: ${receiver.results.size} of ${load.sent.length} callbacks within 90 s`);
  await sleep(5_000);
  target.reset();
  receiver.reset();
}

/** What the receiver and the target saw of each request, in the order sent, seconds from the load's start. */
function perRequest(sent: readonly SentRequest[], context: LiveContext, originPerf: number): Pick<LiveRun, 'calledBackS' | 'deliveries' | 'firstCallS' | 'calls'> {
  const index = new Map(sent.map((request, i) => [request.clientId, i]));
  const calledBackS = new Array<number>(sent.length).fill(Number.NaN);
  const deliveries = new Array<number>(sent.length).fill(0);
  for (const [clientId, result] of context.receiver.results) {
    const i = index.get(clientId);
    if (i === undefined) continue;
    calledBackS[i] = (result.at - originPerf) / 1000;
    deliveries[i] = result.deliveries;
  }
  const record = (request: SentRequest) => context.target.records.get(request.clientId);
  return {
    calledBackS,
    deliveries,
    firstCallS: sent.map((request) => {
      const first = record(request)?.firstCallAt;
      return first === undefined ? Number.NaN : (first - originPerf) / 1000;
    }),
    calls: sent.map((request) => record(request)?.calls ?? 0),
  };
}

/**
 * The trace through a running stack, with its processes, decisions and callers' pending entries
 * sampled; then its quiet end, and the drain (and the extra Parcs' removal) watched up to a limit.
 */
async function traceThrough(context: LiveContext, id: ConfigurationId, running: RunningStack, infrastructure: readonly number[], track: (pid: number) => void): Promise<Omit<LiveRun, 'id' | 'sizing' | 'logDir' | 'infrastructure' | 'calledBackS' | 'deliveries' | 'firstCallS' | 'calls' | 'anomalies'>> {
  const { target, receiver, say } = context;
  const sampler = startProcessSampler(() => running.roots(), infrastructure, { onSeen: track });
  const callerParcs = (): string[] => [...new Set([...sampler.seen.values()].filter((p) => p.app === 'parc-caller' && p.parcId !== undefined).map((p) => p.parcId as string))];
  const probe = running.schedulerUrl === undefined ? undefined : startPendingProbe({ parcRedisUrl: running.parcRedisUrl, namespace: running.namespace, parcIds: callerParcs });
  const poller = running.schedulerUrl === undefined ? undefined : startDecisionPoller(running.schedulerUrl);
  const origin = { perf: performance.now(), epochMs: Date.now() };
  sampler.sample();
  say(`${id}: the trace (${context.arrivalsMs.length} requests over ${context.loadEndS} s, then ${durationS(context.trace) - context.loadEndS} s quiet)`);
  const load = await runOpenLoop({ ingressUrl: running.proxyUrl, callbackUrl: receiver.url, arrivalsMs: context.arrivalsMs, idPrefix: `${id}-`, urlFor: (c) => target.urlFor(c, context.targetLatencyMs, false) });
  const sinceStart = (): number => (performance.now() - origin.perf) / 1000;
  const traceEndS = durationS(context.trace);
  await sleep(Math.max(0, traceEndS - sinceStart()) * 1000);
  sampler.sample();
  const extraRunning = (): boolean => [...sampler.seen.values()].some((p) => p.goneBy === undefined && p.parcId !== undefined && !INITIAL_PARCS.has(p.parcId));
  const backlogLeft = (): boolean => receiver.results.size < load.sent.length - load.refused;
  while (backlogLeft() && sinceStart() < traceEndS + DRAIN_LIMIT_S) await sleep(500);
  while (probe !== undefined && extraRunning() && sinceStart() < context.loadEndS + PARCS_LIMIT_S) await sleep(500);
  // Where the requests that never called back stand, asked while the stack still runs.
  const unanswered = load.sent.filter((request) => request.acceptedAt !== undefined && !receiver.results.has(request.clientId));
  const missing =
    unanswered.length === 0
      ? undefined
      : { requests: await statusOfMissing(running.proxyUrl, BENCH_API_KEY, unanswered), parcQueues: await parcQueuesSnapshot(running.parcRedisUrl, running.namespace, callerParcs()) };
  sampler.sample();
  const observedUntilS = sinceStart();
  sampler.stop();
  await probe?.stop();
  await poller?.stop();
  const decisions = poller?.decisions() ?? [];
  say(`${id}: observed until ${observedUntilS.toFixed(0)} s; ${receiver.results.size} of ${load.sent.length} called back${decisions.length > 0 ? `; ${decisions.length} decisions` : ''}`);
  return {
    requests: load.sent,
    refused: load.refused,
    maxSendLagMs: load.maxSendLagMs,
    samples: sampler.samples,
    processes: [...sampler.seen.values()],
    decisions,
    consumers: [...(probe?.consumers.values() ?? [])],
    ...(probe === undefined ? {} : { probe: probe.counts }),
    origin,
    traceEndS,
    observedUntilS,
    ...(missing === undefined ? {} : { missing }),
  };
}

export async function runConfiguration(context: LiveContext, id: ConfigurationId, sizing?: StaticSizing): Promise<LiveRun> {
  const logDir = mkdtempSync(join(context.logDir, `${id}-`));
  const [redis, kafka] = await Promise.all([startLocalRedis(), startLocalKafka()]);
  const ours = new Set<number>();
  const track = (pid: number): void => {
    ours.add(pid);
    context.started.add(pid);
  };
  [redis.pid, kafka.pid].forEach(track);
  const stackContext = { bundleDir: context.bundleDir, redisUrl: redis.url, kafkaBrokers: kafka.brokers, egressAllowList: context.egressAllowList, logDir };
  let stack: RunningStack | undefined;
  try {
    stack = id === 'scheduler' ? await startSchedulerStack(stackContext, schedulerBasePort()) : await startStaticStack(stackContext, sizing as StaticSizing);
    stack.roots().forEach(track);
    context.say(`${id}: started (logs in ${logDir}); pre-flight`);
    await preflight(context, stack);
    const traced = await traceThrough(context, id, stack, [redis.pid, kafka.pid], track);
    return {
      id,
      ...(sizing === undefined ? {} : { sizing }),
      logDir,
      ...traced,
      ...perRequest(traced.requests, context, traced.origin.perf),
      anomalies: context.receiver.anomalies(),
      infrastructure: { redis: redis.url, kafka: kafka.brokers },
    };
  } finally {
    await stack?.stop();
    await Promise.all([redis.stop(), kafka.stop()]);
    // Stopped: their pids may be reused by anything from now on.
    for (const pid of ours) context.started.delete(pid);
    context.target.reset();
    context.receiver.reset();
  }
}

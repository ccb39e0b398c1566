/**
 * One measurement of one client, in a process of its own so that its CPU time is the client's
 * (plus this harness's record building and counting, which is the same for every client).
 * Started by main.ts as `node --import tsx bench/kafka-clients/worker.ts '<job JSON>'`; reports
 * one WorkerMessage over IPC and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMs } from '../src/load/procstat';
import { percentiles } from '../src/load/stats';
import { WORK, type ClientName, type ClientUnderTest, type ConsumedRecord, type CpuUse, type Duplicates, type IdleResult, type Job, type MaxRateResult, type OutgoingRecord, type PacedResult, type WorkerMessage } from './types';

const VALUE_TEMPLATE = Buffer.alloc(WORK.valueBytes, 'parc');

/**
 * Records `first` .. `first + count - 1`. The value carries the send time (float64 at 0, a
 * performance.now() of this process, so sender and receiver share the clock) and the sequence
 * number (uint32 at 8), which the consumer uses to count duplicates and missing records.
 */
function buildRecords(first: number, count: number): OutgoingRecord[] {
  const now = performance.now();
  const records: OutgoingRecord[] = [];
  for (let seq = first; seq < first + count; seq++) {
    const value = Buffer.allocUnsafe(WORK.valueBytes);
    VALUE_TEMPLATE.copy(value);
    value.writeDoubleLE(now, 0);
    value.writeUInt32LE(seq, 8);
    records.push({ key: `parc-bench-${String(seq).padStart(WORK.keyChars - 11, '0')}`, value });
  }
  return records;
}

/** What the consumer saw: each record once (or more: duplicates), with its hop latency. */
class Tally {
  readonly latencyMs: Float64Array;
  distinct = 0;
  produced = 0;
  redelivered = 0;
  lastAt = 0;
  private readonly highestOffset = new Map<number, number>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(capacity: number) {
    this.latencyMs = new Float64Array(capacity).fill(Number.NaN);
  }

  readonly handle = (records: readonly ConsumedRecord[]): void => {
    const now = performance.now();
    for (const { partition, offset, value } of records) {
      // Offsets only grow within a partition: one not above the highest handled came again.
      if (offset <= (this.highestOffset.get(partition) ?? -1)) {
        this.redelivered++;
        continue;
      }
      this.highestOffset.set(partition, offset);
      const seq = value.readUInt32LE(8);
      if (!Number.isNaN(this.latencyMs[seq] as number)) {
        this.produced++;
        continue;
      }
      this.latencyMs[seq] = now - value.readDoubleLE(0);
      this.distinct++;
    }
    this.lastAt = now;
    for (const waiter of this.waiters.filter((w) => this.distinct >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  get duplicates(): Duplicates {
    return { produced: this.produced, redelivered: this.redelivered };
  }

  /** Resolves true once `count` distinct records arrived, false if they did not within `timeoutMs`. */
  reached(count: number, timeoutMs: number): Promise<boolean> {
    if (this.distinct >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(true)) });
    });
  }
}

/** CPU counters now: this process (all its threads) and, when known, the broker JVM. */
function cpuNow(brokerPid: number | undefined): { client: number; broker: number | undefined } {
  const usage = process.cpuUsage();
  return { client: (usage.user + usage.system) / 1000, broker: brokerPid === undefined ? undefined : cpuMs(brokerPid) };
}

function cpuSince(start: ReturnType<typeof cpuNow>, brokerPid: number | undefined): CpuUse {
  const end = cpuNow(brokerPid);
  const clientMs = Math.round(end.client - start.client);
  return start.broker === undefined || end.broker === undefined ? { clientMs } : { clientMs, brokerMs: Math.round(end.broker - start.broker) };
}

/** Fails the run when the consumer reports an error, whatever is being awaited. */
function failOn(): { onError: (error: unknown) => void; failed: Promise<never> } {
  let onError: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (onError = reject));
  failed.catch(() => undefined); // observed through Promise.race only
  return { onError, failed };
}

/** N records as fast as the producer goes with bounded in-flight, while the consumer consumes. */
async function maxRate(client: ClientUnderTest, job: Extract<Job, { kind: 'max-rate' }>): Promise<MaxRateResult> {
  const tally = new Tally(job.records);
  const { onError, failed } = failOn();
  await client.createTopic(job.topic, WORK.partitions);
  await client.consume(job.topic, `${job.topic}-group`, WORK.partitions, tally.handle, onError);

  const cpu = cpuNow(job.brokerPid);
  const startedAt = performance.now();
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < job.records) {
      const count = Math.min(WORK.sendBatch, job.records - next);
      const records = buildRecords(next, count);
      next += count;
      await client.send(job.topic, records);
    }
  };
  let producedAt = 0;
  const senders = Promise.all(Array.from({ length: WORK.sendsInFlight }, sender)).then(() => (producedAt = performance.now()));
  const [, complete] = await Promise.race([Promise.all([senders, tally.reached(job.records, 300_000)]), failed]);
  if (!complete) throw new Error(`${tally.distinct} of ${job.records} records consumed after 300 s`);
  const seconds = (tally.lastAt - startedAt) / 1000;
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    kind: 'max-rate',
    client: job.client,
    records: job.records,
    seconds: round(seconds),
    recordsPerSecond: Math.round(job.records / seconds),
    produceSeconds: round((producedAt - startedAt) / 1000),
    cpu: cpuSince(cpu, job.brokerPid),
    duplicates: tally.duplicates,
    incidents: { ...client.incidents },
  };
}

/**
 * A steady `ratePerSecond` (open loop: what is due is sent every tick, without waiting for the
 * previous send), a warm-up, then the measured window whose records' latencies are the sample.
 */
async function paced(client: ClientUnderTest, job: Extract<Job, { kind: 'paced' }>): Promise<PacedResult> {
  const total = Math.ceil((job.ratePerSecond * (job.warmUpMs + job.measureMs)) / 1000);
  const tally = new Tally(total + job.ratePerSecond);
  const { onError, failed } = failOn();
  await client.createTopic(job.topic, WORK.partitions);
  await client.consume(job.topic, `${job.topic}-group`, WORK.partitions, tally.handle, onError);

  let sent = 0;
  let inFlight = 0;
  let sendError: unknown;
  let window: { from: number; to?: number; cpu: ReturnType<typeof cpuNow>; use?: CpuUse } | undefined;
  const startedAt = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - startedAt;
      if (!window && elapsed >= job.warmUpMs) window = { from: sent, cpu: cpuNow(job.brokerPid) };
      if (window && elapsed >= job.warmUpMs + job.measureMs) {
        window.to = sent;
        window.use = cpuSince(window.cpu, job.brokerPid);
        clearInterval(timer);
        resolve();
        return;
      }
      // A producer this far behind cannot hold the rate: the run fails instead of reporting a latency.
      if (sendError !== undefined || inFlight > 100) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.min(total, Math.floor((elapsed * job.ratePerSecond) / 1000)) - sent;
      if (due <= 0) return;
      const records = buildRecords(sent, due);
      sent += due;
      inFlight++;
      client.send(job.topic, records).then(
        () => inFlight--,
        (error: unknown) => (sendError = error),
      );
    }, WORK.pacedTickMs);
  });
  if (sendError !== undefined) throw sendError;
  if (inFlight > 100) throw new Error(`the producer fell behind ${job.ratePerSecond}/s (over 100 sends in flight)`);
  const { from, to = sent, use } = window as NonNullable<typeof window>;
  await Promise.race([tally.reached(sent, 15_000), failed]); // what is still out then counts as missing
  const latencies = Array.from(tally.latencyMs.subarray(from, to)).filter((ms) => !Number.isNaN(ms));
  return {
    kind: 'paced',
    client: job.client,
    ratePerSecond: job.ratePerSecond,
    records: to - from,
    latencyMs: percentiles(latencies),
    cpu: use as CpuUse,
    duplicates: tally.duplicates,
    missing: to - from - latencies.length,
    incidents: { ...client.incidents },
  };
}

/** A member that has joined and fetched its one record, then waits: the client's (and broker's) cost of just being there. */
async function idle(client: ClientUnderTest, job: Extract<Job, { kind: 'idle' }>): Promise<IdleResult> {
  const tally = new Tally(1);
  const { onError, failed } = failOn();
  await client.createTopic(job.topic, WORK.partitions);
  await client.consume(job.topic, `${job.topic}-group`, WORK.partitions, tally.handle, onError);
  await client.send(job.topic, buildRecords(0, 1));
  if (!(await Promise.race([tally.reached(1, 30_000), failed]))) throw new Error('the one record was not consumed within 30 s');
  await sleep(2_000); // the commit and the first parked fetch are behind us
  const cpu = cpuNow(job.brokerPid);
  await Promise.race([sleep(job.measureMs), failed]);
  return { kind: 'idle', client: job.client, seconds: job.measureMs / 1000, cpu: cpuSince(cpu, job.brokerPid), incidents: { ...client.incidents } };
}

async function startClient(name: ClientName, brokers: string): Promise<ClientUnderTest> {
  // Loaded on demand, so that a worker holds only the client it measures.
  if (name === 'kafkajs') return (await import('./clients/kafkajs')).startKafkajs(brokers);
  return (await import('./clients/platformatic')).startPlatformatic(brokers);
}

function report(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : (process.stdout.write(`${JSON.stringify(message)}\n`), resolve())));
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as Job;
  const client = await startClient(job.client, job.brokers);
  try {
    const result = job.kind === 'max-rate' ? await maxRate(client, job) : job.kind === 'paced' ? await paced(client, job) : await idle(client, job);
    await report({ type: 'result', result, settings: client.settings });
  } finally {
    // A client that hangs on close must not hold the bench: the result is already out.
    await Promise.race([client.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  }
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    await report({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  },
);

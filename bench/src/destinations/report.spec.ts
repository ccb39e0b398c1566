import type { VariantResult } from './analysis';
import { destinationMarkdown, inFlightChart, throughputChart, type DestinationRun } from './report';
import type { VariantRecord } from './variant';

const variant = (id: VariantResult['id'], settledMs: number | undefined): VariantRecord => ({
  id,
  title: `variant ${id}`,
  key: `bench-${id}`,
  flowControl: { key: `bench-${id}` },
  requests: 2_000,
  submitMs: 500,
  refused: 0,
  complete: true,
  finishMs: 11_000,
  callbacks: 2_000,
  succeeded: 2_000,
  failed: 0,
  duplicates: 0,
  anomalies: 0,
  attempts: 2_010,
  attemptsPerRequest: 1.01,
  target: { calls: 2_010, ok: 2_000, tooMany: 10, aborted: 0, maxInFlight: 20, maxQueued: 12, meanLatencyMs: 131.5 },
  overloadShare: 10 / 2_010,
  settling: { capacityRate: 200, ...(settledMs === undefined ? {} : { settledMs, firstReachedMs: settledMs }), steadyEndMs: 9_500, okRate: 190, shareAtRate: 0.9, shareAtCapacity: 0.85, meanInFlight: 18.5, meanQueued: 4.2 },
  gate: id === 'd' ? { maxLearnedLimit: 30, lastLearnedLimit: 22, breakerOpenings: 0, retryAfterShare: 0.05, maxWaiting: 1_500, polls: 44 } : { breakerOpenings: 0, retryAfterShare: 0, maxWaiting: 1_900, polls: 44 },
  perSecond: Array.from({ length: 11 }, (_, second) => ({ second, calls: 200, ok: second === 0 ? 120 : 190, tooMany: 1, aborted: 0, maxInFlight: 20, meanInFlight: 18, maxQueued: 12, meanQueued: 4, meanLatencyMs: 130 })),
  inFlight: Array.from({ length: 110 }, (_, i) => [(i + 1) * 100, 18, 20] as const),
  queued: Array.from({ length: 110 }, (_, i) => [(i + 1) * 100, 4, 12] as const),
  gateTimeline: id === 'd' ? [{ tMs: 250, learnedLimit: 10, breaker: 'closed', retryAfter: false, waiting: 1_500, inFlight: 10 }] : [],
});

const run: DestinationRun = {
  benchmark: 'destinations',
  stamp: {
    startedAt: '2026-12-06T10:00:00.000Z',
    label: 'test',
    gitCommit: '0123456789abcdef',
    gitDirty: false,
    machine: { cpus: 2, cpuModel: 'test CPU', memoryGiB: 8, os: 'Linux' },
    versions: { node: 'v24' },
  },
  system: 'Parc',
  options: { capacity: 20, requests: 2_000, targetLatencyMs: 100, overloadMode: 'shed', chunk: 1_000, retry: { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 2_000 }, warmUp: 'Warm-up.' },
  variants: [variant('a', undefined), variant('b', undefined), variant('c', 1_200), variant('d', 3_400)],
  targets: [],
};

describe('the destination report', () => {
  it('describes the shed target and why C = 200/s, and judges settling on the 2xx rate', () => {
    const markdown = destinationMarkdown(run, 'x.svg', 'x-inflight.svg');
    expect(markdown).toContain('**C = N / latency = 200 requests/s**');
    expect(markdown).toContain("waits in the target's FIFO queue");
    expect(markdown).toContain('so the bench measures flow control');
    expect(markdown).toContain('3-second trailing mean');
    expect(markdown).toContain('| mean latency at target (ms) |');
    expect(markdown).toContain('| max queued | mean queued | mean latency (ms) |');
    expect(markdown).toContain('![2xx per second at the target over time](x.svg)');
  });

  it('warns when C comes near P\'s own ceiling', () => {
    const markdown = destinationMarkdown({ ...run, options: { ...run.options, capacity: 40, targetLatencyMs: 20, overloadMode: '429' } }, 'x.svg', 'x-inflight.svg');
    expect(markdown).toContain('C = N / latency = 2,000 requests/s');
    expect(markdown).toContain("close to P's own ceiling");
  });

  it('draws 2xx per second per variant with C, and served and queued calls with N', () => {
    const throughput = throughputChart(run);
    expect(throughput).toContain('C = 200/s');
    expect(throughput.match(/<polyline/g)).toHaveLength(4);
    expect(throughput).toContain('settled 3.40 s');
    const inFlight = inFlightChart(run);
    expect(inFlight).toContain('N = 20');
    expect(inFlight).toContain('queued at the target');
  });
});

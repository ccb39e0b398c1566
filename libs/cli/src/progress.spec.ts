import type { BatchStatus } from './api-types';
import { barPayload, etaSeconds, formatBytes, formatDuration, formatProgressLine, formatRate, formatSummary, isComplete, RateMeter } from './progress';

const batch = (counts: Partial<BatchStatus['counts']>, extra: Partial<BatchStatus> = {}): BatchStatus => ({
  batchId: '01JZ6X4Q2C6V7B8N9M0P1Q2R3S',
  total: 5000,
  counts: { queued: 0, in_flight: 0, waiting_retry: 0, succeeded: 0, failed: 0, ...counts },
  cancelRequested: false,
  ...extra,
});

describe('RateMeter', () => {
  it.each([
    { name: 'no samples', samples: [], rate: undefined },
    { name: 'one sample', samples: [[0, 100]], rate: undefined },
    { name: 'a span shorter than a second', samples: [[0, 0], [900, 500]], rate: undefined },
    { name: 'a steady 100/s', samples: [[0, 0], [1000, 100], [2000, 200]], rate: 100 },
    { name: 'a stall after a burst, inside the window', samples: [[0, 0], [1000, 1000], [5000, 1000]], rate: 200 },
    { name: 'old samples leave the 10 s window', samples: [[0, 0], [1000, 5000], [11_000, 5000], [12_000, 5100]], rate: 100 / 11 },
    { name: 'a count that goes back is no negative rate', samples: [[0, 10], [2000, 5]], rate: 0 },
  ] as { name: string; samples: [number, number][]; rate: number | undefined }[])('$name', ({ samples, rate }) => {
    const meter = new RateMeter();
    for (const [at, finished] of samples) meter.add(at, finished);
    if (rate === undefined) expect(meter.rate()).toBeUndefined();
    else expect(meter.rate()).toBeCloseTo(rate, 6);
  });
});

describe('ETA and formatting', () => {
  it.each([
    { remaining: 0, rate: undefined, eta: 0 },
    { remaining: 100, rate: undefined, eta: undefined },
    { remaining: 100, rate: 0, eta: undefined },
    { remaining: 3800, rate: 380, eta: 10 },
    { remaining: 1, rate: 3, eta: 1 },
  ])('etaSeconds($remaining, $rate) = $eta', ({ remaining, rate, eta }) => {
    expect(etaSeconds(remaining, rate)).toBe(eta);
  });

  it.each([
    { seconds: undefined, text: '--' },
    { seconds: 0, text: '0 s' },
    { seconds: 9.6, text: '10 s' },
    { seconds: 60, text: '1 min' },
    { seconds: 125, text: '2 min 5 s' },
    { seconds: 3600, text: '1 h' },
    { seconds: 3725, text: '1 h 2 min' },
  ])('formatDuration($seconds) = $text', ({ seconds, text }) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each([
    { rate: undefined, text: '--/s' },
    { rate: 0, text: '0.0/s' },
    { rate: 2.54, text: '2.5/s' },
    { rate: 379.6, text: '380/s' },
  ])('formatRate($rate) = $text', ({ rate, text }) => {
    expect(formatRate(rate)).toBe(text);
  });

  it.each([
    { bytes: 512, text: '512 B' },
    { bytes: 12_000, text: '12.0 kB' },
    { bytes: 26_700_000, text: '26.7 MB' },
  ])('formatBytes($bytes) = $text', ({ bytes, text }) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('progress lines', () => {
  it('says finished of total, every count, the rate and the ETA on one line', () => {
    const status = batch({ succeeded: 1100, failed: 100, queued: 3824, in_flight: 64, waiting_retry: 12 });
    expect(formatProgressLine({ status, rate: 380 })).toBe(
      'batch 01JZ6X4Q2C6V7B8N9M0P1Q2R3S 1200/5000 finished (succeeded 1100, failed 100, queued 3824, in flight 64, waiting retry 12) 380/s, ETA 10 s',
    );
  });

  it('shows an unknown rate and ETA as --', () => {
    expect(formatProgressLine({ status: batch({ queued: 5000 }), rate: undefined })).toMatch(/ --\/s, ETA --$/);
  });

  it('gives the bar the same counts', () => {
    const status = batch({ succeeded: 1100, failed: 100, queued: 3824, in_flight: 64, waiting_retry: 12 });
    expect(barPayload({ status, rate: 380 })).toEqual({ succeeded: 1100, failed: 100, queued: 3824, in_flight: 64, waiting_retry: 12, rate: '380/s', eta_text: '10 s' });
  });

  it.each([
    { name: 'a plain batch', extra: { total: 20 }, text: 'batch 01JZ6X4Q2C6V7B8N9M0P1Q2R3S complete in 12 s: 20 requests, 18 succeeded, 2 failed' },
    { name: 'a cancelled batch', extra: { total: 20, cancelRequested: true }, text: 'batch 01JZ6X4Q2C6V7B8N9M0P1Q2R3S complete in 12 s: 20 requests, 18 succeeded, 2 failed, cancel requested' },
    {
      name: 'reasons, most frequent first',
      extra: { total: 20, reasons: { cancelled: 0, non_retryable_status: 1, retries_exhausted: 1, deadline_exceeded: 0, a_reason: 1 } },
      text: 'batch 01JZ6X4Q2C6V7B8N9M0P1Q2R3S complete in 12 s: 20 requests, 18 succeeded, 2 failed (a_reason 1, non_retryable_status 1, retries_exhausted 1)',
    },
  ])('sums up $name', ({ extra, text }) => {
    expect(formatSummary(batch({ succeeded: 18, failed: 2 }, extra), 12_300)).toBe(text);
  });
});

describe('isComplete', () => {
  it.each([
    { name: 'the proxy says complete', status: batch({ succeeded: 5000 }, { complete: true }), complete: true },
    { name: 'the proxy says not complete although all accepted are final (intake still streaming)', status: batch({ succeeded: 5000 }, { complete: false }), complete: false },
    { name: 'no complete field: all final', status: batch({ succeeded: 4000, failed: 1000 }), complete: true },
    { name: 'no complete field: some left', status: batch({ succeeded: 4000, queued: 1000 }), complete: false },
  ])('$name', ({ status, complete }) => {
    expect(isComplete(status)).toBe(complete);
  });
});

import type { Percentiles } from '../results';

/** p50/p95/p99/max of `values` (nearest rank), rounded to 0.1 ms; zeros when empty. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number) * 10) / 10;
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

/** Whether a request id falls in the failing fraction: stable per id, so every system sees the same ones. */
export function failsFirstAttempt(clientId: string, failureRate: number): boolean {
  let hash = 2166136261;
  for (let i = 0; i < clientId.length; i++) hash = Math.imul(hash ^ clientId.charCodeAt(i), 16777619);
  return (hash >>> 0) / 2 ** 32 < failureRate;
}

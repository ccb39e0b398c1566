/**
 * Workload traces: offered requests per second over time, as `[tSeconds, rate]` points joined by
 * straight lines. Two points at the same time make a jump (the later one holds from then on);
 * the trace ends at its last point. See bench/simulate/README.md for the bundled ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export type TracePoint = readonly [tSeconds: number, ratePerS: number];

export interface Trace {
  /** Names the output files (`simulate-<name>.*`): lower-case letters, digits and dashes. */
  readonly name: string;
  readonly description: string;
  readonly points: readonly TracePoint[];
}

export const BUNDLED_TRACES_DIR = join(__dirname, 'traces');

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Checks a parsed trace file and says exactly what is wrong with it. */
export function parseTrace(json: unknown, source: string): Trace {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (!isRecord(json)) return fail('a trace is an object { name, description, points }');
  const { name, description, points } = json;
  if (typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name)) return fail('"name" must be lower-case letters, digits and dashes');
  if (typeof description !== 'string') return fail('"description" must be a string');
  if (!Array.isArray(points) || points.length < 2) return fail('"points" must list at least two [tSeconds, rate] pairs');
  const parsed: TracePoint[] = points.map((point: unknown, index) => {
    if (!Array.isArray(point) || point.length !== 2 || !isFiniteNumber(point[0]) || !isFiniteNumber(point[1])) {
      return fail(`points[${index}] must be [tSeconds, rate] with two finite numbers`);
    }
    const [t, rate] = point as [number, number];
    if (rate < 0) return fail(`points[${index}]: a rate cannot be negative`);
    return [t, rate] as const;
  });
  if (parsed[0]?.[0] !== 0) fail('the first point must be at t = 0');
  parsed.forEach(([t], index) => {
    const before = parsed[index - 1];
    if (before && t < before[0]) fail(`points[${index}]: times must not decrease`);
  });
  if (durationS({ name, description, points: parsed }) <= 0) fail('the trace must last longer than 0 s');
  return { name, description, points: parsed };
}

export function loadTrace(file: string): Trace {
  return parseTrace(JSON.parse(readFileSync(file, 'utf8')) as unknown, basename(file));
}

/** The bundled traces' files, in name order. */
export function bundledTraceFiles(): string[] {
  return readdirSync(BUNDLED_TRACES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => join(BUNDLED_TRACES_DIR, file));
}

export function durationS(trace: Trace): number {
  return trace.points[trace.points.length - 1]?.[0] ?? 0;
}

/** The offered rate at `tS`; at a jump, the rate after it. */
export function rateAt(trace: Trace, tS: number): number {
  const { points } = trace;
  // The last point at or before tS: at a jump that is the later of the two equal times.
  let index = 0;
  while (index + 1 < points.length && (points[index + 1]?.[0] ?? Number.POSITIVE_INFINITY) <= tS) index++;
  const [t0, r0] = points[index] ?? [0, 0];
  const next = points[index + 1];
  if (!next) return r0;
  const [t1, r1] = next;
  return r0 + ((r1 - r0) * (tS - t0)) / (t1 - t0);
}

export function peakRate(trace: Trace): number {
  return Math.max(...trace.points.map(([, rate]) => rate));
}

/** The time-average rate: the area under the line over the duration. */
export function meanRate(trace: Trace): number {
  let area = 0;
  for (let i = 1; i < trace.points.length; i++) {
    const [t0, r0] = trace.points[i - 1] ?? [0, 0];
    const [t1, r1] = trace.points[i] ?? [0, 0];
    area += ((r0 + r1) / 2) * (t1 - t0);
  }
  return area / durationS(trace);
}

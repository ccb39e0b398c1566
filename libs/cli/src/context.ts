import type { Readable, Writable } from 'node:stream';
import type { Clock } from './clock';
import type { MaybeTty } from './display';
import type { ProxyClient } from './http';

/** How often and how patiently commands poll and print. */
export interface Timings {
  /** Between two status reads while waiting. */
  readonly pollMs: number;
  /** Plain progress: at most one line per this many ms. */
  readonly lineIntervalMs: number;
  /** How long a waiting command polls through an unreachable or failing proxy. */
  readonly patienceMs: number;
  /** How long a plain call may take. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_TIMINGS: Timings = Object.freeze({ pollMs: 500, lineIntervalMs: 2_000, patienceMs: 60_000, requestTimeoutMs: 30_000 });

/** What every command works with. */
export interface CommandContext {
  readonly client: ProxyClient;
  readonly stdin: Readable;
  readonly stdout: Writable;
  /** Progress and messages; a terminal gets a bar. */
  readonly stderr: MaybeTty;
  readonly clock: Clock;
  readonly random: () => number;
  readonly timings: Timings;
}

/** Writes one line. */
export function println(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}

import { cpus } from 'node:os';
import pidusage from 'pidusage';
import type { CpuUsage } from '@parc/scaling';

/** CPU time so far of the whole machine, every core summed (ms), as the kernel counts it. */
export interface MachineTimes {
  readonly busyMs: number;
  readonly totalMs: number;
  readonly cores: number;
}

export interface CpuMeterOptions {
  /** CPU time (user + system, ms) each process has used so far; a process that is gone is left out. Default: pidusage. */
  readonly processCpuMs?: (pids: readonly number[]) => Promise<ReadonlyMap<number, number>>;
  /** Default: `os.cpus()`. */
  readonly machineTimes?: () => MachineTimes;
  readonly now?: () => number;
  /** Use is measured over about this long: from the oldest reading within it. Default 5,000 ms. */
  readonly windowMs?: number;
}

/** Reads the CPU used by processes and by the machine, as rates since earlier readings. */
export interface CpuMeter {
  /**
   * The CPU used per instance of each stage (key → its instances' pids) and by the machine since
   * the oldest reading within the window; an instance first seen now, and the machine on the very
   * first reading, have no rate yet and are left out.
   */
  read(pidsByKey: ReadonlyMap<string, readonly number[]>): Promise<CpuUsage>;
}

interface Reading {
  readonly atMs: number;
  readonly processes: ReadonlyMap<number, number>;
  readonly machine: MachineTimes;
}

/** Every core's user, nice, system and irq time as busy; idle as not (`os.cpus()` reads /proc/stat on Linux). */
export function machineTimesFromOs(): MachineTimes {
  let busyMs = 0;
  let totalMs = 0;
  const all = cpus();
  for (const { times } of all) {
    const busy = times.user + times.nice + times.sys + times.irq;
    busyMs += busy;
    totalMs += busy + times.idle;
  }
  return { busyMs, totalMs, cores: all.length };
}

/**
 * Each process's CPU time so far (pidusage: /proc/<pid>/stat on Linux, `ps` on macOS). pidusage
 * never answers an empty list, and rejects a list of one whose process is gone.
 */
export async function processCpuMsFromPidusage(pids: readonly number[]): Promise<ReadonlyMap<number, number>> {
  if (pids.length === 0) return new Map();
  const stats = await pidusage([...pids]).catch(() => ({}) as Record<string, pidusage.Status | undefined>);
  const times = new Map<number, number>();
  for (const pid of pids) {
    const stat = (stats as Record<string, pidusage.Status | undefined>)[String(pid)];
    if (stat) times.set(pid, stat.ctime);
  }
  return times;
}

/**
 * A CPU meter over the machine this runs on: the local driver's reading of the instances it runs.
 * Rates are taken from the oldest reading within the window, not just the last tick's, so that a
 * process busy in bursts does not read as idle one tick and saturated the next.
 */
export function createCpuMeter(options: CpuMeterOptions = {}): CpuMeter {
  const processCpuMs = options.processCpuMs ?? processCpuMsFromPidusage;
  const machineTimes = options.machineTimes ?? machineTimesFromOs;
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 5_000;
  let readings: Reading[] = [];

  return {
    read: async (pidsByKey) => {
      const pids = [...new Set([...pidsByKey.values()].flat())];
      const reading: Reading = { atMs: now(), processes: await processCpuMs(pids), machine: machineTimes() };
      const within = readings.filter((earlier) => earlier.atMs >= reading.atMs - windowMs && earlier.atMs < reading.atMs);
      // After a pause longer than the window, the last reading is still the best base there is.
      const kept = within.length > 0 ? within : readings.slice(-1).filter((earlier) => earlier.atMs < reading.atMs);
      readings = [...kept, reading];
      const base = kept[0];
      if (!base) return { perInstanceMillis: {}, usedMillis: 0, machineMillis: reading.machine.cores * 1000 };

      // Cores busy (CPU ms per ms), from the oldest kept reading that already knew the process.
      const coresOf = (pid: number): number | undefined => {
        const nowMs = reading.processes.get(pid);
        const first = kept.find((earlier) => earlier.processes.has(pid));
        const thenMs = first?.processes.get(pid);
        if (nowMs === undefined || first === undefined || thenMs === undefined || nowMs < thenMs) return undefined;
        return (nowMs - thenMs) / (reading.atMs - first.atMs);
      };
      const perInstanceMillis: Record<string, number> = {};
      let usedMillis = 0;
      for (const [key, keyPids] of pidsByKey) {
        const rated = keyPids.map((pid) => coresOf(pid) ?? Number.NaN).filter((cores) => !Number.isNaN(cores));
        if (rated.length === 0) continue;
        const sum = rated.reduce((a, b) => a + b, 0);
        usedMillis += sum;
        perInstanceMillis[key] = Math.round((sum / rated.length) * 1000);
      }
      const totalMs = reading.machine.totalMs - base.machine.totalMs;
      const busy = totalMs > 0 ? (reading.machine.busyMs - base.machine.busyMs) / totalMs : undefined;
      return {
        perInstanceMillis,
        usedMillis: Math.round(usedMillis * 1000),
        machineMillis: reading.machine.cores * 1000,
        ...(busy === undefined ? {} : { machineBusyShare: Math.round(Math.min(1, Math.max(0, busy)) * 1000) / 1000 }),
      };
    },
  };
}

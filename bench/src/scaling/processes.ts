/**
 * The processes of a running configuration, read from /proc: which exist (the roots the bench
 * started and every descendant of theirs — for the scheduler, the instances its local driver
 * runs), what each is (app, PORT, PARC_ID), and the CPU time they used. Sampled on a timer so
 * that the report has processes and CPU over time, and the scale-down probe knows each caller's
 * port and when it went.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuMs } from '../load/procstat';

/** USER_HZ: 100 on Linux unless the kernel says otherwise (getconf CLK_TCK), as procstat.ts assumes. */
const CLOCK_TICKS = 100;

interface StatLine {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  /** utime + stime, ms. */
  readonly ownMs: number;
  /** cutime + cstime: CPU of the children it has reaped, ms. */
  readonly reapedChildrenMs: number;
}

function readStat(pid: number): StatLine | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces: split after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = (i: number): number => (Number(fields[i]) * 1000) / CLOCK_TICKS;
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? '?', ownMs: ticks(11) + ticks(12), reapedChildrenMs: ticks(13) + ticks(14) };
  } catch {
    return undefined;
  }
}

/** Every process's parent, from one pass over /proc. */
function parents(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) byPid.set(stat.pid, stat.ppid);
  }
  return byPid;
}

/** `roots` and all their descendants that exist now. */
export function processTree(roots: readonly number[]): number[] {
  const parentOf = parents();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  const queue = roots.filter((pid) => parentOf.has(pid));
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** What a Parc process is: its app (from the entry it runs), PORT and PARC_ID (from its environment). */
export interface ProcessIdentity {
  readonly pid: number;
  readonly app: string;
  readonly port?: number;
  readonly parcId?: string;
}

function identify(pid: number): ProcessIdentity {
  let app = 'unknown';
  let port: number | undefined;
  let parcId: string | undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    app = argv.map((arg) => /([a-z-]+)\/(?:src\/)?main\.[jt]s$/.exec(arg)?.[1]).find((name) => name !== undefined) ?? 'unknown';
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      if (entry.startsWith('PORT=')) port = Number(entry.slice(5));
      else if (entry.startsWith('PARC_ID=')) parcId = entry.slice(8);
    }
  } catch {
    // Gone between the listing and the read: it stays 'unknown' and is gone at the next sample.
  }
  return { pid, app, ...(port === undefined ? {} : { port }), ...(parcId === undefined ? {} : { parcId }) };
}

/** One sample of a configuration's processes. */
export interface ProcessSample {
  /** performance.now(). */
  readonly at: number;
  /** CPU the configuration's processes used since they started, ms (see `ProcessSampler`). */
  readonly cpuMs: number;
  /** CPU of the infrastructure (Redis, the Kafka JVM) since it started, ms. */
  readonly infrastructureCpuMs: number;
  /** The roots' own CPU (without what they reaped from their children): for the scheduler's configuration, the scheduler process's, ms. */
  readonly rootsOwnCpuMs: number;
  /** Processes running (zombies not counted), by app. */
  readonly byApp: Readonly<Record<string, number>>;
  /**
   * The own CPU (utime + stime) of the processes running now, summed by app, ms. Exact between two
   * samples of a static configuration (its processes live throughout); for the scheduler's an
   * instance that exits takes its share with it.
   */
  readonly cpuMsByApp: Readonly<Record<string, number>>;
}

/** A process of the configuration as the sampler saw it: when it was first and last seen running. */
export interface SeenProcess extends ProcessIdentity {
  readonly firstSeen: number;
  lastSeen: number;
  /** Whether it was gone (or a zombie) at a later sample; undefined while it runs. */
  goneBy?: number;
}

export interface ProcessSampler {
  readonly samples: readonly ProcessSample[];
  /** Every process seen, by pid. */
  readonly seen: ReadonlyMap<number, SeenProcess>;
  /** Takes one sample now (the timer does it every `everyMs`; the bench also at the edges of its windows). */
  sample(): ProcessSample;
  stop(): void;
}

/**
 * Samples every `everyMs` the processes under `roots()` (the bench's own children: the scheduler,
 * or the static stack's instances) and `infrastructure` (Redis, Kafka). CPU is counted so that
 * nothing is lost when a process exits between samples: each root's own time plus what it
 * reaped from its children (cutime, cstime: an instance the scheduler stopped moves there when
 * the scheduler reaps it), plus the own time of every descendant still running.
 */
export function startProcessSampler(roots: () => readonly number[], infrastructure: readonly number[], options: { readonly everyMs?: number; readonly onSeen?: (pid: number) => void } = {}): ProcessSampler {
  const samples: ProcessSample[] = [];
  const seen = new Map<number, SeenProcess>();
  const sample = (): ProcessSample => {
    const at = performance.now();
    const rootPids = new Set(roots());
    let cpu = 0;
    let rootsOwn = 0;
    const byApp: Record<string, number> = {};
    const cpuMsByApp: Record<string, number> = {};
    const running = new Set<number>();
    for (const pid of processTree([...rootPids])) {
      const stat = readStat(pid);
      if (!stat) continue;
      cpu += stat.ownMs + (rootPids.has(pid) ? stat.reapedChildrenMs : 0);
      if (rootPids.has(pid)) rootsOwn += stat.ownMs;
      if (stat.state === 'Z') continue;
      running.add(pid);
      let known = seen.get(pid);
      if (!known) {
        known = { ...identify(pid), firstSeen: at, lastSeen: at };
        seen.set(pid, known);
        options.onSeen?.(pid);
      }
      known.lastSeen = at;
      byApp[known.app] = (byApp[known.app] ?? 0) + 1;
      cpuMsByApp[known.app] = (cpuMsByApp[known.app] ?? 0) + stat.ownMs;
    }
    for (const process of seen.values()) if (process.goneBy === undefined && !running.has(process.pid)) process.goneBy = at;
    const infrastructureCpuMs = infrastructure.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
    const taken = { at, cpuMs: cpu, infrastructureCpuMs, rootsOwnCpuMs: rootsOwn, byApp, cpuMsByApp };
    samples.push(taken);
    return taken;
  };
  sample();
  const timer = setInterval(sample, options.everyMs ?? 500);
  timer.unref();
  return { samples, seen, sample, stop: () => clearInterval(timer) };
}

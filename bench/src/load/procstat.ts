import { readFileSync } from 'node:fs';

/** CPU time of a process so far (user + system), in ms; undefined if it is gone. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces, so split after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Resident set size of a process, in MB; undefined if it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on Linux unless the kernel says otherwise (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** Samples the RSS of `pids` every `everyMs` and keeps each one's peak, until stopped. */
export function rssPeaks(pids: ReadonlyMap<string, number>, everyMs = 250): { stop(): Record<string, number> } {
  const peaks: Record<string, number> = {};
  const sample = (): void => {
    for (const [name, pid] of pids) {
      const rss = rssMb(pid);
      if (rss !== undefined) peaks[name] = Math.max(peaks[name] ?? 0, rss);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return Object.fromEntries(Object.entries(peaks).map(([name, mb]) => [name, Math.round(mb)]));
    },
  };
}

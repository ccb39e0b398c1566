import { createCpuMeter, type MachineTimes } from './cpu-meter';

/** A meter over scripted readings: each `read` takes the next process times and machine times. */
function scripted(steps: { atMs: number; processes: Record<number, number>; machine: MachineTimes }[], windowMs?: number) {
  let step = -1;
  const meter = createCpuMeter({
    now: () => (steps[++step] as (typeof steps)[number]).atMs,
    processCpuMs: async (pids) => new Map(pids.filter((pid) => steps[step]?.processes[pid] !== undefined).map((pid) => [pid, steps[step]?.processes[pid] as number])),
    machineTimes: () => (steps[step] as (typeof steps)[number]).machine,
    ...(windowMs === undefined ? {} : { windowMs }),
  });
  return meter;
}

const machine = (busyMs: number, totalMs: number): MachineTimes => ({ busyMs, totalMs, cores: 2 });

describe('the CPU meter', () => {
  it('rates each instance and the machine from the readings before, per stage the mean of its instances', async () => {
    const meter = scripted([
      { atMs: 0, processes: { 11: 1_000, 12: 5_000, 21: 0 }, machine: machine(10_000, 40_000) },
      { atMs: 1_000, processes: { 11: 1_900, 12: 5_100, 21: 50, 22: 300 }, machine: machine(11_800, 42_000) },
    ]);
    const pids = new Map([
      ['p1/parc-caller', [11, 12]],
      ['proxy', [21, 22]],
    ]);
    // The first reading has nothing to compare with.
    expect(await meter.read(pids)).toEqual({ perInstanceMillis: {}, usedMillis: 0, machineMillis: 2_000 });
    // Callers: 900 and 100 ms in 1 s → 500 m each on average; proxy 21: 50 m (22 is new: no rate yet).
    expect(await meter.read(pids)).toEqual({ perInstanceMillis: { 'p1/parc-caller': 500, proxy: 50 }, usedMillis: 1_050, machineMillis: 2_000, machineBusyShare: 0.9 });
  });

  it('measures over the window, not the last tick only, and leaves out what is gone', async () => {
    const meter = scripted(
      [
        { atMs: 0, processes: { 11: 0 }, machine: machine(0, 0) },
        { atMs: 1_000, processes: { 11: 1_000 }, machine: machine(2_000, 2_000) },
        { atMs: 2_000, processes: { 11: 1_000 }, machine: machine(2_000, 4_000) },
        { atMs: 10_000, processes: {}, machine: machine(2_000, 20_000) },
      ],
      5_000,
    );
    const pids = new Map([['p1/parc-caller', [11]]]);
    await meter.read(pids);
    await meter.read(pids);
    // Busy the first second, idle the second: 500 m over both, not 0.
    expect(await meter.read(pids)).toMatchObject({ perInstanceMillis: { 'p1/parc-caller': 500 }, machineBusyShare: 0.5 });
    // Gone: no reading for it; the machine rated from the last reading after a pause past the window.
    expect(await meter.read(pids)).toEqual({ perInstanceMillis: {}, usedMillis: 0, machineMillis: 2_000, machineBusyShare: 0 });
  });
});

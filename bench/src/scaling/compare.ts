/**
 * The simulated and the live figures side by side, and where they disagree, with the reasons
 * that the model's simplifications (bench/simulate/README.md) and the live run's measurements
 * give. Pure: from the simulator's run on the live trace and the live configurations' results.
 */
import { fmtInt, fmtNum } from '../report/format';
import type { ControllerMetrics } from '../../simulate/metrics';
import type { TraceRun } from '../../simulate/run';
import type { ConfigurationResult } from './summary';

export interface SimulatedVsLive {
  readonly configuration: string;
  readonly simulated: Pick<ControllerMetrics, 'allocatedCoreS' | 'peakAllocatedCpuMillis' | 'backlogMessageS' | 'maxTimeInSystemS' | 'unfinished' | 'completed'>;
  readonly live: { readonly allocatedCoreS: number; readonly peakAllocatedCpuMillis: number; readonly queueBacklogSeconds: number; readonly maxTimeInSystemS: number; readonly unfinishedAtTraceEnd: number; readonly calledBack: number };
}

/** Requests accepted and not called back when the trace ended (the model's `unfinished` is counted there). */
function unfinishedAt(result: ConfigurationResult, tS: number): number {
  const row = result.perSecond.rows.find((r) => r[0] === Math.floor(tS) - 1);
  return row?.[4] ?? 0;
}

export function simulatedVsLive(sim: TraceRun, live: readonly ConfigurationResult[]): SimulatedVsLive[] {
  return live.flatMap((result) => {
    const metrics = sim.runs.find((r) => r.metrics.controller === result.id)?.metrics;
    if (!metrics) return [];
    const { allocatedCoreS, peakAllocatedCpuMillis, backlogMessageS, maxTimeInSystemS, unfinished, completed } = metrics;
    return [
      {
        configuration: result.id,
        simulated: { allocatedCoreS, peakAllocatedCpuMillis, backlogMessageS, maxTimeInSystemS, unfinished, completed },
        live: {
          allocatedCoreS: result.allocatedCoreS,
          peakAllocatedCpuMillis: result.peakAllocatedCpuMillis,
          queueBacklogSeconds: Math.max(0, result.backlogSeconds - result.inCallSeconds),
          maxTimeInSystemS: result.timeInSystemS.max,
          unfinishedAtTraceEnd: unfinishedAt(result, result.window.traceEndS),
          calledBack: result.requests.calledBack,
        },
      },
    ];
  });
}

const ratio = (live: number, simulated: number): string => (simulated > 0 ? `${(live / simulated).toFixed(2)}×` : live > 0 ? 'the model: 0' : 'both 0');

/** The most requests completed in one second, over the run. */
const peakCompleted = (result: ConfigurationResult): number => Math.max(0, ...result.perSecond.rows.map((row) => row[3] ?? 0));

/** The highest caller parallelism the live scheduler planned for any Parc (its minimum when it never raised it). */
function maxParallelism(result: ConfigurationResult): number | undefined {
  const raised = result.scheduler?.scaleEvents.filter((e) => e.key.endsWith('/parallelism')).map((e) => e.to) ?? [];
  return raised.length === 0 ? undefined : Math.max(...raised);
}

/** Why the live backlog is smaller or larger than the model's, for one configuration. */
function backlogReason(row: SimulatedVsLive, result: ConfigurationResult, model: ModelRates): string {
  if (row.live.queueBacklogSeconds >= row.simulated.backlogMessageS) {
    return 'live, every hop (Redis, Kafka, the callback) takes time the model leaves out, the two cores are shared by every process (and by other work on this machine), and instances take longer to start than the model\'s 2 s';
  }
  const cpu = `the model serves an instance at what its CPU request buys (a responder ${fmtNum(model.responderRate)}/s, a caller at most ${fmtNum(model.callerRate)}/s at 512 calls), while a live process takes the CPU that is free: live, ${row.configuration} completed up to ${fmtNum(peakCompleted(result))} requests in one second`;
  const parallelism = maxParallelism(result);
  if (row.configuration !== 'scheduler' || parallelism === undefined) return cpu;
  return (
    `live, the scheduler raised its callers' parallelism up to ${fmtInt(parallelism)} calls each instead of adding callers, because the machine was busy past the policy's saturated share — a CPU reading the model does not have: ` +
    `there the callers keep ${fmtInt(model.minParallelism)} calls each (${fmtNum((model.minParallelism * 1000) / model.latencyMs)}/s at ${fmtInt(model.latencyMs)} ms) and the budget runs out first; and ${cpu}`
  );
}

export interface ModelRates {
  readonly responderRate: number;
  readonly callerRate: number;
  readonly minParallelism: number;
  readonly latencyMs: number;
  readonly budgetCpuMillis: number;
}

/**
 * Where the figures disagree (beyond ±25 %), each with its reason. The model's instance serves
 * exactly its CPU request's worth (`ratePerInstance`), live processes take the CPU that is free;
 * the model has no hop latency, no Redis or Kafka, no CPU contention and no measured CPU.
 */
export function disagreements(rows: readonly SimulatedVsLive[], live: readonly ConfigurationResult[], model: ModelRates): string[] {
  const lines: string[] = [];
  const differs = (a: number, b: number): boolean => Math.abs(a - b) > 0.25 * Math.max(Math.abs(a), Math.abs(b), 1);
  for (const row of rows) {
    const result = live.find((r) => r.id === row.configuration);
    if (!result) continue;
    const { simulated: s, live: l } = row;
    if (differs(l.queueBacklogSeconds, s.backlogMessageS)) {
      lines.push(`**${row.configuration}**: backlog waiting in queues ${fmtNum(l.queueBacklogSeconds)} request·s live against ${fmtNum(s.backlogMessageS)} message·s modelled (${ratio(l.queueBacklogSeconds, s.backlogMessageS)}): ${backlogReason(row, result, model)}.`);
    }
    if (differs(l.unfinishedAtTraceEnd, s.unfinished)) {
      const lost = result.requests.unfinished;
      const why =
        lost > 0 && lost >= l.unfinishedAtTraceEnd
          ? `live, ${fmtInt(lost)} of them were never called back at all (still missing ${fmtNum(result.window.observedUntilS - result.window.traceEndS)} s later): lost or stuck, which the model cannot be`
          : 'the same cause as its backlog';
      lines.push(`**${row.configuration}**: ${fmtInt(l.unfinishedAtTraceEnd)} requests still inside when the trace ended live, ${fmtInt(s.unfinished)} in the model: ${why}.`);
    }
    if (row.configuration === 'scheduler' && l.peakAllocatedCpuMillis > model.budgetCpuMillis) {
      lines.push(
        `**scheduler**: the CPU requested by its running processes reached ${fmtInt(l.peakAllocatedCpuMillis)} m live, above the ${fmtInt(model.budgetCpuMillis)} m budget every plan kept to (the model: ${fmtInt(s.peakAllocatedCpuMillis)} m): live, a rolled caller's replacement starts before it stops, and a stopped instance runs until it has drained; in the model an instance goes at once.`,
      );
    }
    if (differs(l.allocatedCoreS, s.allocatedCoreS)) {
      const why =
        row.configuration === 'scheduler'
          ? `the live scheduler planned on what it saw (arrival rates over 5 s, Little's-law call latency, and the CPU the instances used where it was above their request), on a pipeline whose stages served faster or slower than the model's; its instances were counted while they ran (a stopped one until it had drained)`
          : 'a static installation requests the same CPU all the time: the difference is the time its processes took to start and stop against the window';
      lines.push(`**${row.configuration}**: CPU requested ${fmtNum(l.allocatedCoreS)} core·s live against ${fmtNum(s.allocatedCoreS)} modelled (${ratio(l.allocatedCoreS, s.allocatedCoreS)}, peak ${fmtInt(l.peakAllocatedCpuMillis)} m against ${fmtInt(s.peakAllocatedCpuMillis)} m): ${why}.`);
    }
  }
  const scheduler = live.find((r) => r.id === 'scheduler')?.scheduler;
  if (scheduler && scheduler.overTime.rows.some((row) => Number.isFinite(row[6]))) {
    lines.push('The live scheduler read the CPU its instances used each tick (the local driver measures it); the model has no such reading, so its decisions plan on requests alone.');
  }
  lines.push('Arrivals: the model draws them (Poisson) around the trace, the live generator spreads them evenly; the model starts every configuration warm, the live stacks start cold on fresh Redis and Kafka (after a short pre-flight).');
  return lines;
}

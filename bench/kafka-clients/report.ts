/** The stamp, the summary (medians over the repeats) and the Markdown of a kafka-clients run. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fmtInt, fmtNum, mdTable, mdText } from '../src/report/format';
import type { ClientName, IdleResult, MaxRateResult, PacedResult, RunResult } from './types';

export interface Stamp {
  readonly startedAt: string;
  readonly gitCommit: string;
  readonly gitDirty: boolean;
  readonly node: string;
  readonly machine: { readonly nproc: number; readonly cpuModel: string; readonly memoryGiB: number; readonly os: string };
  readonly broker: { readonly version: string; readonly description: string; readonly idleCpuMsPerSecond?: number | undefined };
  readonly clients: Readonly<Record<string, string>>;
}

/** One worker's outcome; a failed run keeps its error instead of a result. */
export interface Run {
  readonly client: ClientName;
  readonly repeat: number;
  readonly kind: RunResult['kind'];
  /** The machine's 1-minute load average when the run started: other work on it shows here. */
  readonly loadAverage: number;
  readonly result?: RunResult;
  readonly error?: string;
}

export interface Summary {
  readonly client: ClientName;
  readonly version: string;
  readonly maxRate?: number;
  readonly latencyMs?: { readonly p50: number; readonly p99: number; readonly max: number };
  /** CPU-ms per 1,000 records. */
  readonly clientCpuAtMax?: number;
  readonly clientCpuPaced?: number;
  readonly brokerCpuAtMax?: number;
  readonly brokerCpuPaced?: number;
  /** CPU-ms per second with a joined member and a producer that have nothing to do. */
  readonly clientCpuIdle?: number;
  readonly brokerCpuIdle?: number;
}

export interface KafkaClientsReport {
  readonly stamp: Stamp;
  readonly plan: Readonly<Record<string, number>>;
  readonly settings: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly notMeasured: readonly { readonly client: string; readonly why: string }[];
  readonly summary: readonly Summary[];
  readonly runs: readonly Run[];
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function packageVersion(root: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function takeStamp(root: string, broker: Stamp['broker'], clients: Stamp['clients']): Stamp {
  return {
    startedAt: new Date().toISOString(),
    gitCommit: git(root, ['rev-parse', 'HEAD']),
    gitDirty: git(root, ['status', '--porcelain']) !== '',
    node: process.version,
    machine: { nproc: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${type()} ${release()}` },
    broker,
    clients,
  };
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const perThousand = (ms: number | undefined, records: number): number | undefined => (ms === undefined ? undefined : (ms / records) * 1000);

/** Per client, the median of each number over its successful repeats. */
export function summarise(runs: readonly Run[], versions: Readonly<Record<string, string>>, clients: readonly ClientName[]): Summary[] {
  return clients.map((client) => {
    const ok = <K extends RunResult['kind']>(kind: K) =>
      runs.flatMap((run) => (run.client === client && run.result?.kind === kind ? [run.result as Extract<RunResult, { kind: K }>] : []));
    const max: MaxRateResult[] = ok('max-rate');
    const paced: PacedResult[] = ok('paced');
    const idle: IdleResult[] = ok('idle');
    const broker = (results: readonly (MaxRateResult | PacedResult)[]): number | undefined =>
      median(results.flatMap((r) => (r.cpu.brokerMs === undefined ? [] : [perThousand(r.cpu.brokerMs, r.records) as number])));
    const p50 = median(paced.map((r) => r.latencyMs.p50));
    const p99 = median(paced.map((r) => r.latencyMs.p99));
    const worst = median(paced.map((r) => r.latencyMs.max));
    return {
      client,
      version: versions[client] ?? 'unknown',
      maxRate: median(max.map((r) => r.recordsPerSecond)),
      latencyMs: p50 === undefined || p99 === undefined || worst === undefined ? undefined : { p50, p99, max: worst },
      clientCpuAtMax: median(max.map((r) => perThousand(r.cpu.clientMs, r.records) as number)),
      clientCpuPaced: median(paced.map((r) => perThousand(r.cpu.clientMs, r.records) as number)),
      brokerCpuAtMax: broker(max),
      brokerCpuPaced: broker(paced),
      clientCpuIdle: median(idle.map((r) => r.cpu.clientMs / r.seconds)),
      brokerCpuIdle: median(idle.flatMap((r) => (r.cpu.brokerMs === undefined ? [] : [r.cpu.brokerMs / r.seconds]))),
    };
  });
}

const incidents = (counts: Readonly<Record<string, number>>): string =>
  mdText(Object.entries(counts).map(([name, count]) => `${name} ×${count}`).join(', ')) || 'none';

export function renderMarkdown(report: KafkaClientsReport): string {
  const { stamp, plan } = report;
  const repeats = plan['repeats'] ?? 1;
  const rate = fmtInt(plan['pacedRate'] ?? 0);
  const lines: string[] = [
    `# Kafka clients for Parc: ${report.summary.map((s) => `${s.client} ${s.version}`).join(' vs ')}`,
    '',
    `Run ${stamp.startedAt} at ${stamp.gitCommit.slice(0, 12)}${stamp.gitDirty ? ' (working tree dirty)' : ''}; Node ${stamp.node}; ` +
      `Kafka ${mdText(stamp.broker.version)} (${mdText(stamp.broker.description)}); ` +
      `${stamp.machine.nproc} CPUs (${mdText(stamp.machine.cpuModel)}), ${stamp.machine.memoryGiB} GiB, ${mdText(stamp.machine.os)}.`,
    '',
    `Medians of ${repeats} run${repeats === 1 ? '' : 's'} per client and measurement (client order alternating between repeats). ` +
      `Max rate: ${fmtInt(plan['maxRateRecords'] ?? 0)} records of 1 KB produced (acks = all, batches of ${plan['sendBatch']}, ${plan['sendsInFlight']} sends in flight) ` +
      `while one group member consumes and commits after each batch; rate = records / (first send → last consumed). ` +
      `Latency: ${rate} records/s, ${(plan['pacedMeasureMs'] ?? 0) / 1000} s measured after ${(plan['pacedWarmUpMs'] ?? 0) / 1000} s of warm-up, ` +
      `send() called → record handed to the handler. CPU: user + system per 1,000 records over the measured window` +
      `${stamp.broker.idleCpuMsPerSecond === undefined ? '' : ` (the idle broker alone uses ${fmtNum(stamp.broker.idleCpuMsPerSecond)} CPU-ms per second, included)`}. See bench/kafka-clients/README.md.`,
    '',
    mdTable(
      [
        'client',
        'version',
        'max rate (rec/s)',
        `hop p50 / p99 / max at ${rate}/s (ms)`,
        'client CPU-ms / 1,000 at max rate',
        `client CPU-ms / 1,000 at ${rate}/s`,
        'broker CPU-ms / 1,000 at max rate',
        `broker CPU-ms / 1,000 at ${rate}/s`,
        'idle: client / broker CPU-ms per s',
      ],
      [
        ...report.summary.map((s) => [
          `\`${s.client}\``,
          s.version,
          fmtNum(s.maxRate),
          s.latencyMs ? `${fmtNum(s.latencyMs.p50)} / ${fmtNum(s.latencyMs.p99)} / ${fmtNum(s.latencyMs.max)}` : '—',
          fmtNum(s.clientCpuAtMax),
          fmtNum(s.clientCpuPaced),
          fmtNum(s.brokerCpuAtMax),
          fmtNum(s.brokerCpuPaced),
          `${fmtNum(s.clientCpuIdle)} / ${fmtNum(s.brokerCpuIdle)}`,
        ]),
        ...report.notMeasured.map((n) => [`\`${n.client}\``, '—', 'not measured', '—', '—', '—', '—', '—', '—']),
      ],
      2,
    ),
    '',
  ];
  for (const n of report.notMeasured) lines.push(`**\`${n.client}\` not measured:** ${mdText(n.why)}`, '');
  lines.push('## Every run', '');
  lines.push(
    mdTable(
      ['client', 'repeat', 'measurement', 'records', 'rec/s', 'produce / total', 'p50 / p99 / max (ms)', 'client CPU-ms / 1,000', 'broker CPU-ms / 1,000', 'duplicates produced / redelivered', 'missing', 'incidents', 'load average before'],
      report.runs.map((run) => {
        const head = [`\`${run.client}\``, String(run.repeat), run.kind];
        const load = fmtNum(run.loadAverage);
        const r = run.result;
        if (!r) return [...head, `failed: ${mdText((run.error ?? '').split('\n')[0] ?? '')}`, '', '', '', '', '', '', '', '', load];
        if (r.kind === 'idle') {
          const perSecond = (ms: number | undefined): string => (ms === undefined ? '—' : `${fmtNum(ms / r.seconds)} per s`);
          return [...head, `(${fmtNum(r.seconds)} s)`, '—', '—', '—', perSecond(r.cpu.clientMs), perSecond(r.cpu.brokerMs), '—', '—', incidents(r.incidents), load];
        }
        const rps = r.kind === 'max-rate' ? r.recordsPerSecond : r.ratePerSecond;
        const latency = r.kind === 'paced' ? `${fmtNum(r.latencyMs.p50)} / ${fmtNum(r.latencyMs.p99)} / ${fmtNum(r.latencyMs.max)}` : '—';
        return [
          ...head,
          fmtInt(r.records),
          fmtInt(rps),
          r.kind === 'max-rate' ? `${fmtNum(r.produceSeconds)} / ${fmtNum(r.seconds)} s` : '—',
          latency,
          fmtNum(perThousand(r.cpu.clientMs, r.records)),
          fmtNum(perThousand(r.cpu.brokerMs, r.records)),
          `${fmtInt(r.duplicates.produced)} / ${fmtInt(r.duplicates.redelivered)}`,
          r.kind === 'paced' ? fmtInt(r.missing) : '—',
          incidents(r.incidents),
          load,
        ];
      }),
      3,
    ),
    '',
    '## Settings',
    '',
  );
  for (const [client, settings] of Object.entries(report.settings)) {
    lines.push(`**\`${client}\`**`, '');
    for (const [name, value] of Object.entries(settings)) lines.push(`- ${name}: ${mdText(value)}`);
    lines.push('');
  }
  lines.push(`Plan: \`${JSON.stringify(report.plan)}\``, '');
  return lines.join('\n');
}

/**
 * The destination bench's files: `destinations-<stamp>.json` (every number and time series),
 * `.md` (the report) and `.svg` (in flight at the target over time, one panel per variant).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStamp } from '../results';
import { fmtInt, fmtNum, mdTable, mdText, stampName } from '../report/format';
import { linearScale, tickLabel } from '../report/scale';
import { el, points, svgDocument, text } from '../report/svg';
import { AT_CAPACITY, destinationTargets, type DestinationTarget } from './analysis';
import type { OverloadMode } from './target';
import { DESTINATION_RETRY, VARIANT_LIMIT_MS, type VariantRecord } from './variant';

export interface DestinationRun {
  readonly benchmark: 'destinations';
  readonly stamp: Omit<RunStamp, 'matrix' | 'refinement'>;
  readonly system: string;
  readonly options: { readonly capacity: number; readonly requests: number; readonly targetLatencyMs: number; readonly overloadMode: OverloadMode; readonly chunk: number; readonly retry: typeof DESTINATION_RETRY; readonly warmUp: string };
  readonly variants: readonly VariantRecord[];
  readonly targets: readonly DestinationTarget[];
}

/** Okabe–Ito colours, one per variant (a, b, c, d), as the other charts use them. */
const COLOURS: Readonly<Record<VariantRecord['id'], string>> = { a: '#D55E00', b: '#E69F00', c: '#009E73', d: '#0072B2' };

const WIDTH = 800;
const LEFT = 72;
const RIGHT = WIDTH - 24;
const PANEL = 150;
const GAP = 44;
const TOP = 56;

/**
 * The 100 ms samples folded to at most one point per pixel column (mean of the means, max of the
 * maxima), so that a 15-minute variant does not draw 9,000 points into 700 pixels.
 */
function perColumn(series: readonly (readonly [number, number, number])[], columns: number): (readonly [number, number, number])[] {
  if (series.length <= columns) return [...series];
  const end = series[series.length - 1]?.[0] ?? 1;
  const buckets = new Map<number, { t: number; sum: number; n: number; max: number }>();
  for (const [t, mean, max] of series) {
    const column = Math.min(columns - 1, Math.floor((t / end) * columns));
    const bucket = buckets.get(column);
    if (bucket === undefined) buckets.set(column, { t, sum: mean, n: 1, max });
    else {
      bucket.t = t;
      bucket.sum += mean;
      bucket.n++;
      bucket.max = Math.max(bucket.max, max);
    }
  }
  return [...buckets.values()].map((b) => [b.t, b.sum / b.n, b.max] as const);
}

/** In flight at the target per 100 ms, one panel per variant, the capacity N dashed; (d) with the gate's learned limit. */
export function inFlightChart(run: DestinationRun): string {
  const { capacity } = run.options;
  const height = TOP + run.variants.length * (PANEL + GAP) + 24;
  const body: string[] = [text(LEFT, 28, `In flight at the target (capacity N = ${capacity}, ${run.options.overloadMode === '429' ? '429 beyond N' : 'slower beyond N'})`, { 'font-size': 15, 'font-weight': 'bold' })];
  const describe: string[] = [];
  run.variants.forEach((v, index) => {
    const top = TOP + index * (PANEL + GAP) + 16;
    const bottom = top + PANEL;
    const end = Math.max(1, ...v.inFlight.map(([t]) => t / 1000));
    const x = (tS: number): number => LEFT + (Math.min(tS, end) / end) * (RIGHT - LEFT);
    const limits = v.gateTimeline.map((p) => p.learnedLimit ?? 0);
    const y = linearScale(Math.max(capacity * 1.2, ...v.inFlight.map(([, , max]) => max), ...limits), bottom, top, 4);
    const colour = COLOURS[v.id];
    body.push(text(LEFT, top - 8, `(${v.id}) ${v.title}: ${v.complete ? `${fmtNum(v.finishMs / 1000)} s` : 'incomplete'}, ${fmtNum(v.overloadShare * 100)} % overload answers, ${fmtNum(v.attemptsPerRequest)} attempts per request`, { 'font-weight': 'bold', fill: colour }));
    for (const tick of y.ticks) {
      body.push(el('line', { x1: LEFT, x2: RIGHT, y1: y.map(tick), y2: y.map(tick), stroke: '#e0e0e0' }));
      body.push(text(LEFT - 8, y.map(tick) + 4, tickLabel(tick), { 'text-anchor': 'end', fill: '#444' }));
    }
    for (const tick of linearScale(end, LEFT, RIGHT, 8).ticks.filter((t) => t <= end)) {
      body.push(el('line', { x1: x(tick), x2: x(tick), y1: bottom, y2: bottom + 4, stroke: '#444' }));
      body.push(text(x(tick), bottom + 16, `${tickLabel(tick)} s`, { 'text-anchor': 'middle', fill: '#444', 'font-size': 10 }));
    }
    body.push(el('line', { x1: LEFT, x2: LEFT, y1: top, y2: bottom, stroke: '#444' }));
    body.push(el('line', { x1: LEFT, x2: RIGHT, y1: bottom, y2: bottom, stroke: '#444' }));
    body.push(el('line', { x1: LEFT, x2: RIGHT, y1: y.map(capacity), y2: y.map(capacity), stroke: '#000000', 'stroke-dasharray': '6 4', 'stroke-width': 1.5 }));
    body.push(text(RIGHT - 4, y.map(capacity) - 4, `N = ${capacity}`, { 'text-anchor': 'end', fill: '#000' }));
    if (v.id === 'd' && v.gateTimeline.length > 0) {
      const xy = v.gateTimeline.filter((p) => p.learnedLimit !== undefined).map((p) => [x(p.tMs / 1000), y.map(p.learnedLimit as number)] as const);
      body.push(el('polyline', { points: points(xy), fill: 'none', stroke: '#CC79A7', 'stroke-width': 1.5, 'stroke-dasharray': '2 2' }));
      body.push(text(LEFT + 8, top + 12, 'dotted: the gate\'s learned limit', { fill: '#CC79A7', 'font-size': 11 }));
    }
    const series = perColumn(v.inFlight, RIGHT - LEFT);
    body.push(el('polyline', { points: points(series.map(([t, , max]) => [x(t / 1000), y.map(max)] as const)), fill: 'none', stroke: colour, 'stroke-width': 1, 'stroke-opacity': 0.3 }));
    body.push(el('polyline', { points: points(series.map(([t, mean]) => [x(t / 1000), y.map(mean)] as const)), fill: 'none', stroke: colour, 'stroke-width': 1.5, 'stroke-linejoin': 'round' }));
    if (v.settling.settledMs !== undefined) {
      const sx = x(v.settling.settledMs / 1000);
      body.push(el('line', { x1: sx, x2: sx, y1: top, y2: bottom, stroke: '#666', 'stroke-dasharray': '3 3' }));
      body.push(text(sx + 4, bottom - 6, `settled ${fmtNum(v.settling.settledMs / 1000)} s`, { fill: '#444', 'font-size': 11 }));
    }
    describe.push(`(${v.id}) ${v.title}: mean in flight ${v.settling.meanInFlight} in the steady window, max ${v.target.maxInFlight}, finished in ${fmtNum(v.finishMs / 1000)} s`);
  });
  body.push(text(RIGHT, height - 8, 'calls in flight per 100 ms or per pixel (dark: mean, light: max), time from the first submission; dashed: the hidden capacity', { 'text-anchor': 'end', fill: '#666', 'font-size': 11 }));
  return svgDocument({ width: WIDTH, height, title: `In flight at the destination per variant, capacity ${capacity}`, description: describe.join('. '), body });
}

const s = (ms: number | undefined): string => (ms === undefined ? '—' : fmtNum(ms / 1000));
const pct = (fraction: number): string => `${(fraction * 100).toFixed(2)} %`;

export function destinationMarkdown(run: DestinationRun, chartFile: string): string {
  const { stamp, options } = run;
  const lines: string[] = [];
  lines.push(`# Destination bench: flow control against a hidden capacity${stamp.label ? ` — ${mdText(stamp.label)}` : ''}`, '');
  lines.push(`Started ${stamp.startedAt}, commit \`${stamp.gitCommit.slice(0, 12)}\`${stamp.gitDirty ? ' (working tree dirty)' : ''}; ${stamp.machine.cpus} × ${mdText(stamp.machine.cpuModel)}, ${stamp.machine.memoryGiB} GiB, ${mdText(stamp.machine.os)}; Node ${stamp.versions['node'] ?? '?'}, Redis ${stamp.versions['redis'] ?? '?'}, Kafka ${stamp.versions['kafka'] ?? '?'}.`, '');
  lines.push('## Setup', '');
  lines.push(
    `- **Target** (in the bench process, loopback): serves at most **N = ${options.capacity}** calls at once, ${options.targetLatencyMs} ms each; ` +
      (options.overloadMode === '429' ? 'a call beyond N is answered at once with **429** and `Retry-After: 1`.' : 'beyond N, every call takes longer in proportion to the excess (latency × in flight / N); nothing is refused.') +
      ' Parc does not know N.',
  );
  lines.push(`- **System**: ${mdText(run.system)}.`);
  lines.push(`- **Per variant**: one batch of ${fmtInt(options.requests)} GETs, submitted in chunks of ${fmtInt(options.chunk)} (\`POST /v1/requests\`, JSON, \`defaults.flowControl\` with a key of the variant's own), retry \`${JSON.stringify(options.retry)}\` (multiplier 2, full jitter, the server's Retry-After honoured); the variants run one after another on one Parc. ${mdText(options.warmUp)}`);
  lines.push(`- **Measured**: time from the first submission to the last callback; at the target, per 100 ms, calls in flight (time-weighted mean and max), arrivals, 2xx, 429 and calls abandoned by the client (timeouts, resets); the attempts in the final results; every ${250} ms the gate's view of the key (\`GET /v1/destinations/:key\`).`, '');
  lines.push('## Variants', '');
  lines.push(
    mdTable(
      ['variant', 'finish (s)', 'requests/s', 'of N / latency', 'calls at target', '429', 'abandoned', 'overload share', 'attempts', 'per request', 'failed'],
      run.variants.map((v) => [
        `(${v.id}) ${mdText(v.title)}`,
        v.complete ? s(v.finishMs) : `incomplete (${fmtInt(v.callbacks)}/${fmtInt(v.requests)} at ${s(v.finishMs)})`,
        v.finishMs > 0 ? fmtNum((v.callbacks / v.finishMs) * 1000) : '—',
        v.finishMs > 0 && options.targetLatencyMs > 0 ? `${((((v.succeeded / v.finishMs) * 1000) / (options.capacity / (options.targetLatencyMs / 1000))) * 100).toFixed(0)} %` : '—',
        fmtInt(v.target.calls),
        fmtInt(v.target.tooMany),
        fmtInt(v.target.aborted),
        pct(v.overloadShare),
        fmtInt(v.attempts),
        fmtNum(v.attemptsPerRequest),
        fmtInt(v.failed),
      ]),
    ),
    '',
  );
  lines.push(
    mdTable(
      ['variant', 'max in flight', 'mean in flight (steady)', `time ≥ ${AT_CAPACITY * 100} % of N (steady)`, 'first reached (s)', 'settled (s)', 'learned limit max / last', 'breaker openings', 'Retry-After hold', 'most waiting'],
      run.variants.map((v) => [
        `(${v.id})`,
        fmtInt(v.target.maxInFlight),
        fmtNum(v.settling.meanInFlight),
        `${(v.settling.shareAtCapacity * 100).toFixed(0)} %`,
        s(v.settling.firstReachedMs),
        v.settling.settledMs === undefined ? 'never' : s(v.settling.settledMs),
        v.gate.maxLearnedLimit === undefined ? '—' : `${v.gate.maxLearnedLimit} / ${v.gate.lastLearnedLimit ?? '—'}`,
        String(v.gate.breakerOpenings),
        `${(v.gate.retryAfterShare * 100).toFixed(0)} % of polls`,
        fmtInt(v.gate.maxWaiting),
      ]),
    ),
    '',
  );
  lines.push(
    `Submission took ${run.variants.map((v) => `${s(v.submitMs)} s (${v.id})`).join(', ')}. ` +
      `Refused submissions: ${run.variants.reduce((sum, v) => sum + v.refused, 0)}; duplicate callbacks: ${run.variants.reduce((sum, v) => sum + v.duplicates, 0)}; receiver anomalies: ${run.variants.reduce((sum, v) => sum + v.anomalies, 0)}.`,
    '',
  );
  lines.push('## Targets (issue)', '');
  lines.push(mdTable(['target', 'value', 'threshold', 'status', 'by how much'], run.targets.map((t) => [mdText(t.target), mdText(t.value), mdText(t.threshold), t.status === 'met' ? 'met' : `**${t.status}**`, mdText(t.margin)]), 9), '');
  lines.push(`![In flight at the target over time](${chartFile})`, '');
  lines.push('## Definitions', '');
  lines.push(
    '- *Overload share*: (429 answers + calls the client abandoned) / calls at the target.',
    `- *Of N / latency*: requests succeeded per second over the whole batch, against the most the target can serve (N / its latency = ${options.targetLatencyMs > 0 ? fmtNum(options.capacity / (options.targetLatencyMs / 1000)) : '—'}/s).`,
    `- *Steady window*: from the first submission until 95 % of the 2xx answers were given; the batch's tail, where the backlog runs out and in flight must fall, is left out.`,
    `- *First reached*: the first 100 ms sample whose mean in flight was ≥ ${AT_CAPACITY * 100} % of N. *Settled*: the end of the first sample from which the 1-second trailing mean stayed ≥ ${AT_CAPACITY * 100} % of N to the end of the steady window.`,
    `- *Retry-After hold*: share of the gate polls that found the key held by the destination's Retry-After. *Breaker openings*: closed/half-open → open transitions seen by the polls.`,
    `- A variant unfinished after ${VARIANT_LIMIT_MS / 60_000} min is cancelled (\`DELETE /v1/batches/:id\`) and reported incomplete.`,
    '',
  );
  lines.push('## Per second at the target', '');
  for (const v of run.variants) {
    const rows = v.perSecond.slice(0, 120);
    lines.push(`<details><summary>(${v.id}) ${mdText(v.title)}: ${v.perSecond.length} s</summary>`, '');
    lines.push(mdTable(['second', 'calls', '2xx', '429', 'abandoned', 'max in flight', 'mean in flight'], rows.map((r) => [String(r.second), fmtInt(r.calls), fmtInt(r.ok), fmtInt(r.tooMany), fmtInt(r.aborted), fmtInt(r.maxInFlight), fmtNum(r.meanInFlight)])));
    if (v.perSecond.length > rows.length) lines.push('', `(first ${rows.length} seconds; the JSON has all ${v.perSecond.length})`);
    lines.push('', '</details>', '');
  }
  return `${lines.join('\n')}\n`;
}

export interface WrittenDestinationReport {
  readonly json: string;
  readonly markdown: string;
  readonly chart: string;
}

/** The name of the run's files: `destinations-<UTC time>-<commit>`. */
export function destinationRunName(stamp: RunStamp): string {
  return `destinations-${stampName(stamp)}`;
}

/** Writes the JSON, the Markdown and the chart into `dir`; never touches latest.md. */
export function writeDestinationReport(run: Omit<DestinationRun, 'targets'>, name: string, dir: string): WrittenDestinationReport & { run: DestinationRun } {
  const full: DestinationRun = { ...run, targets: destinationTargets(run.variants) };
  const json = join(dir, `${name}.json`);
  const chart = join(dir, `${name}.svg`);
  const markdown = join(dir, `${name}.md`);
  // The 100 ms series as one line per sample, not one line per number.
  writeFileSync(json, `${JSON.stringify(full, null, 2).replace(/\[\s+(-?[\d.]+),\s+(-?[\d.]+),\s+(-?[\d.]+)\s+\]/g, '[$1, $2, $3]')}\n`);
  writeFileSync(chart, inFlightChart(full));
  writeFileSync(markdown, destinationMarkdown(full, `${name}.svg`));
  return { json, markdown, chart, run: full };
}

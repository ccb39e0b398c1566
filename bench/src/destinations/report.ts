/**
 * The destination bench's files: `destinations-<stamp>.json` (every number and time series),
 * `.md` (the report), `.svg` (2xx per second at the target over time, one panel per variant, the
 * capacity C marked) and `-inflight.svg` (calls served and queued at the target, N marked).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStamp } from '../results';
import { fmtInt, fmtNum, mdTable, mdText, stampName } from '../report/format';
import { linearScale, tickLabel } from '../report/scale';
import { el, points, svgDocument, text } from '../report/svg';
import { AT_CAPACITY, capacityRate, destinationTargets, RATE_WINDOW_MS, STAY_WINDOW_MS, type DestinationTarget } from './analysis';
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

/** A capacity C at or above this (requests/s) comes close to P's own ceiling on a 2-core machine (~2,000/s): the report warns. */
const NEAR_P_CEILING = 1_000;

/** What the target does beyond N, in a few words (chart titles). */
function overloadShort(mode: OverloadMode): string {
  return mode === 'shed' ? 'N more queued, 429 beyond 2N' : mode === '429' ? '429 beyond N' : 'slower beyond N';
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

/** A variant's panel: horizontal grid lines with their labels, second ticks along the bottom, both axes. */
function panelFrame(y: ReturnType<typeof linearScale>, x: (tS: number) => number, end: number, top: number, bottom: number): string[] {
  const parts: string[] = [];
  for (const tick of y.ticks) {
    parts.push(el('line', { x1: LEFT, x2: RIGHT, y1: y.map(tick), y2: y.map(tick), stroke: '#e0e0e0' }));
    parts.push(text(LEFT - 8, y.map(tick) + 4, tickLabel(tick), { 'text-anchor': 'end', fill: '#444' }));
  }
  for (const tick of linearScale(end, LEFT, RIGHT, 8).ticks.filter((t) => t <= end)) {
    parts.push(el('line', { x1: x(tick), x2: x(tick), y1: bottom, y2: bottom + 4, stroke: '#444' }));
    parts.push(text(x(tick), bottom + 16, `${tickLabel(tick)} s`, { 'text-anchor': 'middle', fill: '#444', 'font-size': 10 }));
  }
  parts.push(el('line', { x1: LEFT, x2: LEFT, y1: top, y2: bottom, stroke: '#444' }));
  parts.push(el('line', { x1: LEFT, x2: RIGHT, y1: bottom, y2: bottom, stroke: '#444' }));
  return parts;
}

/** In flight (served) and queued at the target per 100 ms, one panel per variant, the capacity N dashed; (d) with the gate's learned limit. */
export function inFlightChart(run: DestinationRun): string {
  const { capacity } = run.options;
  const height = TOP + run.variants.length * (PANEL + GAP) + 24;
  const body: string[] = [text(LEFT, 28, `Served and queued at the target (capacity N = ${capacity}, ${overloadShort(run.options.overloadMode)})`, { 'font-size': 15, 'font-weight': 'bold' })];
  const describe: string[] = [];
  run.variants.forEach((v, index) => {
    const top = TOP + index * (PANEL + GAP) + 16;
    const bottom = top + PANEL;
    const end = Math.max(1, ...v.inFlight.map(([t]) => t / 1000));
    const x = (tS: number): number => LEFT + (Math.min(tS, end) / end) * (RIGHT - LEFT);
    const limits = v.gateTimeline.map((p) => p.learnedLimit ?? 0);
    const queued = v.queued;
    const y = linearScale(Math.max(capacity * 1.2, ...v.inFlight.map(([, , max]) => max), ...queued.map(([, , max]) => max), ...limits), bottom, top, 4);
    const colour = COLOURS[v.id];
    body.push(text(LEFT, top - 8, `(${v.id}) ${v.title}: ${v.complete ? `${fmtNum(v.finishMs / 1000)} s` : 'incomplete'}, ${fmtNum(v.overloadShare * 100)} % overload answers, ${fmtNum(v.attemptsPerRequest)} attempts per request`, { 'font-weight': 'bold', fill: colour }));
    body.push(...panelFrame(y, x, end, top, bottom));
    body.push(el('line', { x1: LEFT, x2: RIGHT, y1: y.map(capacity), y2: y.map(capacity), stroke: '#000000', 'stroke-dasharray': '6 4', 'stroke-width': 1.5 }));
    body.push(text(RIGHT - 4, y.map(capacity) - 4, `N = ${capacity}`, { 'text-anchor': 'end', fill: '#000' }));
    if (v.id === 'd' && v.gateTimeline.length > 0) {
      const xy = v.gateTimeline.filter((p) => p.learnedLimit !== undefined).map((p) => [x(p.tMs / 1000), y.map(p.learnedLimit as number)] as const);
      body.push(el('polyline', { points: points(xy), fill: 'none', stroke: '#CC79A7', 'stroke-width': 1.5, 'stroke-dasharray': '2 2' }));
      body.push(text(LEFT + 8, top + 12, 'dotted: the gate\'s learned limit', { fill: '#CC79A7', 'font-size': 11 }));
    }
    if (queued.some(([, , max]) => max > 0)) {
      const waiting = perColumn(queued, RIGHT - LEFT);
      body.push(el('polyline', { points: points(waiting.map(([t, mean]) => [x(t / 1000), y.map(mean)] as const)), fill: 'none', stroke: '#666666', 'stroke-width': 1, 'stroke-dasharray': '4 2' }));
      body.push(text(RIGHT - 4, top + 12, 'grey dashed: queued at the target', { 'text-anchor': 'end', fill: '#666', 'font-size': 11 }));
    }
    const series = perColumn(v.inFlight, RIGHT - LEFT);
    body.push(el('polyline', { points: points(series.map(([t, , max]) => [x(t / 1000), y.map(max)] as const)), fill: 'none', stroke: colour, 'stroke-width': 1, 'stroke-opacity': 0.3 }));
    body.push(el('polyline', { points: points(series.map(([t, mean]) => [x(t / 1000), y.map(mean)] as const)), fill: 'none', stroke: colour, 'stroke-width': 1.5, 'stroke-linejoin': 'round' }));
    if (v.settling.settledMs !== undefined) {
      const sx = x(v.settling.settledMs / 1000);
      body.push(el('line', { x1: sx, x2: sx, y1: top, y2: bottom, stroke: '#666', 'stroke-dasharray': '3 3' }));
      body.push(text(sx + 4, bottom - 6, `settled ${fmtNum(v.settling.settledMs / 1000)} s`, { fill: '#444', 'font-size': 11 }));
    }
    describe.push(`(${v.id}) ${v.title}: mean in flight ${v.settling.meanInFlight} and mean queued ${v.settling.meanQueued} in the steady window, max ${v.target.maxInFlight} and ${v.target.maxQueued}, finished in ${fmtNum(v.finishMs / 1000)} s`);
  });
  body.push(text(RIGHT, height - 8, 'calls being served per 100 ms or per pixel (dark: mean, light: max), time from the first submission; dashed: the hidden capacity', { 'text-anchor': 'end', fill: '#666', 'font-size': 11 }));
  return svgDocument({ width: WIDTH, height, title: `Served and queued at the destination per variant, capacity ${capacity}`, description: describe.join('. '), body });
}

/** 2xx answers per second at the target, one panel per variant, the capacity C = N / latency dashed and 90 % of it dotted. */
export function throughputChart(run: DestinationRun): string {
  const { capacity, targetLatencyMs } = run.options;
  const rateC = capacityRate(capacity, targetLatencyMs);
  const height = TOP + run.variants.length * (PANEL + GAP) + 24;
  const heading = `2xx per second at the target (${rateC === undefined ? 'no latency: C unbounded' : `C = N / latency = ${fmtNum(rateC)}/s`}; N = ${capacity}, ${targetLatencyMs} ms, ${overloadShort(run.options.overloadMode)})`;
  const body: string[] = [text(LEFT, 28, heading, { 'font-size': 15, 'font-weight': 'bold' })];
  const describe: string[] = [];
  run.variants.forEach((v, index) => {
    const top = TOP + index * (PANEL + GAP) + 16;
    const bottom = top + PANEL;
    const end = Math.max(1, v.perSecond.length, ...v.inFlight.map(([t]) => t / 1000));
    const x = (tS: number): number => LEFT + (Math.min(tS, end) / end) * (RIGHT - LEFT);
    const y = linearScale(Math.max((rateC ?? 0) * 1.2, 1, ...v.perSecond.map((r) => r.ok)), bottom, top, 4);
    const colour = COLOURS[v.id];
    body.push(text(LEFT, top - 8, `(${v.id}) ${v.title}: ${v.complete ? `${fmtNum(v.finishMs / 1000)} s` : 'incomplete'}, ${fmtNum(v.settling.okRate)} 2xx/s in the steady window, ${fmtNum(v.overloadShare * 100)} % overload answers`, { 'font-weight': 'bold', fill: colour }));
    body.push(...panelFrame(y, x, end, top, bottom));
    if (rateC !== undefined) {
      body.push(el('line', { x1: LEFT, x2: RIGHT, y1: y.map(rateC), y2: y.map(rateC), stroke: '#000000', 'stroke-dasharray': '6 4', 'stroke-width': 1.5 }));
      body.push(text(RIGHT - 4, y.map(rateC) - 4, `C = ${fmtNum(rateC)}/s`, { 'text-anchor': 'end', fill: '#000' }));
      const near = AT_CAPACITY * rateC;
      body.push(el('line', { x1: LEFT, x2: RIGHT, y1: y.map(near), y2: y.map(near), stroke: '#666666', 'stroke-dasharray': '2 3', 'stroke-width': 1 }));
      body.push(text(RIGHT - 4, y.map(near) + 12, `${AT_CAPACITY * 100} % of C`, { 'text-anchor': 'end', fill: '#666', 'font-size': 10 }));
    }
    // One point per whole second, at its middle (the last second may be partial).
    const series = v.perSecond.map((r) => [x(r.second + 0.5), y.map(r.ok)] as const);
    body.push(el('polyline', { points: points(series), fill: 'none', stroke: colour, 'stroke-width': 1.5, 'stroke-linejoin': 'round' }));
    if (v.settling.settledMs !== undefined) {
      const sx = x(v.settling.settledMs / 1000);
      body.push(el('line', { x1: sx, x2: sx, y1: top, y2: bottom, stroke: '#666', 'stroke-dasharray': '3 3' }));
      body.push(text(sx + 4, bottom - 6, `settled ${fmtNum(v.settling.settledMs / 1000)} s`, { fill: '#444', 'font-size': 11 }));
    }
    describe.push(
      `(${v.id}) ${v.title}: ${fmtNum(v.settling.okRate)} 2xx per second in the steady window, ` +
        `settled ${v.settling.settledMs === undefined ? 'never' : `at ${fmtNum(v.settling.settledMs / 1000)} s`}, finished in ${fmtNum(v.finishMs / 1000)} s`,
    );
  });
  body.push(text(RIGHT, height - 8, '2xx answers per second at the target, time from the first submission; dashed: the hidden capacity C, dotted: 90 % of C', { 'text-anchor': 'end', fill: '#666', 'font-size': 11 }));
  return svgDocument({ width: WIDTH, height, title: `2xx per second at the destination per variant, capacity ${rateC === undefined ? 'unbounded' : `${fmtNum(rateC)}/s`}`, description: describe.join('. '), body });
}

const s = (ms: number | undefined): string => (ms === undefined ? '—' : fmtNum(ms / 1000));
const pct = (fraction: number): string => `${(fraction * 100).toFixed(2)} %`;

/** The target's behaviour, for the Setup. */
function targetText(options: DestinationRun['options'], rateC: number | undefined): string {
  const { capacity, targetLatencyMs, overloadMode } = options;
  const overload =
    overloadMode === 'shed'
      ? `a call beyond N waits in the target's FIFO queue (as in a real server's accept queue: its latency grows) and is served when a slot frees; when N calls already wait (2N at the target in all), a further call is answered at once with **429** and \`Retry-After: 1\`.`
      : overloadMode === '429'
        ? 'a call beyond N is answered at once with **429** and `Retry-After: 1`.'
        : 'beyond N, every call takes longer in proportion to the excess (latency × in flight / N); nothing is refused.';
  const ceiling =
    rateC === undefined
      ? ' With no latency, there is no capacity C = N / latency to judge throughput against.'
      : ` Its capacity is **C = N / latency = ${fmtNum(rateC)} requests/s**. ` +
        (rateC >= NEAR_P_CEILING
          ? `That is close to P's own ceiling on a small machine (about 2,000/s on 2 cores): the run may measure P's throughput rather than its flow control.`
          : `C is well inside P's own ceiling (about 2,000/s on a 2-core machine), so the bench measures flow control, not P's throughput (a run at N = 40 × 20 ms = 2,000/s could not get near C in any variant).`);
  return `- **Target** (in the bench process, loopback): serves at most **N = ${capacity}** calls at once, ${targetLatencyMs} ms each; ${overload}${ceiling} Parc does not know N.`;
}

export function destinationMarkdown(run: DestinationRun, chartFile: string, inFlightChartFile: string): string {
  const { stamp, options } = run;
  const rateC = capacityRate(options.capacity, options.targetLatencyMs);
  const lines: string[] = [];
  lines.push(`# Destination bench: flow control against a hidden capacity${stamp.label ? ` — ${mdText(stamp.label)}` : ''}`, '');
  lines.push(`Started ${stamp.startedAt}, commit \`${stamp.gitCommit.slice(0, 12)}\`${stamp.gitDirty ? ' (working tree dirty)' : ''}; ${stamp.machine.cpus} × ${mdText(stamp.machine.cpuModel)}, ${stamp.machine.memoryGiB} GiB, ${mdText(stamp.machine.os)}; Node ${stamp.versions['node'] ?? '?'}, Redis ${stamp.versions['redis'] ?? '?'}, Kafka ${stamp.versions['kafka'] ?? '?'}.`, '');
  lines.push('## Setup', '');
  lines.push(targetText(options, rateC));
  lines.push(`- **System**: ${mdText(run.system)}.`);
  lines.push(`- **Per variant**: one batch of ${fmtInt(options.requests)} GETs, submitted in chunks of ${fmtInt(options.chunk)} (\`POST /v1/requests\`, JSON, \`defaults.flowControl\` with a key of the variant's own), retry \`${JSON.stringify(options.retry)}\` (multiplier 2, full jitter, the server's Retry-After honoured); the variants run one after another on one Parc. ${mdText(options.warmUp)}`);
  lines.push(
    `- **Measured**: time from the first submission to the last callback; at the target, per 100 ms, calls being served and calls queued (time-weighted mean and max), arrivals, 2xx and their latency (arrival → answer, queueing included), 429 and calls abandoned by the client (timeouts, resets); the attempts in the final results; every ${250} ms the gate's view of the key (\`GET /v1/destinations/:key\`).`,
    '',
  );
  lines.push('## Variants', '');
  lines.push(
    mdTable(
      ['variant', 'finish (s)', 'requests/s', 'of C', 'calls at target', '429', 'abandoned', 'overload share', 'mean latency at target (ms)', 'attempts', 'per request', 'failed'],
      run.variants.map((v) => [
        `(${v.id}) ${mdText(v.title)}`,
        v.complete ? s(v.finishMs) : `incomplete (${fmtInt(v.callbacks)}/${fmtInt(v.requests)} at ${s(v.finishMs)})`,
        v.finishMs > 0 ? fmtNum((v.callbacks / v.finishMs) * 1000) : '—',
        v.finishMs > 0 && rateC !== undefined ? `${((((v.succeeded / v.finishMs) * 1000) / rateC) * 100).toFixed(0)} %` : '—',
        fmtInt(v.target.calls),
        fmtInt(v.target.tooMany),
        fmtInt(v.target.aborted),
        pct(v.overloadShare),
        fmtNum(v.target.meanLatencyMs),
        fmtInt(v.attempts),
        fmtNum(v.attemptsPerRequest),
        fmtInt(v.failed),
      ]),
    ),
    '',
  );
  lines.push(`Throughput at the target against C${rateC === undefined ? ' (unbounded: not judged)' : ` = ${fmtNum(rateC)}/s (${AT_CAPACITY * 100} % of C = ${fmtNum(AT_CAPACITY * rateC)}/s)`}:`, '');
  lines.push(
    mdTable(
      ['variant', '2xx/s (steady)', 'of C (steady)', `time ≥ ${AT_CAPACITY * 100} % of C (steady)`, 'first reached (s)', 'settled (s)', 'steady window (s)'],
      run.variants.map((v) => [
        `(${v.id})`,
        fmtNum(v.settling.okRate),
        rateC === undefined ? '—' : `${((v.settling.okRate / rateC) * 100).toFixed(0)} %`,
        rateC === undefined ? '—' : `${(v.settling.shareAtRate * 100).toFixed(0)} %`,
        s(v.settling.firstReachedMs),
        rateC === undefined ? '—' : v.settling.settledMs === undefined ? 'never' : s(v.settling.settledMs),
        s(v.settling.steadyEndMs),
      ]),
    ),
    '',
  );
  lines.push('At the target (served: at most N in the shed and 429 modes; queued: the shed mode only) and at the gate:', '');
  lines.push(
    mdTable(
      ['variant', 'max in flight', 'mean in flight (steady)', `time ≥ ${AT_CAPACITY * 100} % of N (steady)`, 'max queued', 'mean queued (steady)', 'learned limit max / last', 'breaker openings', 'Retry-After hold', 'most waiting'],
      run.variants.map((v) => [
        `(${v.id})`,
        fmtInt(v.target.maxInFlight),
        fmtNum(v.settling.meanInFlight),
        `${(v.settling.shareAtCapacity * 100).toFixed(0)} %`,
        fmtInt(v.target.maxQueued),
        fmtNum(v.settling.meanQueued),
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
  lines.push(`![2xx per second at the target over time](${chartFile})`, '');
  lines.push(`![Served and queued at the target over time](${inFlightChartFile})`, '');
  lines.push('## Definitions', '');
  const percentOfC = `${AT_CAPACITY * 100} % of C`;
  lines.push(
    `- *C*: the target's capacity in requests per second, N / its latency${rateC === undefined ? ' (unbounded here: the latency is 0)' : ` = ${fmtNum(rateC)}/s`}. The targets judge throughput against it: 2xx answers per second at the target.`,
    '- *Overload share*: (429 answers + calls the client abandoned, queued or served) / calls at the target.',
    '- *Of C*: requests succeeded per second over the whole batch (first submission to last callback), against C. *Of C (steady)*: the same for the 2xx at the target in the steady window.',
    '- *Mean latency at target*: the mean time from a call\'s arrival at the target to its 2xx answer, queueing included (the base latency when nothing queues; up to about twice that with a full shed queue).',
    `- *Steady window*: from the first submission until 95 % of the 2xx answers were given; the batch's tail, where the backlog runs out and the rate must fall, is left out.`,
    `- *First reached*: the end of the first ${RATE_WINDOW_MS / 1000}-second window (sliding by 100 ms sample) whose 2xx count was ≥ ${percentOfC}. ` +
      `*Settled*: the end of the first sample whose ${RATE_WINDOW_MS / 1000}-second trailing 2xx rate was ≥ ${percentOfC} and from which it stays there to the end of the steady window; ` +
      `"stays" is judged on the ${STAY_WINDOW_MS / 1000}-second trailing mean of that rate (counted from the settling sample on), so an isolated dip that the ${STAY_WINDOW_MS / 1000}-second mean absorbs is allowed. ` +
      `*Time ≥ ${percentOfC}*: share of the steady window whose ${RATE_WINDOW_MS / 1000}-second trailing 2xx rate was ≥ ${percentOfC}.`,
    `- *In flight*: calls being served by the target (at most N unless the mode is slow); *queued*: calls waiting in its queue (the shed mode). *Time ≥ ${AT_CAPACITY * 100} % of N*: share of the steady window's 100 ms samples whose mean in flight was ≥ ${AT_CAPACITY * 100} % of N.`,
    `- *Retry-After hold*: share of the gate polls that found the key held by the destination's Retry-After. *Breaker openings*: closed/half-open → open transitions seen by the polls.`,
    `- A variant unfinished after ${VARIANT_LIMIT_MS / 60_000} min is cancelled (\`DELETE /v1/batches/:id\`) and reported incomplete.`,
    '',
  );
  lines.push('## Per second at the target', '');
  for (const v of run.variants) {
    const rows = v.perSecond.slice(0, 120);
    lines.push(`<details><summary>(${v.id}) ${mdText(v.title)}: ${v.perSecond.length} s</summary>`, '');
    lines.push(
      mdTable(
        ['second', 'calls', '2xx', '429', 'abandoned', 'max in flight', 'mean in flight', 'max queued', 'mean queued', 'mean latency (ms)'],
        rows.map((r) => [String(r.second), fmtInt(r.calls), fmtInt(r.ok), fmtInt(r.tooMany), fmtInt(r.aborted), fmtInt(r.maxInFlight), fmtNum(r.meanInFlight), fmtInt(r.maxQueued), fmtNum(r.meanQueued), r.ok > 0 ? fmtNum(r.meanLatencyMs) : '—']),
      ),
    );
    if (v.perSecond.length > rows.length) lines.push('', `(first ${rows.length} seconds; the JSON has all ${v.perSecond.length})`);
    lines.push('', '</details>', '');
  }
  return `${lines.join('\n')}\n`;
}

export interface WrittenDestinationReport {
  readonly json: string;
  readonly markdown: string;
  /** 2xx per second at the target. */
  readonly chart: string;
  /** Served and queued at the target. */
  readonly inFlightChart: string;
}

/** The name of the run's files: `destinations-<UTC time>-<commit>`. */
export function destinationRunName(stamp: RunStamp): string {
  return `destinations-${stampName(stamp)}`;
}

/** Writes the JSON, the Markdown and the two charts into `dir`; never touches latest.md. */
export function writeDestinationReport(run: Omit<DestinationRun, 'targets'>, name: string, dir: string): WrittenDestinationReport & { run: DestinationRun } {
  const full: DestinationRun = { ...run, targets: destinationTargets(run.variants) };
  const json = join(dir, `${name}.json`);
  const chart = join(dir, `${name}.svg`);
  const inFlight = join(dir, `${name}-inflight.svg`);
  const markdown = join(dir, `${name}.md`);
  // The 100 ms series as one line per sample, not one line per number.
  writeFileSync(json, `${JSON.stringify(full, null, 2).replace(/\[\s+(-?[\d.]+),\s+(-?[\d.]+),\s+(-?[\d.]+)\s+\]/g, '[$1, $2, $3]')}\n`);
  writeFileSync(chart, throughputChart(full));
  writeFileSync(inFlight, inFlightChart(full));
  writeFileSync(markdown, destinationMarkdown(full, `${name}.svg`, `${name}-inflight.svg`));
  return { json, markdown, chart, inFlightChart: inFlight, run: full };
}

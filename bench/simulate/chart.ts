/**
 * The seed's picture: the workload on top, and below it the CPU allocated over time against the
 * CPU the workload needed and the budget, on one time axis. The simulator draws one line per
 * controller (`allocationChart`); the live scaling bench (bench/src/scaling) draws its
 * configurations and the simulator's line with the same function (`loadAllocationChart`).
 */
import { fmtNum } from '../src/report/format';
import { linearScale, tickLabel, type Scale } from '../src/report/scale';
import { el, points, svgDocument, text, textWidth } from '../src/report/svg';
import type { TraceRun, WorkloadPoint } from './run';

const WIDTH = 800;
const HEIGHT = 600;
const LEFT = 72;
const RIGHT = WIDTH - 24;
const WORKLOAD = { top: 56, bottom: 176 } as const;
const ALLOCATION = { top: 216, bottom: 520 } as const;

/** Okabe–Ito colours, one per controller in the order the run lists them (parc first). */
const PALETTE = ['#0072B2', '#E69F00', '#56B4E9', '#D55E00', '#009E73', '#CC79A7', '#F0E442'] as const;
export const controllerColour = (index: number): string => PALETTE[index % PALETTE.length] ?? '#000000';

/** One line of a panel: [tS, value] points. */
export interface ChartLine {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  readonly colour: string;
  readonly width?: number;
  readonly dash?: string;
  /** Drawn but not listed in the legend (e.g. the measured twin of a listed line). */
  readonly unlisted?: boolean;
}

export interface LoadAllocationChart {
  /** The heading drawn on the chart. */
  readonly title: string;
  /** The document's title (a tooltip; what screen readers announce); default the heading. */
  readonly documentTitle?: string;
  /** The chart's data in words (the SVG's description). */
  readonly description: string;
  /** The offered rate and the CPU it needs, once per second; the time axis ends at the last point. */
  readonly workload: readonly WorkloadPoint[];
  /** More lines on the workload panel (requests/s), e.g. what each configuration completed. */
  readonly workloadLines?: readonly ChartLine[];
  /** The allocation panel's lines (millicores), in legend order; the first drawn thickest. */
  readonly allocation: readonly ChartLine[];
  readonly capacityCpuMillis: number;
  readonly allocationAxis: string;
  readonly footnote: string;
}

function yAxis(y: Scale, label: string, panel: { top: number; bottom: number }): string[] {
  const parts = y.ticks.flatMap((tick) => [
    el('line', { x1: LEFT, x2: RIGHT, y1: y.map(tick), y2: y.map(tick), stroke: '#e0e0e0' }),
    text(LEFT - 8, y.map(tick) + 4, tickLabel(tick), { 'text-anchor': 'end', fill: '#444' }),
  ]);
  const middle = (panel.top + panel.bottom) / 2;
  parts.push(el('line', { x1: LEFT, x2: LEFT, y1: panel.top, y2: panel.bottom, stroke: '#444' }));
  parts.push(el('line', { x1: LEFT, x2: RIGHT, y1: panel.bottom, y2: panel.bottom, stroke: '#444' }));
  parts.push(text(18, middle, label, { 'text-anchor': 'middle', transform: `rotate(-90 18 ${middle})` }));
  return parts;
}

function legend(entries: readonly { label: string; colour: string; dash?: string }[], y: number): string[] {
  let x = LEFT + 8;
  return entries.flatMap((entry) => {
    const parts = [el('line', { x1: x, x2: x + 20, y1: y - 4, y2: y - 4, stroke: entry.colour, 'stroke-width': 3, 'stroke-dasharray': entry.dash }), text(x + 26, y, entry.label)];
    x += 26 + textWidth(entry.label, 12) + 16;
    return parts;
  });
}

/** The workload panel on top, the allocation panel below, one time axis from 0 to the workload's end. */
export function loadAllocationChart(chart: LoadAllocationChart): string {
  const { workload } = chart;
  const end = workload[workload.length - 1]?.tS ?? 1;
  const within = (line: ChartLine): (readonly [number, number])[] => line.points.filter(([tS]) => tS >= 0 && tS <= end);
  // Time runs exactly to the trace's end (a rounded-up axis would leave an empty strip); ticks at round values within it.
  const x = { map: (tS: number) => LEFT + (tS / end) * (RIGHT - LEFT), ticks: linearScale(end, LEFT, RIGHT, 6).ticks.filter((tick) => tick <= end) };
  const workloadValues = [...workload.map((point) => point.offeredRate), ...(chart.workloadLines ?? []).flatMap((line) => within(line).map(([, v]) => v))];
  const rate = linearScale(Math.max(1, ...workloadValues), WORKLOAD.bottom, WORKLOAD.top, 3);
  const allocated = chart.allocation.flatMap((line) => within(line).map(([, v]) => v));
  const cpu = linearScale(Math.max(chart.capacityCpuMillis, ...allocated, ...workload.map((point) => point.neededCpuMillis)), ALLOCATION.bottom, ALLOCATION.top);
  const polyline = (line: ChartLine, y: Scale, width: number): string =>
    el('polyline', { points: points(within(line).map(([tS, v]) => [x.map(tS), y.map(v)] as const)), fill: 'none', stroke: line.colour, 'stroke-width': line.width ?? width, 'stroke-dasharray': line.dash, 'stroke-linejoin': 'round' });
  const body: string[] = [text(LEFT, 28, chart.title, { 'font-size': 15, 'font-weight': 'bold' }), ...yAxis(rate, 'requests/s', WORKLOAD), ...yAxis(cpu, chart.allocationAxis, ALLOCATION)];
  for (const tick of x.ticks) {
    body.push(el('line', { x1: x.map(tick), x2: x.map(tick), y1: ALLOCATION.bottom, y2: ALLOCATION.bottom + 4, stroke: '#444' }));
    body.push(text(x.map(tick), ALLOCATION.bottom + 18, tickLabel(tick), { 'text-anchor': 'middle', fill: '#444' }));
  }
  body.push(text((LEFT + RIGHT) / 2, ALLOCATION.bottom + 40, 'time (s)', { 'text-anchor': 'middle' }));
  body.push(...(chart.workloadLines ?? []).map((line) => polyline(line, rate, 1)));
  body.push(el('polyline', { points: points(workload.map((point) => [x.map(point.tS), rate.map(point.offeredRate)] as const)), fill: 'none', stroke: '#555555', 'stroke-width': 1.5 }));
  body.push(el('line', { x1: LEFT, x2: RIGHT, y1: cpu.map(chart.capacityCpuMillis), y2: cpu.map(chart.capacityCpuMillis), stroke: '#999999', 'stroke-dasharray': '2 3', 'stroke-width': 1.5 }));
  body.push(text(RIGHT - 4, cpu.map(chart.capacityCpuMillis) - 6, `budget ${fmtNum(chart.capacityCpuMillis)} m`, { 'text-anchor': 'end', fill: '#666' }));
  chart.allocation.forEach((line, i) => body.push(polyline(line, cpu, i === 0 ? 2.5 : 1.5)));
  body.push(el('polyline', { points: points(workload.map((point) => [x.map(point.tS), cpu.map(point.neededCpuMillis)] as const)), fill: 'none', stroke: '#000000', 'stroke-width': 1.5, 'stroke-dasharray': '6 4' }));
  const listed = chart.allocation.filter((line) => !line.unlisted).map((line) => ({ label: line.label, colour: line.colour, ...(line.dash === undefined ? {} : { dash: line.dash }) }));
  body.push(...legend([...listed, { label: 'needed', colour: '#000000', dash: '6 4' }], ALLOCATION.top - 12));
  body.push(text(RIGHT, HEIGHT - 12, chart.footnote, { 'text-anchor': 'end', fill: '#666', 'font-size': 11 }));
  return svgDocument({ width: WIDTH, height: HEIGHT, title: chart.documentTitle ?? chart.title, description: chart.description, body });
}

/** The simulation's chart: each controller's CPU allocated over time, against the needed CPU and the budget. */
export function allocationChart(run: TraceRun, capacityCpuMillis: number): string {
  const { trace, workload, runs } = run;
  const end = workload[workload.length - 1]?.tS ?? 1;
  const describe = runs.map((r) => {
    const cpuValues = r.timeline.map((point) => point.allocatedCpuMillis);
    const mean = cpuValues.reduce((sum, value) => sum + value, 0) / Math.max(1, cpuValues.length);
    return `${r.metrics.controller}: mean ${fmtNum(mean)} m, peak ${fmtNum(Math.max(0, ...cpuValues))} m`;
  });
  return loadAllocationChart({
    title: `Workload and CPU allocated — ${trace.name}`,
    documentTitle: `Workload and CPU allocated per controller — ${trace.name}`,
    description: `${trace.description} CPU allocated over ${fmtNum(end)} s, budget ${fmtNum(capacityCpuMillis)} m. ${describe.join('; ')}.`,
    workload,
    allocation: runs.map((r, i) => ({ label: r.metrics.controller, colour: controllerColour(i), points: r.timeline.map((point) => [point.tS, point.allocatedCpuMillis] as const) })),
    capacityCpuMillis,
    allocationAxis: 'CPU allocated (millicores)',
    footnote: 'needed: fewest instances serving the offered rate at 100 % · allocated: starting instances included',
  });
}

/**
 * The simulation's picture: the workload on top, and below it the CPU each controller allocated
 * over time against the CPU the workload needed and the budget, on one time axis.
 */
import { fmtNum } from '../src/report/format';
import { linearScale, tickLabel, type Scale } from '../src/report/scale';
import { el, points, svgDocument, text, textWidth } from '../src/report/svg';
import type { TraceRun } from './run';

const WIDTH = 800;
const HEIGHT = 600;
const LEFT = 72;
const RIGHT = WIDTH - 24;
const WORKLOAD = { top: 56, bottom: 176 } as const;
const ALLOCATION = { top: 216, bottom: 520 } as const;

/** Okabe–Ito colours, one per controller in the order the run lists them (parc first). */
const PALETTE = ['#0072B2', '#E69F00', '#56B4E9', '#D55E00', '#009E73', '#CC79A7', '#F0E442'] as const;
export const controllerColour = (index: number): string => PALETTE[index % PALETTE.length] ?? '#000000';

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

export function allocationChart(run: TraceRun, capacityCpuMillis: number): string {
  const { trace, workload, runs } = run;
  const end = workload[workload.length - 1]?.tS ?? 1;
  // Time runs exactly to the trace's end (a rounded-up axis would leave an empty strip); ticks at round values within it.
  const x = { map: (tS: number) => LEFT + (tS / end) * (RIGHT - LEFT), ticks: linearScale(end, LEFT, RIGHT, 6).ticks.filter((tick) => tick <= end) };
  const rate = linearScale(Math.max(1, ...workload.map((point) => point.offeredRate)), WORKLOAD.bottom, WORKLOAD.top, 3);
  const allocated = runs.flatMap((r) => r.timeline.map((point) => point.allocatedCpuMillis));
  const cpu = linearScale(Math.max(capacityCpuMillis, ...allocated, ...workload.map((point) => point.neededCpuMillis)), ALLOCATION.bottom, ALLOCATION.top);
  const body: string[] = [
    text(LEFT, 28, `Workload and CPU allocated — ${trace.name}`, { 'font-size': 15, 'font-weight': 'bold' }),
    ...yAxis(rate, 'requests/s', WORKLOAD),
    ...yAxis(cpu, 'CPU allocated (millicores)', ALLOCATION),
  ];
  for (const tick of x.ticks) {
    body.push(el('line', { x1: x.map(tick), x2: x.map(tick), y1: ALLOCATION.bottom, y2: ALLOCATION.bottom + 4, stroke: '#444' }));
    body.push(text(x.map(tick), ALLOCATION.bottom + 18, tickLabel(tick), { 'text-anchor': 'middle', fill: '#444' }));
  }
  body.push(text((LEFT + RIGHT) / 2, ALLOCATION.bottom + 40, 'time (s)', { 'text-anchor': 'middle' }));
  body.push(el('polyline', { points: points(workload.map((point) => [x.map(point.tS), rate.map(point.offeredRate)] as const)), fill: 'none', stroke: '#555555', 'stroke-width': 1.5 }));
  body.push(el('line', { x1: LEFT, x2: RIGHT, y1: cpu.map(capacityCpuMillis), y2: cpu.map(capacityCpuMillis), stroke: '#999999', 'stroke-dasharray': '2 3', 'stroke-width': 1.5 }));
  body.push(text(RIGHT - 4, cpu.map(capacityCpuMillis) - 6, `budget ${fmtNum(capacityCpuMillis)} m`, { 'text-anchor': 'end', fill: '#666' }));
  runs.forEach((r, i) => {
    const xy = r.timeline.map((point) => [x.map(point.tS), cpu.map(point.allocatedCpuMillis)] as const);
    body.push(el('polyline', { points: points(xy), fill: 'none', stroke: controllerColour(i), 'stroke-width': i === 0 ? 2.5 : 1.5, 'stroke-linejoin': 'round' }));
  });
  body.push(el('polyline', { points: points(workload.map((point) => [x.map(point.tS), cpu.map(point.neededCpuMillis)] as const)), fill: 'none', stroke: '#000000', 'stroke-width': 1.5, 'stroke-dasharray': '6 4' }));
  body.push(
    ...legend(
      [...runs.map((r, i) => ({ label: r.metrics.controller, colour: controllerColour(i) })), { label: 'needed', colour: '#000000', dash: '6 4' }],
      ALLOCATION.top - 12,
    ),
  );
  body.push(text(RIGHT, HEIGHT - 12, 'needed: fewest instances serving the offered rate at 100 % · allocated: starting instances included', { 'text-anchor': 'end', fill: '#666', 'font-size': 11 }));
  const describe = runs.map((r) => {
    const cpuValues = r.timeline.map((point) => point.allocatedCpuMillis);
    const mean = cpuValues.reduce((sum, value) => sum + value, 0) / Math.max(1, cpuValues.length);
    return `${r.metrics.controller}: mean ${fmtNum(mean)} m, peak ${fmtNum(Math.max(0, ...cpuValues))} m`;
  });
  return svgDocument({
    width: WIDTH,
    height: HEIGHT,
    title: `Workload and CPU allocated per controller — ${trace.name}`,
    description: `${trace.description} CPU allocated over ${fmtNum(end)} s, budget ${fmtNum(capacityCpuMillis)} m. ${describe.join('; ')}.`,
    body,
  });
}

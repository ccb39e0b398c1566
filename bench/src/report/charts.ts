/**
 * The report's two charts per cell, as standalone SVG: completed-callback rate against offered
 * load (one line per system, the knee marked), and the latency distribution at half the knee
 * (p50/p95/p99/max of time to first attempt and of added time to callback, per system).
 */
import type { Percentiles } from '../results';
import { systemsIn, isVoid, type CellGroup } from './analysis';
import { fmtNum, SYSTEM_COLOURS, SYSTEM_NAMES, type SystemKey } from './format';
import { autoScale, linearScale, tickLabel, type Scale } from './scale';
import { el, points, svgDocument, text, textWidth } from './svg';

const WIDTH = 800;
const HEIGHT = 480;
const PLOT = { left: 72, right: WIDTH - 24, top: 48, bottom: HEIGHT - 64 } as const;

function axes(x: Scale, y: Scale, xLabel: string, yLabel: string, xTicks: readonly number[] = x.ticks): string[] {
  const parts: string[] = [];
  for (const tick of y.ticks) {
    const ty = y.map(tick);
    parts.push(el('line', { x1: PLOT.left, x2: PLOT.right, y1: ty, y2: ty, stroke: '#e0e0e0' }));
    parts.push(text(PLOT.left - 8, ty + 4, tickLabel(tick), { 'text-anchor': 'end', fill: '#444' }));
  }
  for (const tick of xTicks) {
    const tx = x.map(tick);
    parts.push(el('line', { x1: tx, x2: tx, y1: PLOT.bottom, y2: PLOT.bottom + 4, stroke: '#444' }));
    parts.push(text(tx, PLOT.bottom + 18, tickLabel(tick), { 'text-anchor': 'middle', fill: '#444' }));
  }
  parts.push(el('line', { x1: PLOT.left, x2: PLOT.right, y1: PLOT.bottom, y2: PLOT.bottom, stroke: '#444' }));
  parts.push(el('line', { x1: PLOT.left, x2: PLOT.left, y1: PLOT.top, y2: PLOT.bottom, stroke: '#444' }));
  parts.push(text((PLOT.left + PLOT.right) / 2, HEIGHT - 24, xLabel, { 'text-anchor': 'middle' }));
  const midY = (PLOT.top + PLOT.bottom) / 2;
  parts.push(text(18, midY, yLabel, { 'text-anchor': 'middle', transform: `rotate(-90 18 ${midY})` }));
  return parts;
}

function legend(entries: readonly { label: string; colour: string; dashed?: boolean }[]): string[] {
  let x = PLOT.left + 8;
  let y = PLOT.top + 12;
  return entries.flatMap((entry) => {
    const width = 26 + textWidth(entry.label, 12) + 20;
    if (x + width > PLOT.right && x > PLOT.left + 8) {
      x = PLOT.left + 8;
      y += 18;
    }
    const parts = [
      el('line', { x1: x, x2: x + 20, y1: y - 4, y2: y - 4, stroke: entry.colour, 'stroke-width': 3, 'stroke-dasharray': entry.dashed ? '6 4' : undefined }),
      text(x + 26, y, entry.label),
    ];
    x += width;
    return parts;
  });
}

/** Completed callbacks/s against offered requests/s; the diagonal is "keeps up". */
export function throughputChart(group: CellGroup): string {
  const systems = systemsIn(group);
  const offered = systems.flatMap((s) => group.systems[s]?.steps.map((step) => step.offeredRate) ?? []);
  const completed = systems.flatMap((s) => group.systems[s]?.steps.map((step) => step.completedRate) ?? []);
  const max = Math.max(1, ...offered, ...completed);
  const x = linearScale(max, PLOT.left, PLOT.right);
  const y = linearScale(max, PLOT.bottom, PLOT.top);
  const body = axes(x, y, 'offered load (requests/s, open loop)', 'completed callbacks/s');
  body.push(el('line', { x1: x.map(0), y1: y.map(0), x2: x.map(x.domain[1]), y2: y.map(x.domain[1]), stroke: '#999', 'stroke-dasharray': '3 3' }));
  const descriptions: string[] = [];
  for (const system of systems) {
    const cell = group.systems[system];
    if (!cell) continue;
    const colour = SYSTEM_COLOURS[system];
    // Refinement probes ran after the staircase at rates between its steps: the line follows the rate.
    const byRate = [...cell.steps].sort((a, b) => a.offeredRate - b.offeredRate);
    const xy = byRate.map((step) => [x.map(step.offeredRate), y.map(step.completedRate)] as const);
    body.push(el('polyline', { points: points(xy), fill: 'none', stroke: colour, 'stroke-width': 2 }));
    for (const step of byRate) {
      const [cx, cy] = [x.map(step.offeredRate), y.map(step.completedRate)];
      const open = !step.stable || isVoid(step);
      const paint = { fill: open ? '#ffffff' : colour, stroke: colour, 'stroke-width': 2 };
      body.push(step.probe ? el('rect', { x: cx - 4, y: cy - 4, width: 8, height: 8, ...paint }) : el('circle', { cx, cy, r: 4, ...paint }));
    }
    if (cell.kneeRate > 0) {
      body.push(text(x.map(cell.kneeRate), y.map(cell.maxSustainableRate) - 10, `${system} knee ${fmtNum(cell.maxSustainableRate)}/s`, { 'text-anchor': 'middle', fill: colour }));
    }
    descriptions.push(`${SYSTEM_NAMES[system]}: ${byRate.map((s) => `${s.offeredRate}→${s.completedRate}${s.probe ? ' (probe)' : ''}${s.stable ? '' : ' (unstable)'}`).join(', ')}`);
  }
  body.push(...legend(systems.map((s) => ({ label: `${s} ${SYSTEM_NAMES[s]}`, colour: SYSTEM_COLOURS[s] }))));
  body.push(text(PLOT.right, HEIGHT - 8, 'filled: stable · open: unstable or void · square: refinement probe · dashed: offered = completed', { 'text-anchor': 'end', fill: '#666', 'font-size': 11 }));
  return svgDocument({
    width: WIDTH,
    height: HEIGHT,
    title: `Throughput against offered load — ${group.title}`,
    description: `offered → completed per step. ${descriptions.join('. ')}`,
    body: [text(PLOT.left, 28, `Throughput against offered load — ${group.title}`, { 'font-size': 15, 'font-weight': 'bold' }), ...body],
  });
}

const PERCENTILES = ['p50', 'p95', 'p99', 'max'] as const;

/**
 * Latency distribution at half each system's knee: for each percentile, one bar per system and
 * metric (solid: time to first attempt; hatched-light: added time to callback). Log axis when the
 * values span more than 50×, so a 2 ms p50 stays visible next to a 2 s max.
 */
export function latencyChart(group: CellGroup): string {
  const systems = systemsIn(group).filter((s) => group.systems[s]?.atHalfKnee !== undefined);
  const series: { system: SystemKey; metric: 'first attempt' | 'added to callback'; values: Percentiles }[] = systems.flatMap((system) => {
    const half = group.systems[system]?.atHalfKnee;
    return half
      ? [
          { system, metric: 'first attempt' as const, values: half.firstAttemptMs },
          { system, metric: 'added to callback' as const, values: half.addedToCallbackMs },
        ]
      : [];
  });
  const all = series.flatMap((s) => PERCENTILES.map((p) => s.values[p]));
  const y = autoScale(all, PLOT.bottom, PLOT.top, 50);
  const groupWidth = (PLOT.right - PLOT.left) / PERCENTILES.length;
  const barWidth = Math.min(28, (groupWidth - 24) / Math.max(1, series.length));
  const x = linearScale(PERCENTILES.length, PLOT.left, PLOT.right);
  const body = axes(x, y, 'percentile (at 50 % of each system\'s knee)', `ms${y.log ? ' (log scale)' : ''}`, []);
  PERCENTILES.forEach((p, i) => {
    const start = PLOT.left + i * groupWidth + (groupWidth - barWidth * series.length) / 2;
    body.push(text(PLOT.left + (i + 0.5) * groupWidth, PLOT.bottom + 18, p, { 'text-anchor': 'middle', fill: '#444' }));
    series.forEach((s, j) => {
      const value = s.values[p];
      const top = y.map(value);
      const colour = SYSTEM_COLOURS[s.system];
      const solid = s.metric === 'first attempt';
      body.push(
        el('rect', {
          x: start + j * barWidth + 1,
          y: Math.min(top, PLOT.bottom),
          width: barWidth - 2,
          height: Math.max(0, PLOT.bottom - top),
          fill: solid ? colour : '#ffffff',
          stroke: colour,
          'stroke-width': 2,
        }),
      );
      body.push(text(start + (j + 0.5) * barWidth, Math.min(top, PLOT.bottom) - 4, fmtNum(value), { 'text-anchor': 'middle', 'font-size': 9, fill: '#333' }));
    });
  });
  body.push(
    ...legend(
      systems.flatMap((s) => [
        { label: `${s} first attempt`, colour: SYSTEM_COLOURS[s] },
        { label: `${s} added to callback (outlined)`, colour: SYSTEM_COLOURS[s], dashed: true },
      ]),
    ),
  );
  const describe = series.map((s) => `${SYSTEM_NAMES[s.system]} ${s.metric}: ${PERCENTILES.map((p) => `${p} ${fmtNum(s.values[p])} ms`).join(', ')}`);
  return svgDocument({
    width: WIDTH,
    height: HEIGHT,
    title: `Latency at half the knee — ${group.title}`,
    description: describe.length > 0 ? describe.join('. ') : 'no system reached a knee in this cell',
    body: [text(PLOT.left, 28, `Latency at half the knee — ${group.title}`, { 'font-size': 15, 'font-weight': 'bold' }), ...body],
  });
}

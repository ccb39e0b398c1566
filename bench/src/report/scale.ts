/**
 * Axis scales for the charts: linear from zero with "nice" steps, or logarithmic by decades
 * when the values span too much for a linear axis to show the small ones.
 */
import { fmtCompact } from './format';

export interface Scale {
  readonly log: boolean;
  /** Lowest and highest value the axis shows. */
  readonly domain: readonly [number, number];
  /** Maps a value to a pixel coordinate; values below the domain (0 on a log axis) clamp to its start. */
  map(value: number): number;
  /** Values to draw ticks and grid lines at, ascending. */
  readonly ticks: readonly number[];
}

// Multiplying steps like 0.1 by integers gives 0.30000000000000004; twelve digits remove that noise.
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

/** A step of 1, 2 or 5 × 10^k giving about `count` intervals over [0, max]. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  return clean(nice * power);
}

/** A linear scale from 0 to a round number at or above `max`, onto [start, end] pixels. */
export function linearScale(max: number, start: number, end: number, tickCount = 5): Scale {
  const safeMax = max > 0 && Number.isFinite(max) ? max : 1;
  const step = niceStep(safeMax, tickCount);
  const top = clean(Math.ceil(safeMax / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; clean(i * step) <= top; i++) ticks.push(clean(i * step));
  return {
    log: false,
    domain: [0, top],
    ticks,
    map: (value) => start + (Math.max(0, value) / top) * (end - start),
  };
}

/** A log-10 scale over whole decades around [min, max] (both > 0), onto [start, end] pixels. */
export function logScale(min: number, max: number, start: number, end: number): Scale {
  const lowExp = Math.floor(Math.log10(min));
  const highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(max)));
  const low = clean(10 ** lowExp);
  const high = clean(10 ** highExp);
  const decades = highExp - lowExp;
  // With few decades the 2× and 5× marks keep enough labelled ticks to read values from.
  const multiples = decades <= 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let exp = lowExp; exp <= highExp; exp++) {
    for (const multiple of multiples) {
      const tick = clean(multiple * 10 ** exp);
      if (tick <= high) ticks.push(tick);
    }
  }
  const span = Math.log10(high) - Math.log10(low);
  return {
    log: true,
    domain: [low, high],
    ticks,
    map: (value) => start + ((Math.log10(Math.max(value, low)) - Math.log10(low)) / span) * (end - start),
  };
}

/**
 * Linear unless the positive values span more than `maxSpread` (max / min), in which case a
 * linear axis would flatten the small values into the baseline.
 */
export function autoScale(values: readonly number[], start: number, end: number, maxSpread: number): Scale {
  const positive = values.filter((value) => value > 0 && Number.isFinite(value));
  if (positive.length === 0) return linearScale(1, start, end);
  const min = Math.min(...positive);
  const max = Math.max(...positive);
  return max / min > maxSpread ? logScale(min, max, start, end) : linearScale(max, start, end);
}

/** A tick label: compact so it fits under an axis ("2k", "500", "0.5"). */
export function tickLabel(value: number): string {
  if (value !== 0 && Math.abs(value) < 1) return String(clean(Number(value.toPrecision(2))));
  if (Number.isInteger(value) && Math.abs(value) < 1000) return String(value);
  if (Number.isInteger(value / 1000) && Math.abs(value) >= 1000) return `${value / 1000}k`;
  return fmtCompact(value);
}

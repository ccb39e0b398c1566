/**
 * Formatting shared by the Markdown and the SVG writers: numbers, names of cells and runs,
 * Markdown escaping and tables. Everything here is locale-free so that the same run always
 * renders to the same bytes, whatever machine renders it.
 */
import type { CellResult, RunStamp } from '../results';

/** The three systems, in the order every table and chart lists them. */
export type SystemKey = CellResult['system'];
export const SYSTEMS: readonly SystemKey[] = ['P', 'A', 'B'];

/** Short names for legends; the run's own `systemDescription` is the long form. */
export const SYSTEM_NAMES: Readonly<Record<SystemKey, string>> = { P: 'Parc', A: 'BullMQ', B: 'in-memory undici' };

/**
 * One colour per system on every chart. Okabe–Ito colours: they stay apart for the common
 * colour-vision deficiencies and when printed in grey.
 */
export const SYSTEM_COLOURS: Readonly<Record<SystemKey, string>> = { P: '#0072B2', A: '#D55E00', B: '#009E73' };

/** Inserts thousands separators into a plain decimal string ("-12345.6" → "-12,345.6"). */
function groupThousands(fixed: string): string {
  const negative = fixed.startsWith('-');
  const unsigned = negative ? fixed.slice(1) : fixed;
  const dot = unsigned.indexOf('.');
  const whole = dot < 0 ? unsigned : unsigned.slice(0, dot);
  const fraction = dot < 0 ? '' : unsigned.slice(dot);
  let grouped = '';
  for (let i = 0; i < whole.length; i++) {
    if (i > 0 && (whole.length - i) % 3 === 0) grouped += ',';
    grouped += whole[i];
  }
  return (negative ? '-' : '') + grouped + fraction;
}

/** Fixed decimals without a "-0" (which toFixed gives for tiny negatives and would read as a sign). */
function toFixedClean(value: number, digits: number): string {
  const fixed = value.toFixed(digits);
  return Number(fixed) === 0 ? (0).toFixed(digits) : fixed;
}

/** A measured number with about three significant digits; "—" when there is none. */
export function fmtNum(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  return groupThousands(toFixedClean(value, digits));
}

/** A whole count (ledger entries). */
export function fmtInt(value: number): string {
  return Number.isFinite(value) ? groupThousands(toFixedClean(value, 0)) : '—';
}

/** A ratio such as P/A, two decimals. */
export function fmtRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : toFixedClean(value, 2);
}

/** A fraction as a percentage without the sign: 0.25 → "25 %", 0.0625 → "6.3 %". */
export function fmtPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return '—';
  const percent = Math.abs(fraction * 100);
  return `${toFixedClean(percent, percent >= 10 ? 0 : 1)} %`;
}

/** A signed relative change, "+12 %" / "−8 %"; "—" when the base is zero or missing. */
export function fmtChange(before: number | undefined, after: number | undefined): string {
  if (before === undefined || after === undefined || !Number.isFinite(before) || !Number.isFinite(after)) return '—';
  if (before === 0) return after === 0 ? '±0 %' : '—';
  const percent = ((after - before) / Math.abs(before)) * 100;
  const text = toFixedClean(Math.abs(percent), Math.abs(percent) >= 10 ? 0 : 1);
  if (Number(text) === 0) return '±0 %';
  return `${percent > 0 ? '+' : '−'}${text} %`;
}

/** A short label for chart values where space is tight: "1.2k", "123", "12.3", "1.23". */
export function fmtCompact(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  if (magnitude >= 10_000) return `${toFixedClean(value / 1000, 0)}k`;
  if (magnitude >= 1000) return `${toFixedClean(value / 1000, 1)}k`;
  return fmtNum(value);
}

/** A failure rate as a percentage without float noise: 0.1 → "10", 0.125 → "12.5". */
export function failurePercent(failureRate: number): string {
  return String(Math.round(failureRate * 1000) / 10);
}

/** The cell part of chart file names: "20ms-10". */
export function cellKey(targetLatencyMs: number, failureRate: number): string {
  return `${targetLatencyMs}ms-${failurePercent(failureRate)}`;
}

/** The cell as a reader says it: "20 ms target, 10 % failures". */
export function cellTitle(targetLatencyMs: number, failureRate: number): string {
  return `${targetLatencyMs} ms target, ${failurePercent(failureRate)} % failures`;
}

/** The first 7 characters of the commit, reduced to what is safe in a file name. */
export function shortCommit(commit: string): string {
  const safe = commit.toLowerCase().replace(/[^0-9a-z]/g, '');
  return safe.slice(0, 7) || 'nocommit';
}

/**
 * `YYYYMMDD-HHMMSS-<short commit>` from the run's start time. UTC, so that the name does not
 * depend on the zone of the machine that renders it, and names sort by time.
 */
export function stampName(stamp: RunStamp): string {
  const started = new Date(stamp.startedAt);
  if (Number.isNaN(started.getTime())) throw new Error(`run.stamp.startedAt is not a date: "${stamp.startedAt}"`);
  const iso = started.toISOString();
  const day = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${day}-${time}-${shortCommit(stamp.gitCommit)}`;
}

/** Free text (labels, descriptions) made inert in Markdown: no accidental emphasis, links or table cells. */
export function mdText(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/[\\`*_[\]<>|#~]/g, (char) => `\\${char}`);
}

/** A Markdown table; cells are Markdown already (callers escape free text with mdText). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => (i >= numericFrom ? '---:' : '---'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

/** A per-process or per-group record as one table cell, one entry a line, in a stable order. */
export function fmtRecord(record: Readonly<Record<string, number>>, order: readonly string[] = []): string {
  const keys = sortKeys(Object.keys(record), order);
  if (keys.length === 0) return '—';
  return keys.map((key) => `${mdText(key)} ${fmtNum(record[key])}`).join('<br>');
}

/** Keys in the preferred order first, the rest alphabetically (stable whatever order the JSON had). */
export function sortKeys(keys: readonly string[], order: readonly string[] = []): string[] {
  const rank = (key: string): number => {
    const index = order.indexOf(key);
    return index < 0 ? order.length : index;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The process groups of `cpuMsPer1000`, in the order the issue names them. */
export const CPU_GROUP_ORDER: readonly string[] = ['services', 'redis', 'kafka', 'driver'];

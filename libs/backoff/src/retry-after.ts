const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

/** RFC 9110 §5.6.7: IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** Obsolete RFC 850 form, e.g. `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** Obsolete asctime form, e.g. `Sun Nov  6 08:49:37 1994` (always UTC). */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

interface DateParts {
  readonly year: number;
  readonly month: string;
  readonly day: string;
  readonly hour: string;
  readonly minute: string;
  readonly second: string;
}

/** Two-digit years (RFC 850) resolve to the most recent past century unless >50 years ahead (RFC 9110). */
function fullYear(twoDigits: number, nowMs: number): number {
  const nowYear = new Date(nowMs).getUTCFullYear();
  const candidate = Math.floor(nowYear / 100) * 100 + twoDigits;
  return candidate > nowYear + 50 ? candidate - 100 : candidate;
}

function matchDate(value: string, nowMs: number): DateParts | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) {
    const [, day = '', month = '', year = '', hour = '', minute = '', second = ''] = m;
    return { day, month, year: Number(year), hour, minute, second };
  }
  m = RFC850_DATE.exec(value);
  if (m) {
    const [, day = '', month = '', year = '', hour = '', minute = '', second = ''] = m;
    return { day, month, year: fullYear(Number(year), nowMs), hour, minute, second };
  }
  m = ASCTIME_DATE.exec(value);
  if (m) {
    const [, month = '', day = '', hour = '', minute = '', second = '', year = ''] = m;
    return { day, month, year: Number(year), hour, minute, second };
  }
  return undefined;
}

/** Epoch ms of an HTTP-date, or undefined when it is malformed or names an impossible date. */
function parseHttpDate(value: string, nowMs: number): number | undefined {
  const parts = matchDate(value, nowMs);
  if (parts === undefined) return undefined;
  const [month, day, hour, minute, second] = [
    MONTHS.indexOf(parts.month),
    Number(parts.day.trim()),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  ];
  // Leap seconds (second 60) are allowed by the grammar; they simply count as the next second.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const midnightMs = Date.UTC(parts.year, month, day);
  // Date.UTC rolls 31 Feb over into March: a different day of month means the date does not exist.
  if (new Date(midnightMs).getUTCDate() !== day) return undefined;
  return midnightMs + ((hour * 60 + minute) * 60 + second) * 1000;
}

/**
 * Delay in ms a server asked for with `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an
 * HTTP-date (IMF-fixdate, plus the obsolete RFC 850 and asctime forms recipients must accept).
 * Returns undefined for a missing, malformed or negative value, and 0 for a date in the past.
 * Very large delta-seconds are returned as is; the policy's `maxRetryAfterMs` bounds them.
 */
export function parseRetryAfter(headerValue: string | undefined, nowMs: number): number | undefined {
  if (headerValue === undefined) return undefined;
  const value = headerValue.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, Number.MAX_SAFE_INTEGER);
  const dateMs = parseHttpDate(value, nowMs);
  return dateMs === undefined ? undefined : Math.max(0, dateMs - nowMs);
}

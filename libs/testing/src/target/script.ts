/**
 * The behaviour language of the target server: every request says, in its own query string, how
 * it wants to be answered, so a URL alone describes a slow, flaky or broken endpoint. The grammar
 * is documented in libs/testing/README.md ("Target server"); this file is its only parser.
 */

/** What to do with one call. */
export type Action =
  | { readonly kind: 'respond'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' };

/** One resolved answer: the action plus the timing and body shape around it. */
export interface Step {
  readonly action: Action;
  /** Delay before the headers (or before the reset). */
  readonly latencyMs: number;
  /** Response body size in bytes; undefined = a small JSON description of the call. */
  readonly bodyBytes?: number;
  /** Delay between the headers and the body (to trip body timeouts). */
  readonly bodyDelayMs: number;
}

/** A parsed request script: a single step, or a sequence indexed by the call's attempt number. */
export interface Script {
  readonly steps: readonly Step[];
  /** True when the steps came from `seq` (calls record which step they got). */
  readonly sequenced: boolean;
  /** The counter key; explicit `key`, else the request target (path + query). */
  readonly key: string;
}

/** A query string the server cannot understand: answered with 400 and this message. */
export class ScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptError';
  }
}

/** Larger bodies are refused: a typo in `bodyBytes` should not exhaust the test process's memory. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
const KNOWN = new Set(['latencyMs', 'status', 'retryAfter', 'bodyBytes', 'bodyDelayMs', 'reset', 'hang', 'seq', 'key']);

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new ScriptError(`${name}=${text} is not a non-negative integer`);
  const value = Number(text);
  if (value < min || value > max) throw new ScriptError(`${name}=${text} is outside ${min}..${max}`);
  return value;
}

function flag(name: string, text: string | null): boolean {
  if (text === null || text === '0' || text === 'false') return false;
  if (text === '1' || text === 'true' || text === '') return true;
  throw new ScriptError(`${name}=${text} must be 1 or 0`);
}

const STEP = /^(?:(\d{3})(?:~(\d+))?|(reset)|(hang))(?:@(\d+))?$/;

/** Parses one `seq` step: `<status>[~<retryAfterSeconds>]` | `reset` | `hang`, then `[@<latencyMs>]`. */
export function parseStep(text: string, defaults: Omit<Step, 'action'>): Step {
  const match = STEP.exec(text.trim());
  if (!match) {
    throw new ScriptError(`seq step "${text}" is not <status>[~<retryAfterSeconds>][@<latencyMs>], reset[@<latencyMs>] or hang`);
  }
  const [, status, retryAfter, reset, hang, latency] = match;
  const latencyMs = latency !== undefined ? integer('latency', latency, 0, 3_600_000) : defaults.latencyMs;
  let action: Action;
  if (reset) action = { kind: 'reset' };
  else if (hang) action = { kind: 'hang' };
  else {
    const code = integer('status', status as string, 200, 599);
    action = { kind: 'respond', status: code, ...(retryAfter !== undefined ? { retryAfter } : {}) };
  }
  return { ...defaults, latencyMs, action };
}

/** Turns a request's query parameters into a script (throws `ScriptError` on anything unknown or malformed). */
export function parseScript(params: URLSearchParams, requestTarget: string): Script {
  for (const name of params.keys()) {
    if (!KNOWN.has(name)) throw new ScriptError(`unknown parameter "${name}" (known: ${[...KNOWN].join(', ')})`);
  }
  const get = (name: string): string | null => params.get(name);
  const latencyMs = get('latencyMs') !== null ? integer('latencyMs', get('latencyMs') as string, 0, 3_600_000) : 0;
  const bodyDelayMs = get('bodyDelayMs') !== null ? integer('bodyDelayMs', get('bodyDelayMs') as string, 0, 3_600_000) : 0;
  const bodyBytes = get('bodyBytes') !== null ? integer('bodyBytes', get('bodyBytes') as string, 0, MAX_BODY_BYTES) : undefined;
  const retryAfter = get('retryAfter') ?? undefined;
  const key = get('key') ?? requestTarget;
  const defaults = { latencyMs, bodyDelayMs, ...(bodyBytes !== undefined ? { bodyBytes } : {}) };
  const reset = flag('reset', get('reset'));
  const hang = flag('hang', get('hang'));

  const seq = get('seq');
  if (seq !== null) {
    if (get('status') !== null || reset || hang) {
      throw new ScriptError('seq cannot be combined with status, reset or hang (put them in the steps)');
    }
    const steps = seq.split(',').map((text) => parseStep(text, defaults));
    // A top-level retryAfter applies to every responding step that does not carry its own `~`.
    const withRetry = retryAfter === undefined ? steps : steps.map((step) => addRetryAfter(step, retryAfter));
    return { steps: withRetry, sequenced: true, key };
  }

  if (reset && hang) throw new ScriptError('reset=1 and hang=1 exclude each other');
  let action: Action;
  if (reset) action = { kind: 'reset' };
  else if (hang) action = { kind: 'hang' };
  else {
    const status = get('status') !== null ? integer('status', get('status') as string, 200, 599) : 200;
    action = { kind: 'respond', status, ...(retryAfter !== undefined ? { retryAfter } : {}) };
  }
  return { steps: [{ ...defaults, action }], sequenced: false, key };
}

function addRetryAfter(step: Step, retryAfter: string): Step {
  if (step.action.kind !== 'respond' || step.action.retryAfter !== undefined) return step;
  return { ...step, action: { ...step.action, retryAfter } };
}

/** The step for the n-th call (1-based) with the script's key: the n-th step, the last one repeating. */
export function stepFor(script: Script, attempt: number): { step: Step; index: number } {
  const index = Math.min(attempt, script.steps.length) - 1;
  return { step: script.steps[index] as Step, index };
}

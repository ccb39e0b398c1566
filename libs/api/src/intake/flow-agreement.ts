import { flowKeyOf, type Envelope, type FlowControl } from '@parc/envelope';
import type { FieldIssue } from '@parc/errors';
import { DEFAULT_PERIOD_MS } from '@parc/store';

type LimitField = 'rate' | 'periodMs' | 'parallelism' | 'adaptive';
const LIMIT_FIELDS: readonly LimitField[] = ['rate', 'periodMs', 'parallelism', 'adaptive'];

interface Seen {
  /** undefined: the request carried no flow control (the deployment's limits apply to it). */
  readonly limits: Readonly<Record<LimitField, number | boolean | undefined>> | undefined;
  /** Where it was: `requests[3]`, `line 7`. */
  readonly where: string;
}

function limitsOf(flow: FlowControl | undefined): Seen['limits'] {
  if (flow === undefined) return undefined;
  return {
    rate: flow.rate,
    periodMs: flow.rate === undefined ? undefined : (flow.periodMs ?? DEFAULT_PERIOD_MS),
    parallelism: flow.parallelism,
    adaptive: flow.adaptive === true,
  };
}

const show = (value: number | boolean | undefined): string => (value === undefined ? 'none' : String(value));

/**
 * Checks that the requests of one key in one submission carry the same limits
 * (docs/destinations.md): the gate applies the limits each request carries, so two sets for one
 * key would let one batch undo its own limits. A request without flowControl counts as "no limits
 * of its own" for its origin's key. URLs are only resolved to origins once some request of the
 * submission has flow control, so submissions that use none pay nothing.
 */
export class FlowAgreement {
  private readonly byKey = new Map<string, Seen>();
  /** Requests without flow control, first one per URL, until a request with flow control comes. */
  private pending: Map<string, string> | undefined = new Map();

  /** The problem with this request's flowControl (a path relative to the request), if any. */
  check(envelope: Envelope, where: string): FieldIssue | undefined {
    const { url } = envelope.request;
    const flow = envelope.flowControl;
    if (flow === undefined && this.pending !== undefined) {
      if (!this.pending.has(url)) this.pending.set(url, where);
      return undefined;
    }
    if (this.pending !== undefined) {
      for (const [pendingUrl, pendingWhere] of this.pending) this.remember(flowKeyOf(pendingUrl, undefined), { limits: undefined, where: pendingWhere });
      this.pending = undefined;
    }
    const key = flowKeyOf(url, flow);
    const mine: Seen = { limits: limitsOf(flow), where };
    const earlier = this.byKey.get(key);
    if (earlier === undefined) {
      this.byKey.set(key, mine);
      return undefined;
    }
    return conflict(key, mine, earlier);
  }

  private remember(key: string, seen: Seen): void {
    if (!this.byKey.has(key)) this.byKey.set(key, seen);
  }
}

function conflict(key: string, mine: Seen, earlier: Seen): FieldIssue | undefined {
  const advice = 'every request of one key in a submission must carry the same limits (defaults.flowControl sets them once for a batch)';
  if (mine.limits === undefined || earlier.limits === undefined) {
    if (mine.limits === earlier.limits) return undefined;
    const which = mine.limits === undefined ? 'has none' : 'has limits';
    const theirs = earlier.limits === undefined ? 'had none' : 'gave limits';
    return { path: 'flowControl', message: `for key ${JSON.stringify(key)} ${which}, but ${earlier.where} ${theirs}: ${advice}` };
  }
  const field = LIMIT_FIELDS.find((name) => mine.limits?.[name] !== earlier.limits?.[name]);
  if (field === undefined) return undefined;
  return {
    path: `flowControl.${field}`,
    message: `gives key ${JSON.stringify(key)} ${field} ${show(mine.limits[field])}, but ${earlier.where} gave it ${show(earlier.limits[field])}: ${advice}`,
  };
}

import { describeIssues, serializeEnvelope } from '@parc/envelope';
import { ParcError } from '@parc/errors';
import type { SpanGroup } from '@parc/tracing';
import type { AcceptedRequest } from '@parc/store';
import type { BatchSubmission } from '../schemas/bodies';
import type { ApiIssue, IssueCheck } from '../validation';
import type { LocatedIssue, SpecConverter, SubmissionIds } from './converter';
import type { BatchContext } from './merge';
import { FlowAgreement } from './flow-agreement';

/** Enough to fix a batch; more would only make the error body huge. */
export const MAX_REPORTED_ISSUES = 1_000;

/**
 * Issues of items at `requests[i].…`; issues of shared fields once, at `defaults.…` or the batch
 * field, with the index of the first item they made invalid (the item's own fields may be part
 * of the problem, e.g. a default body on an item that says GET).
 */
class IssueCollector {
  readonly issues: ApiIssue[] = [];
  private readonly invalid = new Set<number>();
  private readonly shared = new Set<string>();

  get invalidItems(): number {
    return this.invalid.size;
  }

  /** Schema issues, already at their full path. */
  addChecked(issues: readonly ApiIssue[]): void {
    for (const issue of issues) {
      if (issue.index !== undefined) this.invalid.add(issue.index);
      this.push(issue);
    }
  }

  /** Conversion issues of item `index`, at paths relative to the item. */
  addConverted(index: number, located: readonly LocatedIssue[]): void {
    this.invalid.add(index);
    for (const { origin, path, message } of located) {
      if (origin === 'item') {
        this.push({ index, path: `requests[${index}].${path}`, message });
        continue;
      }
      const at = origin === 'defaults' ? `defaults.${path}` : path;
      if (this.shared.has(at)) continue;
      this.shared.add(at);
      this.push({ index, path: at, message });
    }
  }

  isInvalid(index: number): boolean {
    return this.invalid.has(index);
  }

  private push(issue: ApiIssue): void {
    if (this.issues.length < MAX_REPORTED_ISSUES) this.issues.push(issue);
  }

  error(total: number | undefined): ParcError {
    const what =
      total === undefined || this.invalidItems === 0
        ? 'the batch is invalid'
        : `${this.invalidItems} of ${total} requests ${this.invalidItems === 1 ? 'is' : 'are'} invalid`;
    return new ParcError('REQUEST_INVALID', `${what}: ${describeIssues(this.issues)}`, { details: this.issues });
  }
}

/** What {@link buildJsonBatch} needs. */
export interface JsonBatchTools {
  readonly checkBatch: IssueCheck<BatchSubmission>;
  readonly converter: SpecConverter;
}

/**
 * Checks and converts a whole JSON batch, all or nothing: every item becomes a serialised
 * envelope, or nothing does and the error lists the problems of every item (schema and
 * semantic ones together). Synchronous: no awaits per item. With tracing on, each converted
 * request's accept span joins `spans`.
 * @throws ParcError REQUEST_INVALID with one detail per problem (`index`, `path`, `message`).
 */
export function buildJsonBatch(body: unknown, tools: JsonBatchTools, ids: SubmissionIds, nowMs: number, spans?: SpanGroup): AcceptedRequest[] {
  const collector = new IssueCollector();
  const checked = tools.checkBatch(body);
  const items = (body as { requests?: unknown } | null)?.requests;
  if (!checked.ok) {
    collector.addChecked(checked.issues);
    // Converting items is only safe when everything but some items is well-formed.
    if (checked.issues.some((issue) => issue.index === undefined)) throw collector.error(Array.isArray(items) ? items.length : undefined);
  }
  const submission = body as BatchSubmission;
  const batch: BatchContext = { defaults: submission.defaults, callback: submission.callback, metadata: submission.metadata };
  const accepted: AcceptedRequest[] = [];
  const agreement = new FlowAgreement();
  submission.requests.forEach((item, index) => {
    if (collector.isInvalid(index)) return;
    const result = tools.converter.convert(item, batch, ids, nowMs, spans);
    const disagreement = result.ok ? agreement.check(result.envelope, `requests[${index}]`) : undefined;
    if (!result.ok) collector.addConverted(index, result.issues);
    else if (disagreement !== undefined) collector.addConverted(index, [{ ...disagreement, origin: 'item' }]);
    // Once an item failed nothing will be enqueued: keep checking, stop serialising.
    else if (collector.invalidItems === 0) accepted.push({ id: result.envelope.id, batchId: ids.batchId, payload: serializeEnvelope(result.envelope) });
  });
  if (collector.invalidItems > 0) throw collector.error(submission.requests.length);
  return accepted;
}

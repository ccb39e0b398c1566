import { retryPolicyIssues } from '@parc/backoff';
import type { FieldIssue } from '@parc/errors';
import { base64Issues } from './base64';
import { headerIssues, isBodylessMethod, urlIssues } from './http-rules';
import type { EnvelopeLimits } from './limits';

/**
 * Rules JSON Schema cannot express: configurable limits, URL parsing, canonical base64,
 * header semantics, cross-field consistency. Every check looks at the raw value defensively,
 * because it also runs when the schema already failed, so all problems are reported at once.
 */

type Fields = Record<string, unknown>;
const asFields = (value: unknown): Fields | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;

function requestIssues(value: unknown, limits: EnvelopeLimits): FieldIssue[] {
  const request = asFields(value);
  if (request === undefined) return [];
  const issues = [
    ...urlIssues(request['url'], 'request.url', limits),
    ...headerIssues(request['headers'], 'request.headers', limits),
    ...base64Issues(request['bodyBase64'], 'request.bodyBase64', limits.maxBodyBytes, 'maxBodyBytes'),
  ];
  if (request['bodyBase64'] !== undefined && isBodylessMethod(request['method'])) {
    issues.push({ path: 'request.bodyBase64', message: `must be absent for ${String(request['method'])} requests` });
  }
  const timeoutMs = request['timeoutMs'];
  if (typeof timeoutMs === 'number' && timeoutMs > limits.maxTimeoutMs) {
    issues.push({ path: 'request.timeoutMs', message: `must be at most ${limits.maxTimeoutMs} (limit maxTimeoutMs)` });
  }
  return issues;
}

function callbackIssues(value: unknown, limits: EnvelopeLimits): FieldIssue[] {
  const callback = asFields(value);
  if (callback === undefined) return [];
  return [...urlIssues(callback['url'], 'callback.url', limits), ...headerIssues(callback['headers'], 'callback.headers', limits)];
}

function metadataIssues(value: unknown, limits: EnvelopeLimits): FieldIssue[] {
  if (asFields(value) === undefined) return [];
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(value));
  } catch (error) {
    return [{ path: 'metadata', message: `must be plain JSON (${error instanceof Error ? error.message : String(error)})` }];
  }
  return bytes > limits.maxMetadataBytes
    ? [{ path: 'metadata', message: `must serialise to at most ${limits.maxMetadataBytes} bytes of JSON (limit maxMetadataBytes), got ${bytes}` }]
    : [];
}

/** Policy rules beyond the schema's ranges; only run on a policy the schema accepted. */
function policyIssues(policy: Fields, limits: EnvelopeLimits): FieldIssue[] {
  const issues = retryPolicyIssues(policy, { path: 'policy' });
  const maxAttempts = policy['maxAttempts'];
  if (typeof maxAttempts === 'number' && maxAttempts > limits.maxAttempts) {
    issues.push({ path: 'policy.maxAttempts', message: `must be at most ${limits.maxAttempts} (limit maxAttempts)` });
  }
  return issues;
}

function timestampMs(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function timelineIssues(envelope: Fields): FieldIssue[] {
  const [accepted, notBefore, deadline] = ['acceptedAt', 'notBefore', 'deadlineAt'].map((f) => timestampMs(envelope[f]));
  const issues: FieldIssue[] = [];
  if (accepted !== undefined && notBefore !== undefined && notBefore < accepted) {
    issues.push({ path: 'notBefore', message: 'must not be before acceptedAt' });
  }
  if (accepted !== undefined && deadline !== undefined && deadline <= accepted) {
    issues.push({ path: 'deadlineAt', message: 'must be after acceptedAt' });
  } else if (notBefore !== undefined && deadline !== undefined && deadline <= notBefore) {
    issues.push({ path: 'deadlineAt', message: 'must be after notBefore, or no attempt could ever start' });
  }
  return issues;
}

/** `maxAttempts` is undefined when the policy itself is invalid: its count would mislead. */
function attemptIssues(value: unknown, maxAttempts: number | undefined, limits: EnvelopeLimits): FieldIssue[] {
  if (!Array.isArray(value)) return [];
  const issues: FieldIssue[] = [];
  if (maxAttempts !== undefined && value.length > maxAttempts) {
    issues.push({ path: 'attempts', message: `must hold at most policy.maxAttempts (${maxAttempts}) entries, got ${value.length}` });
  }
  value.forEach((item, index) => {
    const attempt = asFields(item);
    if (attempt === undefined) return;
    const path = `attempts[${index}]`;
    if (typeof attempt['attempt'] === 'number' && attempt['attempt'] !== index + 1) {
      issues.push({ path: `${path}.attempt`, message: `must be ${index + 1} (attempts are numbered 1, 2, 3… in order)` });
    }
    if (attempt['status'] === undefined && attempt['error'] === undefined) {
      issues.push({ path, message: 'must have a status, an error, or both' });
    }
    issues.push(...base64Issues(attempt['bodyBase64'], `${path}.bodyBase64`, limits.maxRecordedBodyBytes, 'maxRecordedBodyBytes'));
  });
  return issues;
}

/** `periodMs` is the window of `rate`: alone it would silently mean nothing. */
function flowControlIssues(value: unknown): FieldIssue[] {
  const flow = asFields(value);
  if (flow === undefined || flow['periodMs'] === undefined || flow['rate'] !== undefined) return [];
  return [{ path: 'flowControl.periodMs', message: 'is the window of rate: give rate with it, or leave it out' }];
}

/** The trace context names the envelope's own trace: a stage parenting its span on it stays in that trace. */
function traceIssues(envelope: Fields): FieldIssue[] {
  const trace = asFields(envelope['trace']);
  const traceparent = trace?.['traceparent'];
  const traceId = envelope['traceId'];
  if (typeof traceparent !== 'string' || typeof traceId !== 'string' || traceparent.slice(3, 35) === traceId) return [];
  return [{ path: 'trace.traceparent', message: `must carry the envelope's traceId (${traceId.slice(0, 32)})` }];
}

/** Every semantic problem of a would-be envelope; `schemaIssues` are the schema's findings so far. */
export function envelopeRuleIssues(value: unknown, limits: EnvelopeLimits, schemaIssues: readonly FieldIssue[]): FieldIssue[] {
  const envelope = asFields(value);
  if (envelope === undefined) return [];
  const policy = schemaIssues.some(({ path }) => path === 'policy' || path.startsWith('policy.'))
    ? undefined
    : asFields(envelope['policy']);
  const policyProblems = policy === undefined ? [] : policyIssues(policy, limits);
  const maxAttempts = policy !== undefined && policyProblems.length === 0 ? (policy['maxAttempts'] as number) : undefined;
  return [
    ...timelineIssues(envelope),
    ...requestIssues(envelope['request'], limits),
    ...policyProblems,
    ...callbackIssues(envelope['callback'], limits),
    ...metadataIssues(envelope['metadata'], limits),
    ...attemptIssues(envelope['attempts'], maxAttempts, limits),
    ...flowControlIssues(envelope['flowControl']),
    ...traceIssues(envelope),
  ];
}

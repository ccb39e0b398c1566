import { ParcError, type FieldIssue } from '@parc/errors';
import type { ValidateFunction } from 'ajv';
import { ajvErrorsToIssues, createAjv, uniqueByPath } from './ajv-issues';
import { envelopeRuleIssues } from './envelope-rules';
import { resolveEnvelopeLimits, type EnvelopeLimits } from './limits';
import { EnvelopeSchema, type Envelope } from './schema';

/** The result of {@link validateEnvelope}. */
export type EnvelopeValidation =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

let compiled: ValidateFunction | undefined;

/** Compiled on first use, so importing the lib costs nothing. */
function schemaValidator(): ValidateFunction {
  compiled ??= createAjv().compile(EnvelopeSchema);
  return compiled;
}

/**
 * Full validation of an untrusted envelope: the JSON schema (types are never coerced, unknown
 * fields are rejected), then the semantic rules (URL, headers, base64, sizes against `limits`,
 * policy consistency, timeline, attempt numbering). All problems are reported together.
 */
export function validateEnvelope(value: unknown, limits?: Partial<EnvelopeLimits>): EnvelopeValidation {
  const validate = schemaValidator();
  const schemaIssues = validate(value) ? [] : ajvErrorsToIssues(validate.errors, { data: value });
  const issues = uniqueByPath([...schemaIssues, ...envelopeRuleIssues(value, resolveEnvelopeLimits(limits), schemaIssues)]);
  return issues.length === 0 ? { ok: true, envelope: value as Envelope } : { ok: false, issues };
}

/** One line for logs and error bodies: the first few issues, then a count of the rest. */
export function describeIssues(issues: readonly FieldIssue[], shown = 3): string {
  const listed = issues.slice(0, shown).map(({ path, message }) => `${path} ${message}`);
  const rest = issues.length - listed.length;
  return listed.join('; ') + (rest > 0 ? `; and ${rest} more` : '');
}

/** Throws a ParcError carrying `issues` as details, when there are any. */
export function throwIfIssues(what: string, issues: readonly FieldIssue[]): void {
  if (issues.length > 0) {
    throw new ParcError('ENVELOPE_INVALID', `${what} is invalid: ${describeIssues(issues)}`, { details: issues });
  }
}

/**
 * {@link validateEnvelope}, returning the typed envelope.
 * @throws ParcError ENVELOPE_INVALID with one detail per problem.
 */
export function assertValidEnvelope(value: unknown, limits?: Partial<EnvelopeLimits>): Envelope {
  const result = validateEnvelope(value, limits);
  if (!result.ok) throwIfIssues('envelope', result.issues);
  return value as Envelope;
}

import type { FieldIssue } from '@parc/errors';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { PATTERN_EXPECTATIONS } from './schema';

/**
 * An Ajv instance configured the way Parc validates input: no type coercion, nothing removed,
 * every error reported, strict schemas, and `verbose` so messages can name allowed fields.
 */
export function createAjv(): Ajv {
  const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: true, verbose: true, strict: true });
  addFormats(ajv, ['date-time']);
  return ajv;
}

/** Options for {@link ajvErrorsToIssues}. */
export interface AjvIssueOptions {
  /** Prepended to every path, e.g. `requests[3]`. */
  readonly prefix?: string;
  /** The validated value; lets numeric segments be told apart (array index vs. object key). */
  readonly data?: unknown;
}

const FORMAT_EXPECTATIONS: Readonly<Record<string, string>> = {
  'date-time': 'must be an ISO-8601 UTC timestamp such as 2025-01-31T12:00:00.000Z',
};

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

const RANGE_WORDS: Readonly<Record<string, string>> = {
  minimum: 'at least',
  maximum: 'at most',
  exclusiveMinimum: 'greater than',
  exclusiveMaximum: 'less than',
};

function segmentsOf(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Renders JSON-pointer segments as `a.b[2].c`, using the data (when given) to spot arrays. */
export function formatPath(prefix: string, segments: readonly string[], data?: unknown): string {
  let path = prefix;
  let node: unknown = data;
  for (const segment of segments) {
    const isIndex = Array.isArray(node) || (node === undefined && /^(0|[1-9]\d*)$/.test(segment));
    path += isIndex ? `[${segment}]` : path === '' ? segment : `.${segment}`;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return path === '' ? '(root)' : path;
}

function lengthMessage(kind: 'at least' | 'at most', limit: number, unit: string): string {
  if (kind === 'at least' && limit === 1 && unit === 'characters') return 'must not be empty';
  return `must have ${kind} ${limit} ${unit}`;
}

function allowedFields(error: ErrorObject): string {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties === undefined ? '' : `; expected one of: ${Object.keys(properties).join(', ')}`;
}

/** `must be one of: …`, and when only the case is wrong (`post`), the value to write instead. */
function enumMessage(error: ErrorObject): string {
  const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
  const listed = `must be one of: ${allowed.join(', ')}`;
  const value: unknown = error.data;
  if (typeof value !== 'string') return listed;
  const meant = allowed.find((candidate) => typeof candidate === 'string' && candidate.toLowerCase() === value.toLowerCase());
  return meant === undefined ? listed : `${listed} (case-sensitive: ${String(meant)}, not ${value})`;
}

/** A message a person can act on, saying what was expected. */
function messageFor(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return `is not a known field (unknown fields are rejected)${allowedFields(error)}`;
    case 'type':
      return `must be ${String(p['type'])
        .split(',')
        .map((type) => TYPE_NAMES[type] ?? type)
        .join(' or ')}`;
    case 'enum':
      return enumMessage(error);
    case 'const':
      return `must be ${JSON.stringify(p['allowedValue'])}`;
    case 'pattern':
      return PATTERN_EXPECTATIONS[String(p['pattern'])] ?? `must match the pattern ${String(p['pattern'])}`;
    case 'format':
      return FORMAT_EXPECTATIONS[String(p['format'])] ?? `must be a valid ${String(p['format'])}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${RANGE_WORDS[error.keyword]} ${String(p['limit'])}`;
    case 'minLength':
    case 'maxLength':
      return lengthMessage(error.keyword === 'minLength' ? 'at least' : 'at most', Number(p['limit']), 'characters');
    case 'minItems':
    case 'maxItems':
      return lengthMessage(error.keyword === 'minItems' ? 'at least' : 'at most', Number(p['limit']), 'items');
    case 'uniqueItems':
      return `must not contain duplicates (items ${Math.min(Number(p['i']), Number(p['j']))} and ${Math.max(Number(p['i']), Number(p['j']))} are equal)`;
    case 'anyOf':
    case 'oneOf': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return description === undefined ? 'does not match any allowed shape' : `must be ${description}`;
    }
    default:
      return error.message ?? `fails the ${error.keyword} rule`;
  }
}

/** The field an error is about: `required`/`additionalProperties` point at the parent object. */
function errorSegments(error: ErrorObject): string[] {
  const segments = segmentsOf(error.instancePath);
  const p = error.params as Record<string, unknown>;
  if (error.keyword === 'required') segments.push(String(p['missingProperty']));
  if (error.keyword === 'additionalProperties') segments.push(String(p['additionalProperty']));
  return segments;
}

/**
 * Turns Ajv errors into field issues with readable paths (`request.headers.X-Token`,
 * `attempts[0].status`) and messages that say what is expected. Errors inside a failed
 * `anyOf`/`oneOf` are folded into that one issue, and each path is reported once (first wins).
 */
export function ajvErrorsToIssues(
  errors: readonly ErrorObject[] | null | undefined,
  options: AjvIssueOptions = {},
): FieldIssue[] {
  const all = errors ?? [];
  const unions = all.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const insideUnion = (e: ErrorObject): boolean =>
    unions.some((u) => u !== e && e.schemaPath.startsWith(`${u.schemaPath}/`) && e.instancePath.startsWith(u.instancePath));
  const issues: FieldIssue[] = [];
  for (const error of all.filter((e) => !insideUnion(e))) {
    issues.push({ path: formatPath(options.prefix ?? '', errorSegments(error), options.data), message: messageFor(error) });
  }
  return uniqueByPath(issues);
}

/** Keeps the first issue per path: a second complaint about the same field adds noise, not help. */
export function uniqueByPath(issues: readonly FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.path) && seen.add(issue.path));
}

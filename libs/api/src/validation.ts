import { ajvErrorsToIssues, createAjv } from '@parc/envelope';
import type { FieldIssue } from '@parc/errors';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import type { ApiLimits } from './options';
import { SHARED_SCHEMAS, batchSubmissionSchema, refTo, type BatchSubmission } from './schemas/bodies';
import { RequestSpecSchema, type RequestSpec } from './schemas/request-spec';

/** The NDJSON media type. */
export const NDJSON = 'application/x-ndjson';

type Ajv = ReturnType<typeof createAjv>;
type AjvErrors = Parameters<typeof ajvErrorsToIssues>[0];
type ValidateFunction = ReturnType<Ajv['compile']>;

const ITEM_PATH = /^requests\[(\d+)\]/;

/** A problem with one field, and for a batch item, the item's index. */
export interface ApiIssue extends FieldIssue {
  readonly index?: number;
}

/** A compiled validator returning problems in the API's terms. */
export type IssueCheck<T> = (value: unknown) => { ok: true; value: T } | { ok: false; issues: ApiIssue[] };

/** Validation shared by the routes (through Fastify) and the intake handlers (directly). */
export interface Validation {
  /** Fastify's validator compiler for the API's scope. */
  readonly compiler: FastifySchemaCompiler<unknown>;
  /** Body schemas of `POST /v1/requests`, for the route: documented there, checked by the handlers. */
  readonly intakeBodies: { readonly json: TSchema; readonly ndjson: TSchema };
  /** Checks a JSON batch (items at `requests[i].…`, with their index). */
  readonly batch: IssueCheck<BatchSubmission>;
  /** Checks one NDJSON line's value against RequestSpec. */
  readonly requestSpec: IssueCheck<RequestSpec>;
}

/** An issue at `requests[i]…` carries the item's index. */
function withIndex(issue: FieldIssue): ApiIssue {
  const index = ITEM_PATH.exec(issue.path)?.[1];
  return index === undefined ? issue : { index: Number(index), ...issue };
}

function issueCheck<T>(validate: ValidateFunction): IssueCheck<T> {
  return (value) =>
    validate(value) ? { ok: true, value: value as T } : { ok: false, issues: ajvErrorsToIssues(validate.errors, { data: value }).map(withIndex) };
}

/**
 * One strict Ajv (no coercion, nothing removed, all errors) holding the shared schemas, so that
 * `$ref`s resolve the same way in routes and handlers. Every schema compiles once. The intake
 * bodies are checked by the handlers rather than by Fastify: a JSON batch reports schema and
 * semantic problems of all items together, and an NDJSON body is a stream checked per line.
 */
export function createValidation(limits: Pick<ApiLimits, 'maxBatchRequests'>): Validation {
  const ajv: Ajv = createAjv();
  for (const schema of SHARED_SCHEMAS) ajv.addSchema(schema);
  const json = batchSubmissionSchema(limits.maxBatchRequests);
  const ndjson = { ...refTo(RequestSpecSchema), description: 'One RequestSpec JSON object per line' };
  const checkedByHandler = new WeakSet<object>([json, ndjson]);
  const compiler: FastifySchemaCompiler<unknown> = ({ schema }) =>
    checkedByHandler.has(schema as object) ? () => true : ajv.compile(schema as object);
  return {
    compiler,
    intakeBodies: { json, ndjson },
    batch: issueCheck(ajv.compile(json)),
    requestSpec: issueCheck(ajv.compile(RequestSpecSchema)),
  };
}

/**
 * Fastify validation errors as API issues: body paths as written, other parts prefixed with
 * where they were (`params.id`, `querystring.limit`, `headers.idempotency-key`).
 */
export function validationIssues(errors: readonly FastifySchemaValidationError[], context: string | undefined, data: unknown): FieldIssue[] {
  const prefix = context === undefined || context === 'body' ? '' : context;
  return ajvErrorsToIssues(errors as AjvErrors, { prefix, data });
}

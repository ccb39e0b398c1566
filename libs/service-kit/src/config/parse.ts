import { ParcError, type FieldIssue } from '@parc/errors';
import type { ConfigField, FieldKind } from './fields';

/** A config spec: config keys mapped to the fields that fill them. */
export type ConfigSpec = { readonly [key: string]: ConfigField<unknown> };

/** The frozen, typed config a spec parses into. */
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: S[K] extends ConfigField<infer T> ? T : never };

/** The environment as apps pass it in (`process.env`); libs never read it themselves. */
export type Env = Readonly<Record<string, string | undefined>>;

const MAX_SHOWN_LENGTH = 80;

/** Quotes a bad value for an error message without leaking secrets or URL passwords. */
function show(field: ConfigField<unknown>, raw: string): string {
  if (field.secret) return '[secret]';
  const masked = raw.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1****@');
  const shortened = masked.length > MAX_SHOWN_LENGTH ? `${masked.slice(0, MAX_SHOWN_LENGTH)}…` : masked;
  return JSON.stringify(shortened);
}

function problemWith(field: ConfigField<unknown>, raw: string | undefined): FieldIssue {
  const message =
    raw === undefined
      ? `is required but not set (expected ${field.expected})`
      : `${show(field, raw)} is not ${field.expected}`;
  return { path: field.env, message };
}

/**
 * Reads every field of `spec` from `env` and returns the config, deeply frozen. Unset and empty
 * variables take the field's default. Throws `ParcError('CONFIG_INVALID')` naming every bad
 * variable at once (so one restart fixes them all); secret values never appear in it.
 */
export function parseConfig<S extends ConfigSpec>(spec: S, env: Env): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  const problems: FieldIssue[] = [];
  for (const [key, field] of Object.entries(spec)) {
    const raw = env[field.env]?.trim();
    if (raw === undefined || raw === '') {
      if (field.required) problems.push(problemWith(field, undefined));
      config[key] = field.default;
      continue;
    }
    const parsed = field.parse(raw);
    if (parsed.ok) config[key] = parsed.value;
    else problems.push(problemWith(field, raw));
  }
  if (problems.length > 0) throw invalidConfiguration(problems);
  return deepFreeze(config) as ConfigOf<S>;
}

/**
 * The CONFIG_INVALID error for `problems` (each `path` the variable's name), one line per
 * variable, as parseConfig reports them. For checks that span variables, made after parsing.
 */
export function invalidConfiguration(problems: readonly FieldIssue[]): ParcError {
  const lines = problems.map((problem) => `  ${problem.path}: ${problem.message}`);
  const noun = problems.length === 1 ? 'variable' : 'variables';
  return new ParcError('CONFIG_INVALID', `Invalid configuration, ${problems.length} ${noun}:\n${lines.join('\n')}`, { details: problems });
}

function deepFreeze<T>(value: T): T {
  if (Array.isArray(value) || (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** One environment variable as the docs show it. */
export interface ConfigRow {
  /** Name of the environment variable. */
  readonly name: string;
  readonly kind: FieldKind;
  /** What a valid value looks like, e.g. `an integer between 1 and 65535`. */
  readonly expected: string;
  /** The default rendered as text; `undefined` when there is none. */
  readonly default: string | undefined;
  readonly required: boolean;
  readonly description: string;
}

/** Describes a spec as rows, in spec order, for docs/configuration.md. */
export function describeConfig(spec: ConfigSpec): ConfigRow[] {
  return Object.values(spec).map((field) => ({
    name: field.env,
    kind: field.kind,
    expected: field.expected,
    default: field.default === undefined ? undefined : field.format(field.default),
    required: field.required,
    description: field.description,
  }));
}

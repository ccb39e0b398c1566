import { Secret } from './secret';

/** The kinds of value an environment variable can hold; shown in the docs. */
export type FieldKind = 'string' | 'integer' | 'port' | 'boolean' | 'url' | 'enum' | 'list' | 'duration' | 'secret';

/** Outcome of parsing one raw value: the value, or `invalid` and the expectation is reported. */
type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/**
 * One environment variable of a config spec. `T` is the parsed type as the config exposes it
 * (it includes `undefined` for optional fields). Build fields with the `field.*` builders.
 */
export interface ConfigField<T> {
  readonly kind: FieldKind;
  /** Name of the environment variable, e.g. `PORT`. */
  readonly env: string;
  /** One sentence for docs/configuration.md. */
  readonly description: string;
  readonly required: boolean;
  /** The value used when the variable is unset or empty (`undefined`: none). */
  readonly default: T | undefined;
  /** What a valid value looks like, completing "… is not <expected>" in error messages. */
  readonly expected: string;
  /** Secret values are masked in error messages and docs. */
  readonly secret: boolean;
  /** Parses a non-empty raw value. */
  parse(raw: string): Parsed<T>;
  /** Renders the default for the docs. */
  format(value: T): string;
}

/** Options every field takes. */
export interface FieldCommon {
  /** Name of the environment variable. */
  readonly env: string;
  readonly description: string;
}

/**
 * Each field says explicitly how absence is handled: a default, required, or optional
 * (then the config holds `undefined`). An unset or empty variable counts as absent.
 */
export type Presence<T> =
  | { readonly default: T; readonly required?: undefined; readonly optional?: undefined }
  | { readonly required: true; readonly default?: undefined; readonly optional?: undefined }
  | { readonly optional: true; readonly default?: undefined; readonly required?: undefined };

/** The config type of a field given its presence options: optional fields may be `undefined`. */
export type Resolved<T, O> = O extends { readonly optional: true } ? T | undefined : T;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const INVALID: Parsed<never> = { ok: false };

interface KindDefinition<T> {
  readonly kind: FieldKind;
  readonly expected: string;
  readonly parse: (raw: string) => Parsed<T>;
  readonly format?: (value: T) => string;
  readonly secret?: boolean;
}

function define<T, O extends Presence<T>>(options: FieldCommon & O, kind: KindDefinition<T>): ConfigField<Resolved<T, O>> {
  const field: ConfigField<T> = {
    kind: kind.kind,
    env: options.env,
    description: options.description,
    required: options.required === true,
    default: options.default,
    expected: kind.expected,
    secret: kind.secret ?? false,
    parse: kind.parse,
    format: kind.format ?? String,
  };
  // The optional case only widens T with undefined, which parse/format never see.
  return Object.freeze(field) as ConfigField<Resolved<T, O>>;
}

function parseInteger(raw: string, min: number, max: number): Parsed<number> {
  if (!/^-?\d+$/.test(raw)) return INVALID;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= min && value <= max ? ok(value) : INVALID;
}

/** " between 1 and 5", " of at least 1", … or "" when only the kind's natural bounds apply. */
function rangeText(min: number, max: number, lowest: number, unit = ''): string {
  if (max === Number.MAX_SAFE_INTEGER) return min === lowest ? '' : ` of at least ${min}${unit}`;
  return min === lowest ? ` of at most ${max}${unit}` : ` between ${min} and ${max}${unit}`;
}

/** Bounds of integer and duration fields (inclusive). */
export interface Range {
  readonly min?: number;
  readonly max?: number;
}

function integer<O extends Presence<number>>(options: FieldCommon & Range & O): ConfigField<Resolved<number, O>> {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  return define<number, O>(options, {
    kind: 'integer',
    expected: `an integer${rangeText(min, max, Number.MIN_SAFE_INTEGER)}`,
    parse: (raw) => parseInteger(raw, min, max),
  });
}

function port<O extends Presence<number>>(options: FieldCommon & O): ConfigField<Resolved<number, O>> {
  return define<number, O>(options, {
    kind: 'port',
    expected: 'an integer between 1 and 65535',
    parse: (raw) => parseInteger(raw, 1, 65535),
  });
}

function string<O extends Presence<string>>(options: FieldCommon & O): ConfigField<Resolved<string, O>> {
  return define<string, O>(options, { kind: 'string', expected: 'a string', parse: ok });
}

const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false };

function boolean<O extends Presence<boolean>>(options: FieldCommon & O): ConfigField<Resolved<boolean, O>> {
  return define<boolean, O>(options, {
    kind: 'boolean',
    expected: 'one of true, false, 1, 0',
    parse: (raw) => (Object.hasOwn(BOOLEANS, raw) ? ok(BOOLEANS[raw] === true) : INVALID),
  });
}

/** Options of URL fields: which schemes are accepted, e.g. `['http', 'https']`. */
export interface UrlOptions {
  readonly protocols: readonly string[];
}

function url<O extends Presence<string>>(options: FieldCommon & UrlOptions & O): ConfigField<Resolved<string, O>> {
  const protocols = options.protocols.map((p) => p.replace(/:$/, '').toLowerCase());
  return define<string, O>(options, {
    kind: 'url',
    expected: `a URL with protocol ${protocols.join(' or ')}`,
    parse: (raw) => {
      if (!URL.canParse(raw)) return INVALID;
      return protocols.includes(new URL(raw).protocol.replace(/:$/, '')) ? ok(raw) : INVALID;
    },
  });
}

/** Options of enum fields: the accepted values, exactly as written. */
export interface EnumOptions<V extends string> {
  readonly values: readonly V[];
}

function oneOf<const V extends string, O extends Presence<V>>(
  options: FieldCommon & EnumOptions<V> & O,
): ConfigField<Resolved<V, O>> {
  const values: readonly string[] = options.values;
  return define<V, O>(options, {
    kind: 'enum',
    expected: `one of ${values.join(', ')}`,
    parse: (raw) => (values.includes(raw) ? ok(raw as V) : INVALID),
  });
}

function list<O extends Presence<readonly string[]>>(options: FieldCommon & O): ConfigField<Resolved<readonly string[], O>> {
  return define<readonly string[], O>(options, {
    kind: 'list',
    expected: 'a comma-separated list of non-empty items',
    parse: (raw) => {
      const items = raw.split(',').map((item) => item.trim());
      return items.every((item) => item.length > 0) ? ok(items) : INVALID;
    },
    format: (value) => value.join(','),
  });
}

const DURATION_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDuration(raw: string, min: number, max: number): Parsed<number> {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(raw);
  if (!match) return INVALID;
  const value = Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? Number.NaN);
  return Number.isSafeInteger(value) && value >= min && value <= max ? ok(value) : INVALID;
}

function duration<O extends Presence<number>>(options: FieldCommon & Range & O): ConfigField<Resolved<number, O>> {
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  return define<number, O>(options, {
    kind: 'duration',
    expected: `a duration${rangeText(min, max, 0, ' ms')} (ms, or with a unit: 1500, 500ms, 10s, 5m, 1h)`,
    parse: (raw) => parseDuration(raw, min, max),
  });
}

/** Options of secret fields. */
export interface SecretOptions {
  /** Refuse shorter values (API keys and signing secrets should be long). */
  readonly minLength?: number;
}

/** Secrets have no default: a default secret would be a published one. */
type SecretPresence =
  | { readonly required: true; readonly optional?: undefined }
  | { readonly optional: true; readonly required?: undefined };

function secret<O extends SecretPresence>(options: FieldCommon & SecretOptions & O): ConfigField<Resolved<Secret, O>> {
  const minLength = options.minLength ?? 1;
  return define<Secret, O>(options, {
    kind: 'secret',
    expected: minLength > 1 ? `a secret of at least ${minLength} characters` : 'a secret',
    parse: (raw) => (raw.length >= minLength ? ok(new Secret(raw)) : INVALID),
    secret: true,
  });
}

/**
 * Builders of config fields, one per kind. Each takes the variable name, a description, and
 * one of `default`, `required: true` or `optional: true`:
 *
 * ```ts
 * const spec = {
 *   port: field.port({ env: 'PORT', default: 8080, description: 'TCP port of the HTTP server.' }),
 *   apiKey: field.secret({ env: 'API_KEY', required: true, minLength: 16, description: '…' }),
 * };
 * ```
 */
export const field = { string, integer, port, boolean, url, enum: oneOf, list, duration, secret } as const;

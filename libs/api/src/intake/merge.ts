import type { CallbackSpec, RequestDefaults, RequestSpec } from '../schemas/request-spec';

/** Batch-level fields of a submission that apply to each of its items. */
export interface BatchContext {
  readonly defaults?: RequestDefaults;
  /** Callback for items that name none (JSON `callback`, NDJSON `Parc-Callback-*` headers). */
  readonly callback?: CallbackSpec;
  /** Merged under every item's metadata. */
  readonly metadata?: Record<string, unknown>;
}

/** Where a field of a merged spec came from, so a problem is reported where the user wrote it. */
export type Origin = 'item' | 'defaults' | 'batch';

type Fields = Record<string, unknown>;

/** Header names are case-insensitive: an item's header replaces a default of any spelling. */
function mergeHeaders(base?: Record<string, string>, own?: Record<string, string>): Record<string, string> | undefined {
  if (base === undefined || own === undefined) return own ?? base;
  const overridden = new Set(Object.keys(own).map((name) => name.toLowerCase()));
  const kept = Object.entries(base).filter(([name]) => !overridden.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...own };
}

/** Spread, not Object.assign: a parsed `__proto__` key must stay a plain key, not set a prototype. */
function mergeMaps<T extends object>(...layers: (T | undefined)[]): T | undefined {
  const present = layers.filter((layer): layer is T => layer !== undefined);
  if (present.length <= 1) return present[0];
  return present.reduce((merged, layer) => ({ ...merged, ...layer }));
}

/**
 * The item with the batch's defaults, callback and metadata applied: `headers`, `retry`,
 * `metadata` and `flowControl` merge key by key (the item wins), `callback` falls back item → defaults → batch,
 * other fields are taken from the item when it sets them. An item with a body of its own
 * (`body` or `bodyBase64`) takes neither body field from the defaults.
 */
export function mergeSpec(item: RequestSpec, batch: BatchContext): RequestSpec {
  const defaults = batch.defaults;
  if (defaults === undefined && batch.callback === undefined && batch.metadata === undefined) return item;
  const base: RequestDefaults = { ...defaults };
  if (item.body !== undefined || item.bodyBase64 !== undefined) {
    delete base.body;
    delete base.bodyBase64;
  }
  const merged: RequestSpec = { ...base, ...item };
  const headers = mergeHeaders(defaults?.headers, item.headers);
  const retry = mergeMaps(defaults?.retry, item.retry);
  const metadata = mergeMaps(batch.metadata, defaults?.metadata, item.metadata);
  const flowControl = mergeMaps(defaults?.flowControl, item.flowControl);
  const callback = item.callback ?? defaults?.callback ?? batch.callback;
  if (headers !== undefined) merged.headers = headers;
  if (retry !== undefined) merged.retry = retry;
  if (metadata !== undefined) merged.metadata = metadata;
  if (flowControl !== undefined) merged.flowControl = flowControl;
  if (callback !== undefined) merged.callback = callback;
  return merged;
}

const MAP_FIELDS = new Set(['headers', 'retry', 'metadata', 'flowControl']);

/** `retry.retryOn[2]` → ['retry', 'retryOn']; `headers.X-A.b` → ['headers', 'X-A.b'] (names may hold dots). */
function fieldAndKey(path: string): [string, string | undefined] {
  const match = /^([^.[]+)(?:\.(.+))?/.exec(path);
  const field = match?.[1] ?? path;
  const rest = match?.[2];
  if (rest === undefined || field !== 'retry') return [field, rest];
  return [field, /^[^.[]+/.exec(rest)?.[0]];
}

const has = (fields: Fields | undefined, key: string): boolean => fields !== undefined && fields[key] !== undefined;

function mapOrigin(field: string, key: string | undefined, item: Fields, batch: BatchContext): Origin {
  const layer = (fields: Fields | undefined): Fields | undefined => fields?.[field] as Fields | undefined;
  const defaults = batch.defaults as Fields | undefined;
  const sets = (fields: Fields | undefined): boolean =>
    key === undefined ? has(fields, field) : has(layer(fields), key);
  if (sets(item)) return 'item';
  if (sets(defaults)) return 'defaults';
  if (field === 'metadata' && sets({ metadata: batch.metadata })) return 'batch';
  return 'item';
}

/**
 * Which layer a problem at `path` (an API path relative to the spec, e.g. `retry.maxAttempts`)
 * belongs to. A value nobody set (a deployment default) is the item's problem.
 */
export function originOf(path: string, item: RequestSpec, batch: BatchContext): Origin {
  const fields = item as Fields;
  const [field, key] = fieldAndKey(path);
  if (MAP_FIELDS.has(field)) return mapOrigin(field, key, fields, batch);
  if (field === 'body' || field === 'bodyBase64') {
    return has(fields, 'body') || has(fields, 'bodyBase64') || batch.defaults === undefined ? 'item' : 'defaults';
  }
  if (has(fields, field)) return 'item';
  if (has(batch.defaults as Fields | undefined, field)) return 'defaults';
  return field === 'callback' && batch.callback !== undefined ? 'batch' : 'item';
}

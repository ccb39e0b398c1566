import { FLOW_LIMIT_BOUNDS } from '@parc/envelope';
import { ParcError } from '@parc/errors';
import type { DestinationPolicy } from '@parc/pipeline';
import { field, type ConfigOf } from '@parc/service-kit';
import { DEFAULT_GATE_SETTINGS, type FlowLimits, type GateSettings } from '@parc/store';

const { breaker, adaptive } = DEFAULT_GATE_SETTINGS;

/** The destination gate's deployment settings (docs/destinations.md): parc-caller, and the proxy for its views. */
export const gateSpec = {
  breakerConsecutiveFailures: field.integer({
    env: 'BREAKER_CONSECUTIVE_FAILURES',
    default: breaker.consecutiveFailures,
    min: 0,
    max: 1_000,
    description: "Failed calls in a row (transport errors, 5xx, 429) that open a destination's circuit breaker; 0 (the default for now): never.",
  }),
  breakerMinCalls: field.integer({
    env: 'BREAKER_MIN_CALLS',
    default: breaker.minCalls,
    min: 0,
    max: 1_000_000,
    description: 'Calls within BREAKER_WINDOW_MS before the failure share can open the breaker; 0 (the default for now): the share never opens it.',
  }),
  breakerWindowMs: field.duration({ env: 'BREAKER_WINDOW_MS', default: breaker.windowMs, min: 2_000, description: 'The window of the failure share (counted in 2-second buckets).' }),
  breakerFailurePercent: field.integer({
    env: 'BREAKER_FAILURE_PERCENT',
    default: breaker.failureRatio * 100,
    min: 1,
    max: 100,
    description: 'Share of failed calls in the window, in percent, that opens the breaker.',
  }),
  breakerCooldownMs: field.duration({ env: 'BREAKER_COOLDOWN_MS', default: breaker.cooldownMs, min: 1, description: 'How long an open breaker holds calls before one probe decides; doubles after a failed probe.' }),
  breakerMaxCooldownMs: field.duration({ env: 'BREAKER_MAX_COOLDOWN_MS', default: breaker.maxCooldownMs, min: 1, description: 'The longest cool-down after failed probes.' }),
  adaptiveMaxConcurrency: field.integer({
    env: 'DESTINATION_ADAPTIVE_MAX',
    default: adaptive.maxLimit,
    min: 1,
    max: FLOW_LIMIT_BOUNDS.parallelism.max,
    description: 'Ceiling of the learned concurrency of an adaptive key that has no parallelism of its own.',
  }),
};

/** parc-caller's limits for requests without flow control of their own. */
export const destinationSpec = {
  ...gateSpec,
  destinationDefaultRate: field.integer({
    env: 'DESTINATION_DEFAULT_RATE',
    optional: true,
    ...FLOW_LIMIT_BOUNDS.rate,
    description: 'Calls per DESTINATION_DEFAULT_PERIOD_MS to one origin for requests without flowControl (unset: no limit).',
  }),
  destinationDefaultPeriodMs: field.duration({ env: 'DESTINATION_DEFAULT_PERIOD_MS', default: 1_000, min: 1, description: 'The window of DESTINATION_DEFAULT_RATE.' }),
  destinationDefaultParallelism: field.integer({
    env: 'DESTINATION_DEFAULT_PARALLELISM',
    optional: true,
    ...FLOW_LIMIT_BOUNDS.parallelism,
    description: 'Calls in flight to one origin, across all callers and Parcs, for requests without flowControl (unset: no limit).',
  }),
  destinationLimits: field.string({
    env: 'DESTINATION_LIMITS',
    optional: true,
    description:
      'Limits per origin a request cannot raise, as JSON: {"https://api.example.com": {"rate": 50, "periodMs": 1000, "parallelism": 10, "adaptive": true}}.',
  }),
};

export type GateConfig = ConfigOf<typeof gateSpec>;
export type DestinationConfig = ConfigOf<typeof destinationSpec>;

export function gateSettings(config: GateConfig): GateSettings {
  return {
    breaker: {
      consecutiveFailures: config.breakerConsecutiveFailures,
      minCalls: config.breakerMinCalls,
      windowMs: config.breakerWindowMs,
      failureRatio: config.breakerFailurePercent / 100,
      cooldownMs: config.breakerCooldownMs,
      maxCooldownMs: Math.max(config.breakerCooldownMs, config.breakerMaxCooldownMs),
    },
    adaptive: { ...DEFAULT_GATE_SETTINGS.adaptive, maxLimit: config.adaptiveMaxConcurrency },
    recheckMs: DEFAULT_GATE_SETTINGS.recheckMs,
  };
}

/** The operator's limits; a malformed DESTINATION_LIMITS is a config error naming what is wrong. */
export function destinationPolicy(config: DestinationConfig): DestinationPolicy {
  const defaults: FlowLimits = {
    ...(config.destinationDefaultRate === undefined ? {} : { rate: config.destinationDefaultRate, periodMs: config.destinationDefaultPeriodMs }),
    ...(config.destinationDefaultParallelism === undefined ? {} : { parallelism: config.destinationDefaultParallelism }),
  };
  return { defaults, perOrigin: parseDestinationLimits(config.destinationLimits) };
}

const LIMIT_NAMES = ['rate', 'periodMs', 'parallelism', 'adaptive'] as const;

function invalid(problem: string): ParcError {
  return new ParcError('CONFIG_INVALID', `DESTINATION_LIMITS: ${problem}`);
}

function integerIn(origin: string, name: 'rate' | 'periodMs' | 'parallelism', value: unknown): number {
  const { min, max } = FLOW_LIMIT_BOUNDS[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${origin}: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `{"https://api.example.com": {"rate": 50}}` → origin → limits. */
export function parseDestinationLimits(raw: string | undefined): Map<string, FlowLimits> {
  const limits = new Map<string, FlowLimits>();
  if (raw === undefined) return limits;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw invalid(`is not JSON (${error instanceof Error ? error.message : String(error)}); expected {"https://api.example.com": {"rate": 50, "parallelism": 10}}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('must be a JSON object from origin to limits');
  for (const [origin, value] of Object.entries(parsed)) {
    let canonical: string;
    try {
      canonical = new URL(origin).origin;
    } catch {
      throw invalid(`${JSON.stringify(origin)} is not an origin such as https://api.example.com`);
    }
    if (canonical !== origin) throw invalid(`${JSON.stringify(origin)} must be written as its origin, ${JSON.stringify(canonical)}`);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${origin}: must be an object such as {"rate": 50}`);
    const entry = value as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((name) => !(LIMIT_NAMES as readonly string[]).includes(name));
    if (unknown.length > 0) throw invalid(`${origin}: ${unknown.join(', ')} is not one of ${LIMIT_NAMES.join(', ')}`);
    if (entry['periodMs'] !== undefined && entry['rate'] === undefined) throw invalid(`${origin}: periodMs is the window of rate; give rate with it`);
    if (entry['adaptive'] !== undefined && typeof entry['adaptive'] !== 'boolean') throw invalid(`${origin}: adaptive must be true or false`);
    limits.set(origin, {
      ...(entry['rate'] === undefined ? {} : { rate: integerIn(origin, 'rate', entry['rate']), periodMs: entry['periodMs'] === undefined ? 1_000 : integerIn(origin, 'periodMs', entry['periodMs']) }),
      ...(entry['parallelism'] === undefined ? {} : { parallelism: integerIn(origin, 'parallelism', entry['parallelism']) }),
      ...(entry['adaptive'] === true ? { adaptive: true } : {}),
    });
  }
  return limits;
}

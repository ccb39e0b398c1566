import { EgressPolicy, HttpCaller } from '@parc/egress';
import { ParcError } from '@parc/errors';
import { field, type ConfigOf } from '@parc/service-kit';

/** Outbound HTTP settings shared by parc-caller (users' requests) and the responder (callbacks). */
export const outboundSpec = {
  egressAllowList: field.list({
    env: 'EGRESS_ALLOW_LIST',
    optional: true,
    description:
      'Private, loopback, link-local and other non-public destinations that may be called anyway: IP, IP:port, CIDR, [IPv6]:port. Everything else non-public is refused (destination_blocked).',
  }),
  maxResponseBodyBytes: field.integer({
    env: 'MAX_RESPONSE_BODY_BYTES',
    default: 64 * 1024,
    min: 0,
    max: 16 * 1024 * 1024,
    description: "Bytes of a target's response body recorded per attempt; the rest is not read and the attempt is marked bodyTruncated.",
  }),
  maxConcurrentPerHost: field.integer({
    env: 'MAX_CONCURRENT_PER_HOST',
    default: 32,
    min: 1,
    max: 10_000,
    description: 'Calls in flight to one host per process; more wait in line, so one slow host cannot take every connection.',
  }),
  connectTimeoutMs: field.duration({ env: 'CONNECT_TIMEOUT_MS', default: 10_000, min: 1, description: 'Budget of one new TCP/TLS connection (also bounded by the request timeout).' }),
};

export type OutboundConfig = ConfigOf<typeof outboundSpec>;

/**
 * parc-caller's MAX_CONCURRENT_PER_HOST: unset by default, so that no per-process cap stands
 * below the caller's own parallelism (CALLER_BATCH_SIZE × CALLER_CONCURRENCY, which the scheduler
 * sets). Destinations are protected by their flow-control keys instead (a request's `flowControl`,
 * DESTINATION_*: limits that hold across every caller of every Parc, docs/destinations.md); a cap
 * per process only made the scheduler add processes to get calls in flight (issue #13).
 */
export const callerMaxConcurrentPerHost = field.integer({
  env: 'MAX_CONCURRENT_PER_HOST',
  optional: true,
  min: 1,
  max: 10_000,
  description:
    "Calls in flight to one host per process; more wait in line. Unset: no cap below the caller's own parallelism (CALLER_BATCH_SIZE × CALLER_CONCURRENCY): destinations are protected by their flow-control limits (a request's flowControl, DESTINATION_*), which hold across every caller.",
});

/**
 * The HttpCaller for a stage; a bad allow-list entry is a config error naming the variable. An
 * unset per-host cap (parc-caller's) is `callsInFlight`, the stage's own bound.
 */
export function createHttpCaller(config: Omit<OutboundConfig, 'maxConcurrentPerHost'> & { readonly maxConcurrentPerHost: number | undefined }, callsInFlight?: number): HttpCaller {
  let policy: EgressPolicy;
  try {
    policy = EgressPolicy.fromAllowList(config.egressAllowList ?? []);
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    throw new ParcError('CONFIG_INVALID', `EGRESS_ALLOW_LIST: ${problem}`, { cause: error });
  }
  return new HttpCaller({
    policy,
    maxResponseBodyBytes: config.maxResponseBodyBytes,
    maxConcurrentPerHost: config.maxConcurrentPerHost ?? callsInFlight,
    connectTimeoutMs: config.connectTimeoutMs,
  });
}

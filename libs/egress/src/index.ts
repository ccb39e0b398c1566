/**
 * @parc/egress: the one place Parc performs outbound HTTP (users' requests, callbacks).
 *
 * - `EgressPolicy`: which IP destinations may be reached (pure; blocked ranges, IPv4
 *   embeddings in IPv6, a strict allow-list).
 * - `HttpCaller`: undici pools per origin, the policy enforced on the address actually
 *   connected to, per-attempt deadline, capped bodies, no redirects, a per-host FIFO cap; every
 *   call ends as an attempt record.
 *
 * No logging, no metrics, no environment: callers pass options and read counters.
 */
export { EgressPolicy, type EgressDecision } from './policy';
export { AllowListError } from './allow-list';
export {
  BLOCKED_IPV4_RANGES,
  BLOCKED_IPV6_RANGES,
  GLOBAL_UNICAST_IPV6,
  IPV4_EMBEDDINGS,
  type BlockedRange,
  type Ipv4Embedding,
} from './ranges';
export {
  HttpCaller,
  HTTP_CALLER_DEFAULTS,
  MAX_RESPONSE_HEADER_BYTES,
  type CallOptions,
  type HttpCallerOptions,
  type HttpRequest,
} from './http-caller';
export { systemLookup, type LookupAddress, type LookupFunction } from './connector';
export { DROPPED_HEADERS_HEADER } from './headers';
export { DEFAULT_USER_AGENT, PARC_VERSION } from './version';

import { isIP } from 'node:net';
import type { EgressPolicy } from './policy';

/**
 * The addresses of `localhost` and every name under it (RFC 6761 §6.3), in the order they are
 * tried: IPv4 first, as most resolvers answer `localhost`.
 */
export const LOCALHOST_ADDRESSES: readonly string[] = Object.freeze(['127.0.0.1', '::1']);

/**
 * Whether a host name is loopback by name: `localhost` or a name ending in `.localhost`, in any
 * case and in its fully-qualified form (`localhost.`, `foo.localhost.`: one trailing dot names
 * the same host). Such names are never sent to a resolver: RFC 6761 lets applications answer
 * them themselves, and resolvers disagree (`localhost.` and `foo.localhost` fail on glibc
 * without a matching /etc/hosts line, which would make a blocked destination a retryable DNS
 * failure).
 */
export function isLocalhostName(hostname: string): boolean {
  const name = (hostname.endsWith('.') ? hostname.slice(0, -1) : hostname).toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Where a host goes without asking a resolver, or why it may not go there. */
export type FixedDestination = { readonly address: string } | { readonly refusal: string };

function localhostDestination(policy: EgressPolicy, hostname: string, port: number): FixedDestination {
  const reasons: string[] = [];
  for (const address of LOCALHOST_ADDRESSES) {
    const decision = policy.check(address, port);
    // Parc, not a resolver, picks the address dialled here, so one allowed address is enough;
    // the connected peer is still checked after connecting.
    if (decision.allowed) return { address };
    reasons.push(decision.reason);
  }
  return { refusal: `${hostname} is loopback by name (RFC 6761): ${reasons.join('; ')}` };
}

/**
 * The policy's answer for a host that needs no resolver: an IP literal (without brackets) is
 * itself; a localhost name ({@link isLocalhostName}) is 127.0.0.1 or ::1, the first the policy
 * allows. `undefined` for any other name: resolve it, then check every address.
 */
export function fixedDestination(policy: EgressPolicy, hostname: string, port: number): FixedDestination | undefined {
  if (isIP(hostname) !== 0) {
    const decision = policy.check(hostname, port);
    return decision.allowed ? { address: hostname } : { refusal: decision.reason };
  }
  return isLocalhostName(hostname) ? localhostDestination(policy, hostname, port) : undefined;
}

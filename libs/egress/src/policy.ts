import { parseAllowListEntry, type AllowListEntry } from './allow-list';
import { cidrContains, parseIp, type IpAddress } from './ip';
import { findBlockedRange, unmapIPv4, type BlockedMatch } from './ranges';

/** The policy's answer for one destination. */
export type EgressDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const ALLOWED: EgressDecision = Object.freeze({ allowed: true });

/** `[::1]` (a URL's hostname) → `::1`; `fe80::1%eth0` (a socket's address) → `fe80::1`. */
function bareAddress(address: string): string {
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = unbracketed.indexOf('%');
  return zone < 0 ? unbracketed : unbracketed.slice(0, zone);
}

function describeMatch(address: string, match: BlockedMatch): string {
  const { range, via } = match;
  if (!via) return `${address} is ${range.label} (${range.cidr})`;
  return `${address} embeds ${via.ipv4} (${via.embedding.label}, ${via.embedding.cidr}), which is ${range.label} (${range.cidr}),`;
}

/**
 * Decides which IP destinations outbound HTTP may reach: everything public, nothing in the
 * blocked ranges (loopback, private, link-local, CGNAT, metadata, multicast, reserved,
 * documentation, ...) unless an allow-list entry names it. IPv6 addresses that embed an IPv4
 * address (IPv4-mapped/compatible/translated, NAT64, 6to4, Teredo) are judged by that IPv4 too.
 * Pure and synchronous; it knows nothing about host names (resolve first, then check).
 */
export class EgressPolicy {
  private readonly entries: readonly AllowListEntry[];

  private constructor(entries: readonly AllowListEntry[]) {
    this.entries = entries;
  }

  /**
   * A policy with these allow-list entries (see README for the syntax). Throws
   * `AllowListError` on the first malformed entry, naming it and the problem.
   */
  static fromAllowList(entries: readonly string[]): EgressPolicy {
    return new EgressPolicy(Object.freeze(entries.map((entry, index) => parseAllowListEntry(entry, index))));
  }

  /** The allow-list in canonical form (for a startup log line). */
  get allowList(): readonly string[] {
    return this.entries.map((entry) => entry.text);
  }

  /**
   * Whether a connection to `address` (an IP literal; brackets and zone ids are tolerated) on
   * `port` is allowed. Anything that is not an IP address is refused. Throws only for a port
   * outside 1–65535 (a programmer error).
   */
  check(address: string, port: number): EgressDecision {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`EgressPolicy.check: port must be an integer from 1 to 65535, got ${port}`);
    }
    const bare = bareAddress(address);
    const ip = parseIp(bare);
    if (ip === undefined) return { allowed: false, reason: `${JSON.stringify(address)} is not an IP address` };
    if (this.permits(ip, port)) return ALLOWED;
    const match = findBlockedRange(ip);
    if (match === undefined) return ALLOWED;
    const otherPort = this.permits(ip, undefined) ? ` for port ${port}` : '';
    return { allowed: false, reason: `${describeMatch(bare, match)} and not allow-listed${otherPort}` };
  }

  /** An entry names the address (or the IPv4 it maps) and the port; `undefined` ignores ports. */
  private permits(ip: IpAddress, port: number | undefined): boolean {
    const mapped = unmapIPv4(ip);
    const candidates = mapped ? [ip, mapped] : [ip];
    return this.entries.some(
      (entry) =>
        (port === undefined || entry.port === undefined || entry.port === port) &&
        candidates.some((candidate) => cidrContains(entry.block, candidate)),
    );
  }
}

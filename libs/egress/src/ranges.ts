import { cidr, cidrContains, formatIPv4, type Cidr, type IpAddress } from './ip';

/** One address block the egress policy refuses unless allow-listed. */
export interface BlockedRange {
  /** `address/prefix`, e.g. `127.0.0.0/8`. */
  readonly cidr: string;
  /** What the block is, as it reads in a refusal: `127.0.0.1 is <label> (127.0.0.0/8)`. */
  readonly label: string;
  /** Where the block is defined. */
  readonly source: string;
}

/** A way an IPv6 address carries an IPv4 address that the packet really reaches. */
export interface Ipv4Embedding {
  readonly cidr: string;
  readonly label: string;
  readonly source: string;
  /**
   * True when the form is ordinary, reachable unicast once the embedded IPv4 is public
   * (IPv4-mapped, NAT64 well-known prefix, 6to4, Teredo). False for forms that are only
   * checked for what they embed and then still fall under "outside 2000::/3".
   */
  readonly routable: boolean;
  /** Where the IPv4 sits: the low 32 bits, bits 16–47 (6to4), or Teredo's server and client. */
  readonly layout: 'low32' | '6to4' | 'teredo';
}

const range = (cidrText: string, label: string, source: string): BlockedRange => ({ cidr: cidrText, label, source });

/**
 * IPv4 blocks refused by default: IANA's special-purpose registry (RFC 6890 and successors)
 * minus the globally reachable entries, plus cloud metadata endpoints.
 */
export const BLOCKED_IPV4_RANGES: readonly BlockedRange[] = Object.freeze([
  range('0.0.0.0/8', 'unspecified, "this network"', 'RFC 791, RFC 1122'),
  range('10.0.0.0/8', 'private', 'RFC 1918'),
  range('100.64.0.0/10', 'carrier-grade NAT shared space', 'RFC 6598'),
  range('100.100.100.200/32', 'a cloud metadata endpoint', 'Alibaba Cloud ECS metadata'),
  range('127.0.0.0/8', 'loopback', 'RFC 1122'),
  range('168.63.129.16/32', 'a cloud platform endpoint', 'Azure WireServer'),
  range('169.254.0.0/16', 'link-local', 'RFC 3927'),
  range('169.254.169.254/32', 'a cloud metadata endpoint', 'AWS, GCP, Azure, OCI, DigitalOcean, ... instance metadata'),
  range('172.16.0.0/12', 'private', 'RFC 1918'),
  range('192.0.0.0/24', 'IETF protocol assignments', 'RFC 6890'),
  range('192.0.2.0/24', 'documentation space TEST-NET-1', 'RFC 5737'),
  range('192.88.99.0/24', 'deprecated 6to4 relay anycast', 'RFC 7526'),
  range('192.168.0.0/16', 'private', 'RFC 1918'),
  range('198.18.0.0/15', 'benchmarking', 'RFC 2544'),
  range('198.51.100.0/24', 'documentation space TEST-NET-2', 'RFC 5737'),
  range('203.0.113.0/24', 'documentation space TEST-NET-3', 'RFC 5737'),
  range('224.0.0.0/4', 'multicast', 'RFC 5771'),
  range('240.0.0.0/4', 'reserved', 'RFC 1112'),
  range('255.255.255.255/32', 'limited broadcast', 'RFC 919'),
]);

/**
 * IPv6 blocks refused by default. Everything outside 2000::/3 (global unicast) is refused as
 * well, except the IPv4-mapped and NAT64 forms, which are judged by the IPv4 they carry.
 */
export const BLOCKED_IPV6_RANGES: readonly BlockedRange[] = Object.freeze([
  range('::/128', 'unspecified', 'RFC 4291'),
  range('::1/128', 'loopback', 'RFC 4291'),
  range('64:ff9b:1::/48', 'local-use NAT64 space', 'RFC 8215'),
  range('100::/64', 'discard-only', 'RFC 6666'),
  range('2001:2::/48', 'benchmarking', 'RFC 5180'),
  range('2001:10::/28', 'deprecated ORCHID', 'RFC 4843'),
  range('2001:20::/28', 'ORCHIDv2', 'RFC 7343'),
  range('2001:db8::/32', 'documentation space', 'RFC 3849'),
  range('3fff::/20', 'documentation space', 'RFC 9637'),
  range('fc00::/7', 'unique local', 'RFC 4193'),
  range('fd00:ec2::254/128', 'a cloud metadata endpoint', 'AWS EC2 instance metadata (IPv6)'),
  range('fe80::/10', 'link-local', 'RFC 4291'),
  range('fec0::/10', 'deprecated site-local', 'RFC 3879'),
  range('ff00::/8', 'multicast', 'RFC 4291'),
]);

/** The only IPv6 space that is global unicast; addresses outside it are refused. */
export const GLOBAL_UNICAST_IPV6 = '2000::/3';

const embedding = (
  cidrText: string,
  label: string,
  source: string,
  routable: boolean,
  layout: Ipv4Embedding['layout'] = 'low32',
): Ipv4Embedding => ({ cidr: cidrText, label, source, routable, layout });

/** IPv6 forms whose embedded IPv4 address is checked against the IPv4 table. */
export const IPV4_EMBEDDINGS: readonly Ipv4Embedding[] = Object.freeze([
  embedding('::ffff:0:0/96', 'IPv4-mapped', 'RFC 4291', true),
  embedding('::ffff:0:0:0/96', 'IPv4-translated', 'RFC 2765', false),
  embedding('::/96', 'IPv4-compatible', 'RFC 4291 (deprecated)', false),
  embedding('64:ff9b::/96', 'NAT64', 'RFC 6052', true),
  embedding('2002::/16', '6to4', 'RFC 3056', true, '6to4'),
  embedding('2001::/32', 'Teredo', 'RFC 4380', true, 'teredo'),
]);

const LOW_32 = 0xffffffffn;

/** The IPv4 addresses an embedding form carries: Teredo has a server and an obfuscated client. */
function extractIPv4(layout: Ipv4Embedding['layout'], value: bigint): bigint[] {
  switch (layout) {
    case '6to4':
      return [(value >> 80n) & LOW_32];
    case 'teredo':
      return [(value & LOW_32) ^ LOW_32, (value >> 64n) & LOW_32];
    case 'low32':
      return [value & LOW_32];
  }
}

interface CompiledRange<T> {
  readonly block: Cidr;
  readonly info: T;
}

/** Most specific first, so a metadata /32 is reported rather than the link-local /16 around it. */
function compile<T extends { cidr: string }>(entries: readonly T[]): CompiledRange<T>[] {
  return entries.map((info) => ({ block: cidr(info.cidr), info })).sort((a, b) => b.block.prefix - a.block.prefix);
}

const V4_TABLE = compile(BLOCKED_IPV4_RANGES);
const V6_TABLE = compile(BLOCKED_IPV6_RANGES);
const EMBEDDINGS = compile(IPV4_EMBEDDINGS);
const GLOBAL_UNICAST = cidr(GLOBAL_UNICAST_IPV6);
const IPV4_MAPPED = cidr('::ffff:0:0/96');

/** Why an address is refused: the block it is in and, for embeddings, how it got there. */
export interface BlockedMatch {
  readonly range: BlockedRange;
  /** Set when an IPv6 address was refused for the IPv4 address it embeds. */
  readonly via?: { readonly embedding: Ipv4Embedding; readonly ipv4: string };
}

function findIPv4(value: bigint): BlockedRange | undefined {
  const ip: IpAddress = { family: 4, value };
  return V4_TABLE.find(({ block }) => cidrContains(block, ip))?.info;
}

function findIPv6(ip: IpAddress): BlockedMatch | undefined {
  const direct = V6_TABLE.find(({ block }) => cidrContains(block, ip));
  if (direct) return { range: direct.info };
  const form = EMBEDDINGS.find(({ block }) => cidrContains(block, ip));
  if (form) {
    for (const ipv4 of extractIPv4(form.info.layout, ip.value)) {
      const blocked = findIPv4(ipv4);
      if (blocked) return { range: blocked, via: { embedding: form.info, ipv4: formatIPv4(ipv4) } };
    }
    if (form.info.routable) return undefined;
  }
  if (cidrContains(GLOBAL_UNICAST, ip)) return undefined;
  return { range: range(GLOBAL_UNICAST_IPV6, 'outside global unicast', 'RFC 4291') };
}

/** The blocked range an address falls in, looking through IPv4 embeddings; undefined if public. */
export function findBlockedRange(ip: IpAddress): BlockedMatch | undefined {
  if (ip.family === 4) {
    const blocked = findIPv4(ip.value);
    return blocked && { range: blocked };
  }
  return findIPv6(ip);
}

/** The IPv4 address an IPv4-mapped IPv6 address denotes (the same host), else undefined. */
export function unmapIPv4(ip: IpAddress): IpAddress | undefined {
  return cidrContains(IPV4_MAPPED, ip) ? { family: 4, value: ip.value & LOW_32 } : undefined;
}

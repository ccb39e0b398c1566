/**
 * Strict IP address and CIDR arithmetic on bigints. Written by hand rather than with
 * `net.BlockList` because the policy must look *inside* IPv6 addresses (IPv4-mapped, NAT64,
 * 6to4, Teredo) and produce messages naming the range that matched.
 */

/** An IPv4 (32-bit) or IPv6 (128-bit) address as an unsigned integer. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A CIDR block: the network address (host bits zero) and the prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;
const DECIMAL_OCTET = /^(?:0|[1-9]\d{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Dotted-quad IPv4 only: four decimal octets, no leading zeros (never octal or hex forms). */
export function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!HEX_GROUP.test(group)) return undefined;
    groups.push(parseInt(group, 16));
  }
  return groups;
}

/**
 * RFC 4291 text form: eight hex groups, at most one `::`, optionally ending in a dotted quad.
 * No zone id (`%eth0`) and no brackets; callers strip those deliberately.
 */
export function parseIPv6(text: string): bigint | undefined {
  if (text.length > 45) return undefined;
  let body = text;
  let tail = 0n;
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':');
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (lastColon < 0 || v4 === undefined) return undefined;
    // The dotted quad stands for the last two groups; parse a placeholder and add it back.
    body = `${text.slice(0, lastColon + 1)}0:0`;
    tail = v4;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const filled = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (halves.length === 2 ? filled < 1 : head.length !== 8) return undefined;
  const groups = [...head, ...new Array<number>(filled).fill(0), ...rest];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n) | tail;
}

/** An IPv4 or IPv6 address in strict text form, or undefined. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** Dotted-quad text of a 32-bit value. */
export function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** Compressed RFC 5952 text of a 128-bit value (longest zero run as `::`, IPv4-mapped dotted). */
export function formatIPv6(value: bigint): string {
  if (value >> 32n === 0xffffn) return `::ffff:${formatIPv4(value & 0xffffffffn)}`;
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  const left = hex.slice(0, best.start).join(':');
  const right = hex.slice(best.start + best.length).join(':');
  return `${left}::${right}`;
}

/** Canonical text of an address. */
export function formatIp(ip: IpAddress): string {
  return ip.family === 4 ? formatIPv4(ip.value) : formatIPv6(ip.value);
}

/** Number of address bits of a family. */
export function familyBits(family: 4 | 6): number {
  return BITS[family];
}

// Precomputed per prefix length: checks run on every IP-literal call and every new connection.
const HOST_MASKS = {
  4: Array.from({ length: 33 }, (_, prefix) => (1n << BigInt(32 - prefix)) - 1n),
  6: Array.from({ length: 129 }, (_, prefix) => (1n << BigInt(128 - prefix)) - 1n),
} as const;
const NETWORK_MASKS = {
  4: HOST_MASKS[4].map((mask) => mask ^ ((1n << 32n) - 1n)),
  6: HOST_MASKS[6].map((mask) => mask ^ ((1n << 128n) - 1n)),
} as const;

/** The host-bits mask of a prefix, e.g. 0xff for a /24 IPv4 block. */
export function hostMask(family: 4 | 6, prefix: number): bigint {
  return HOST_MASKS[family][prefix] ?? 0n;
}

/** True when `ip` lies inside `cidr` (families must match). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.family === ip.family && (ip.value & (NETWORK_MASKS[cidr.family][cidr.prefix] ?? 0n)) === cidr.base;
}

/**
 * A trusted `address/prefix` literal (the policy's own tables); throws on a typo so a bad
 * table entry fails at module load instead of silently matching nothing.
 */
export function cidr(text: string): Cidr {
  const [address = '', prefixText] = text.split('/');
  const ip = parseIp(address);
  const prefix = prefixText === undefined ? undefined : Number(prefixText);
  if (ip === undefined || prefix === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > BITS[ip.family]) {
    throw new Error(`bad CIDR literal ${text}`);
  }
  if ((ip.value & hostMask(ip.family, prefix)) !== 0n) throw new Error(`CIDR literal ${text} has host bits set`);
  return { family: ip.family, base: ip.value, prefix };
}

/** `address/prefix` text of a block. */
export function formatCidr(block: Cidr): string {
  return `${formatIp({ family: block.family, value: block.base })}/${block.prefix}`;
}

import { familyBits, formatCidr, formatIp, hostMask, parseIPv4, parseIPv6, type Cidr, type IpAddress } from './ip';
import { unmapIPv4 } from './ranges';

/** One parsed allow-list entry: an address block and, optionally, the only port it opens. */
export interface AllowListEntry {
  readonly block: Cidr;
  /** Undefined: every port. */
  readonly port: number | undefined;
  /** Canonical text, e.g. `10.0.0.0/8:443` or `[fd00::1]:8080`. */
  readonly text: string;
}

/**
 * A malformed allow-list entry. `entry` and `index` (0-based) let the app name the
 * configuration variable and the item when it reports CONFIG_INVALID.
 */
export class AllowListError extends Error {
  readonly entry: string;
  readonly index: number;
  readonly problem: string;

  constructor(entry: string, index: number, problem: string) {
    super(`egress allow-list entry ${index + 1} ${JSON.stringify(entry)} ${problem}`);
    this.name = 'AllowListError';
    this.entry = entry;
    this.index = index;
    this.problem = problem;
  }
}

const WHOLE_NUMBER = /^(?:0|[1-9]\d*)$/;
const HOST_NAME = /^(?=.*[a-z])[a-z0-9.-]+$/i;

/** The parts of an entry before interpretation: `[v6/len]:port`, `v4/len:port` or `v6/len`. */
interface EntryParts {
  readonly address: string;
  readonly family: 4 | 6;
  readonly prefix: string | undefined;
  readonly port: string | undefined;
}

function splitBracketed(text: string): EntryParts | string {
  const close = text.indexOf(']');
  if (close < 0) return 'opens "[" without a closing "]"';
  const rest = text.slice(close + 1);
  if (rest !== '' && !rest.startsWith(':')) return 'has unexpected text after "]" (expected ":<port>")';
  const [address = '', prefix, ...extra] = text.slice(1, close).split('/');
  if (extra.length > 0) return 'has more than one "/"';
  if (parseIPv4(address) !== undefined) return 'puts an IPv4 address in brackets; brackets are for IPv6 (write 10.0.0.1:8080)';
  return { address, family: 6, prefix, port: rest === '' ? undefined : rest.slice(1) };
}

function splitEntry(text: string): EntryParts | string {
  if (text === '') return 'is empty';
  if (/\s/.test(text)) return 'contains whitespace';
  if (text.includes('%')) return 'has an IPv6 zone id (%...); zones are not supported';
  if (text.startsWith('[')) return splitBracketed(text);
  const colons = text.split(':').length - 1;
  // Two or more colons can only be IPv6, which then carries no port (use [addr]:port for one).
  const [hostPart = '', port] = colons === 1 ? text.split(':') : [text, undefined];
  const [address = '', prefix, ...extra] = hostPart.split('/');
  if (extra.length > 0) return 'has more than one "/"';
  return { address, family: colons > 1 ? 6 : 4, prefix, port };
}

function parseAddress(parts: EntryParts): IpAddress | string {
  const value = parts.family === 4 ? parseIPv4(parts.address) : parseIPv6(parts.address);
  if (value !== undefined) return { family: parts.family, value };
  if (parts.family === 4 && HOST_NAME.test(parts.address)) {
    return 'is not an IP address: the allow-list takes IP addresses and CIDR ranges, never host names (a name can resolve anywhere)';
  }
  return parts.family === 4
    ? `has an invalid IPv4 address ${JSON.stringify(parts.address)}: expected four decimal numbers 0–255 without leading zeros`
    : `has an invalid IPv6 address ${JSON.stringify(parts.address)}`;
}

function parsePrefix(text: string | undefined, family: 4 | 6): number | string {
  const bits = familyBits(family);
  if (text === undefined) return bits;
  const prefix = WHOLE_NUMBER.test(text) ? Number(text) : NaN;
  return prefix <= bits ? prefix : `has an invalid prefix length ${JSON.stringify(text)}: expected 0 to ${bits} for IPv${family}`;
}

function parsePort(text: string | undefined): number | undefined | string {
  if (text === undefined) return undefined;
  const port = WHOLE_NUMBER.test(text) ? Number(text) : NaN;
  return port >= 1 && port <= 65535 ? port : `has an invalid port ${JSON.stringify(text)}: expected 1 to 65535`;
}

/** IPv4-mapped IPv6 blocks name IPv4 hosts: store them as IPv4 so both spellings match. */
function normaliseBlock(block: Cidr): Cidr {
  const v4 = block.family === 6 && block.prefix >= 96 ? unmapIPv4({ family: 6, value: block.base }) : undefined;
  return v4 ? { family: 4, base: v4.value, prefix: block.prefix - 96 } : block;
}

function entryText(block: Cidr, port: number | undefined): string {
  const whole = block.prefix === familyBits(block.family);
  const host = whole ? formatIp({ family: block.family, value: block.base }) : formatCidr(block);
  if (port === undefined) return host;
  return block.family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses one entry: `IP`, `IP:port`, `[IPv6]:port`, `CIDR`, `IPv4-CIDR:port` or
 * `[IPv6-CIDR]:port`. Strict: no whitespace, host names, zone ids, leading zeros or host bits
 * beyond the prefix. Throws {@link AllowListError} naming the entry and the problem.
 */
export function parseAllowListEntry(entry: string, index: number): AllowListEntry {
  const fail = (problem: string): never => {
    throw new AllowListError(entry, index, problem);
  };
  const parts = splitEntry(entry);
  if (typeof parts === 'string') return fail(parts);
  const ip = parseAddress(parts);
  if (typeof ip === 'string') return fail(ip);
  const prefix = parsePrefix(parts.prefix, ip.family);
  if (typeof prefix === 'string') return fail(prefix);
  const port = parsePort(parts.port);
  if (typeof port === 'string') return fail(port);
  if ((ip.value & hostMask(ip.family, prefix)) !== 0n) {
    const network = formatCidr({ family: ip.family, base: ip.value & ~hostMask(ip.family, prefix), prefix });
    return fail(`has address bits set beyond the /${prefix} prefix; the network is ${network}`);
  }
  const block = normaliseBlock({ family: ip.family, base: ip.value, prefix });
  return { block, port, text: entryText(block, port) };
}

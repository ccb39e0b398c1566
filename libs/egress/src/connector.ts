import { promises as dns } from 'node:dns';
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';
import { DestinationBlockedError, DnsLookupError } from './failures';
import { fixedDestination } from './host-names';
import type { EgressPolicy } from './policy';

/** One address a host name resolved to. */
export interface LookupAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has (the default is `dns.lookup` with `all: true`). */
export type LookupFunction = (hostname: string) => Promise<readonly LookupAddress[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), every address at once. */
export const systemLookup: LookupFunction = (hostname) => dns.lookup(hostname, { all: true });

/** What the guarded connector needs. */
export interface GuardedConnectorOptions {
  readonly policy: EgressPolicy;
  readonly lookup: LookupFunction;
  /** TCP + TLS handshake budget per new connection (undici's connect timeout). */
  readonly connectTimeoutMs: number;
  /** Trusted CAs for https; undefined: Node's default store. */
  readonly ca: readonly string[] | undefined;
}

function refuseUnlessAllowed(policy: EgressPolicy, address: string, port: number, prefix: string): void {
  const decision = policy.check(address, port);
  if (!decision.allowed) throw new DestinationBlockedError(`${prefix}${decision.reason}`);
}

/**
 * The address to connect to: an IP literal as is, a localhost name as 127.0.0.1 or ::1 (never
 * resolved, see `fixedDestination`), or any other host name resolved once. Every resolved
 * address must pass the policy (one blocked answer refuses the name: a resolver can hand out
 * the addresses in any order), and the first one is used, so the address checked is the
 * address dialled. A name is looked up as written: a trailing dot keeps it absolute (no search
 * domains).
 */
async function checkedAddress(hostname: string, port: number, options: GuardedConnectorOptions): Promise<string> {
  const fixed = fixedDestination(options.policy, hostname, port);
  if (fixed !== undefined) {
    if ('refusal' in fixed) throw new DestinationBlockedError(fixed.refusal);
    return fixed.address;
  }
  let addresses: readonly LookupAddress[];
  try {
    addresses = await options.lookup(hostname);
  } catch (error) {
    throw new DnsLookupError(hostname, error);
  }
  const [first] = addresses;
  if (first === undefined) throw new DnsLookupError(hostname, 'no addresses');
  for (const { address } of addresses) {
    refuseUnlessAllowed(options.policy, address, port, `${hostname} resolves to a blocked address: `);
  }
  return first.address;
}

/** Defence in depth: the peer the kernel actually connected to must pass the policy too. */
function peerRefusal(socket: Socket, hostname: string, port: number, policy: EgressPolicy): Error | undefined {
  const peer = socket.remoteAddress;
  if (peer === undefined) return new DestinationBlockedError(`the connection to ${hostname} has no peer address to check`);
  const decision = policy.check(peer, port);
  if (decision.allowed) return undefined;
  return new DestinationBlockedError(`the connection to ${hostname} reached a blocked address: ${decision.reason}`);
}

type Connector = buildConnector.connector;

async function connectChecked(base: Connector, connectOptions: buildConnector.Options, options: GuardedConnectorOptions): Promise<Socket> {
  const { hostname, protocol } = connectOptions;
  const port = Number(connectOptions.port) || (protocol === 'https:' ? 443 : 80);
  const address = await checkedAddress(hostname, port, options);
  const socket = await new Promise<Socket>((resolve, reject) => {
    base({ ...connectOptions, hostname: address }, (error, connected) => (error ? reject(error) : resolve(connected)));
  });
  const refusal = peerRefusal(socket, hostname, port, options.policy);
  if (refusal === undefined) return socket;
  socket.destroy();
  throw refusal;
}

/**
 * An undici `connect` function that enforces the egress policy on the address actually
 * connected to: IP literals are checked, names are resolved once and every answer checked,
 * the socket dials the checked IP, and the connected peer is checked again (a socket that
 * fails is destroyed before undici writes a byte). TLS still sends the host name as SNI and
 * verifies the certificate against it, because undici derives `servername` from `host`, which
 * keeps the name.
 */
export function guardedConnector(options: GuardedConnectorOptions): Connector {
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    ...(options.ca ? { ca: [...options.ca] } : {}),
  });
  return (connectOptions, callback) => {
    connectChecked(base, connectOptions, options).then(
      (socket) => callback(null, socket),
      (error: Error) => callback(error, null),
    );
  };
}

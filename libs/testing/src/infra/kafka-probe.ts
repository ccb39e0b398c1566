import { connect, type Socket } from 'node:net';

/**
 * A tiny raw Kafka-protocol client for the harness: one Metadata request, to learn whether a
 * broker is really serving (the port opens seconds before it is) and which brokers it lists.
 * The harness may not import kafkajs (lint keeps queue clients inside the adapter libs).
 *
 * Metadata v4 is used because Kafka 4.x removed v0-v3 (KIP-896) and v4 is the last version with
 * the classic, non-flexible encoding (no tagged fields, no compact strings), which every broker
 * from 1.0 to 4.x accepts.
 */

const METADATA_API_KEY = 3;
const METADATA_VERSION = 4;

export interface KafkaBrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface KafkaTopicInfo {
  readonly name: string;
  readonly errorCode: number;
  readonly isInternal: boolean;
  readonly partitions: number;
}

/** The decoded Metadata v4 response. */
export interface KafkaMetadata {
  readonly correlationId: number;
  readonly throttleTimeMs: number;
  readonly brokers: readonly KafkaBrokerInfo[];
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly topics: readonly KafkaTopicInfo[];
}

/**
 * Encodes a size-prefixed Metadata v4 request for all topics. Header v1: api_key int16,
 * api_version int16, correlation_id int32, client_id nullable string (int16 length). Body: topics
 * nullable array (int32 -1 = all topics), allow_auto_topic_creation int8.
 */
export function encodeMetadataRequest(correlationId: number, clientId = 'parc-testing'): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const size = 2 + 2 + 4 + 2 + client.length + 4 + 1;
  const out = Buffer.alloc(4 + size);
  let at = out.writeInt32BE(size, 0);
  at = out.writeInt16BE(METADATA_API_KEY, at);
  at = out.writeInt16BE(METADATA_VERSION, at);
  at = out.writeInt32BE(correlationId, at);
  at = out.writeInt16BE(client.length, at);
  at += client.copy(out, at);
  at = out.writeInt32BE(-1, at);
  out.writeInt8(0, at);
  return out;
}

/** A bounds-checked big-endian reader; a short buffer throws instead of reading garbage. */
class Reader {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}
  private take(bytes: number): number {
    if (this.at + bytes > this.buffer.length) {
      throw new Error(`Metadata response truncated at byte ${this.at} (needed ${bytes} more)`);
    }
    const start = this.at;
    this.at += bytes;
    return start;
  }
  int8(): number {
    return this.buffer.readInt8(this.take(1));
  }
  int16(): number {
    return this.buffer.readInt16BE(this.take(2));
  }
  int32(): number {
    return this.buffer.readInt32BE(this.take(4));
  }
  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const start = this.take(length);
    return this.buffer.toString('utf8', start, start + length);
  }
  string(): string {
    const value = this.nullableString();
    if (value === null) throw new Error('Metadata response has a null where a string is required');
    return value;
  }
  array<T>(item: () => T): T[] {
    const count = this.int32();
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(item());
    return items;
  }
}

/**
 * Decodes a Metadata v4 response *without* its int32 size prefix. Header v0: correlation_id.
 * Body: throttle_time_ms, brokers [node_id, host, port, rack?], cluster_id?, controller_id,
 * topics [error_code, name, is_internal, partitions [error_code, index, leader, replicas[], isr[]]].
 */
export function decodeMetadataResponse(payload: Buffer): KafkaMetadata {
  const r = new Reader(payload);
  const correlationId = r.int32();
  const throttleTimeMs = r.int32();
  const brokers = r.array(() => ({ nodeId: r.int32(), host: r.string(), port: r.int32(), rack: r.nullableString() }));
  const clusterId = r.nullableString();
  const controllerId = r.int32();
  const topics = r.array(() => {
    const errorCode = r.int16();
    const name = r.string();
    const isInternal = r.int8() !== 0;
    const partitions = r.array(() => {
      r.int16(); // partition error_code
      r.int32(); // partition_index
      r.int32(); // leader_id
      r.array(() => r.int32()); // replica_nodes
      r.array(() => r.int32()); // isr_nodes
    }).length;
    return { errorCode, name, isInternal, partitions };
  });
  return { correlationId, throttleTimeMs, brokers, clusterId, controllerId, topics };
}

/** Splits `host:port[,host:port...]` (as in KAFKA_BROKERS); `[::1]:9092` works for IPv6. */
export function parseBrokerList(brokers: string): { host: string; port: number }[] {
  return brokers
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(entry);
      if (!match) throw new Error(`"${entry}" is not host:port`);
      return { host: match[1] as string, port: Number(match[2]) };
    });
}

/** Sends one Metadata v4 request to `host:port` and resolves with the decoded response. */
export function requestMetadata(host: string, port: number, timeoutMs = 2_000): Promise<KafkaMetadata> {
  const correlationId = Math.floor(Math.random() * 0x7fffffff);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, metadata?: KafkaMetadata): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(metadata as KafkaMetadata);
    };
    const timer = setTimeout(() => finish(new Error(`no Metadata answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (error) => finish(error));
    // A broker that does not support the request version closes the connection without a word.
    socket.once('close', () => finish(new Error(`${host}:${port} closed the connection without a Metadata answer`)));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 4) return;
      const size = buffer.readInt32BE(0);
      if (buffer.length < 4 + size) return;
      try {
        const metadata = decodeMetadataResponse(buffer.subarray(4, 4 + size));
        if (metadata.correlationId !== correlationId) {
          throw new Error(`correlation id ${metadata.correlationId} does not match the request's ${correlationId}`);
        }
        finish(undefined, metadata);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.write(encodeMetadataRequest(correlationId));
  });
}

/**
 * Asks each broker of `brokers` (`host:port,...`) in turn for Metadata and resolves with the first
 * answer that lists at least one broker; rejects with every attempt's failure otherwise.
 */
export async function probeKafka(brokers: string, timeoutMs = 2_000): Promise<KafkaMetadata> {
  const failures: string[] = [];
  for (const { host, port } of parseBrokerList(brokers)) {
    try {
      const metadata = await requestMetadata(host, port, timeoutMs);
      if (metadata.brokers.length > 0) return metadata;
      failures.push(`${host}:${port}: Metadata listed no brokers`);
    } catch (error) {
      failures.push(`${host}:${port}: ${(error as Error).message}`);
    }
  }
  throw new Error(failures.length > 0 ? failures.join('; ') : `no host:port in "${brokers}"`);
}

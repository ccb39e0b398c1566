import { createServer, type Server, type Socket } from 'node:net';
import { decodeMetadataResponse, encodeMetadataRequest, parseBrokerList, probeKafka, requestMetadata } from './kafka-probe';

/** Big-endian field builders, to write responses by hand exactly as the protocol spec lays them out. */
const i8 = (v: number) => Buffer.from([v & 0xff]);
const i16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
const i32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const str = (s: string | null) => (s === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]));
const arr = (items: Buffer[]) => Buffer.concat([i32(items.length), ...items]);

/** A Metadata v4 response body (without the size prefix). */
function metadataV4(correlationId: number, brokers: [number, string, number, string | null][], topics: Buffer[] = []): Buffer {
  return Buffer.concat([
    i32(correlationId),
    i32(0), // throttle_time_ms
    arr(brokers.map(([id, host, port, rack]) => Buffer.concat([i32(id), str(host), i32(port), str(rack)]))),
    str('cluster-A'),
    i32(1), // controller_id
    arr(topics),
  ]);
}

function topicV4(name: string, partitions: number): Buffer {
  const partition = (index: number) => Buffer.concat([i16(0), i32(index), i32(1), arr([i32(1)]), arr([i32(1)])]);
  return Buffer.concat([i16(0), str(name), i8(0), arr(Array.from({ length: partitions }, (_, i) => partition(i)))]);
}

describe('encodeMetadataRequest', () => {
  it('writes a size-prefixed Metadata v4 request (header v1) for all topics', () => {
    const request = encodeMetadataRequest(7, 'ab');
    const expected = Buffer.concat([
      i32(2 + 2 + 4 + 2 + 2 + 4 + 1), // size of everything after this field
      i16(3), // api_key Metadata
      i16(4), // api_version
      i32(7), // correlation_id
      str('ab'), // client_id
      i32(-1), // topics: null = all
      i8(0), // allow_auto_topic_creation false
    ]);
    expect(request.equals(expected)).toBe(true);
  });
});

describe('decodeMetadataResponse', () => {
  it('reads brokers, cluster id, controller and topics', () => {
    const payload = metadataV4(7, [[1, '127.0.0.1', 9092, null], [2, 'kafka-2', 9093, 'rack-b']], [topicV4('requests.a', 3)]);
    expect(decodeMetadataResponse(payload)).toEqual({
      correlationId: 7,
      throttleTimeMs: 0,
      brokers: [
        { nodeId: 1, host: '127.0.0.1', port: 9092, rack: null },
        { nodeId: 2, host: 'kafka-2', port: 9093, rack: 'rack-b' },
      ],
      clusterId: 'cluster-A',
      controllerId: 1,
      topics: [{ errorCode: 0, name: 'requests.a', isInternal: false, partitions: 3 }],
    });
  });

  it('throws on a truncated response instead of reading garbage', () => {
    const payload = metadataV4(7, [[1, '127.0.0.1', 9092, null]]);
    expect(() => decodeMetadataResponse(payload.subarray(0, payload.length - 3))).toThrow(/truncated/);
  });
});

describe('parseBrokerList', () => {
  it('splits host:port lists, including IPv6 literals', () => {
    expect(parseBrokerList(' a:1, 127.0.0.1:9092,[::1]:9093 ,')).toEqual([
      { host: 'a', port: 1 },
      { host: '127.0.0.1', port: 9092 },
      { host: '::1', port: 9093 },
    ]);
    expect(() => parseBrokerList('localhost')).toThrow('"localhost" is not host:port');
  });
});

/** A fake broker that answers each Metadata request with `respond(correlationId)`, split in two writes. */
async function fakeBroker(
  respond: ((correlationId: number) => Buffer) | 'close',
): Promise<{ port: number; server: Server; requests: Buffer[] }> {
  const requests: Buffer[] = [];
  const server = createServer((socket: Socket) => {
    socket.once('data', (request: Buffer) => {
      requests.push(request);
      if (respond === 'close') {
        socket.end();
        return;
      }
      const body = respond(request.readInt32BE(8));
      const frame = Buffer.concat([i32(body.length), body]);
      socket.write(frame.subarray(0, 5));
      setTimeout(() => socket.write(frame.subarray(5)), 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server, requests };
}

describe('requestMetadata / probeKafka over a socket', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('reassembles a response split across packets and checks the correlation id', async () => {
    const broker = await fakeBroker((id) => metadataV4(id, [[1, '127.0.0.1', 9092, null]]));
    servers.push(broker.server);
    const metadata = await requestMetadata('127.0.0.1', broker.port);
    expect(broker.requests[0]?.readInt16BE(4)).toBe(3); // api_key Metadata
    expect(broker.requests[0]?.readInt16BE(6)).toBe(4); // version 4
    expect(metadata.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }]);

    const liar = await fakeBroker((id) => metadataV4(id + 1, [[1, 'x', 1, null]]));
    servers.push(liar.server);
    await expect(requestMetadata('127.0.0.1', liar.port)).rejects.toThrow(/correlation id/);
  });

  it('reports a broker that closes the connection (as brokers do for unsupported versions)', async () => {
    const broker = await fakeBroker('close');
    servers.push(broker.server);
    await expect(requestMetadata('127.0.0.1', broker.port)).rejects.toThrow(/closed the connection/);
  });

  it('tries each listed broker and needs one that lists at least one broker', async () => {
    const empty = await fakeBroker((id) => metadataV4(id, []));
    const good = await fakeBroker((id) => metadataV4(id, [[5, 'h', 1, null]]));
    servers.push(empty.server, good.server);
    await expect(probeKafka(`127.0.0.1:${empty.port}`)).rejects.toThrow('Metadata listed no brokers');
    const metadata = await probeKafka(`127.0.0.1:${empty.port},127.0.0.1:${good.port}`);
    expect(metadata.brokers[0]?.nodeId).toBe(5);
  });
});

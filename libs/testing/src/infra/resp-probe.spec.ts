import { createServer, type Server, type Socket } from 'node:net';
import { compareVersions, encodeCommand, parseInfo, parseReply, probeRedis, redisCommands, RespError } from './resp-probe';

describe('encodeCommand', () => {
  it('encodes a command as a RESP array of bulk strings, counting bytes not characters', () => {
    expect(encodeCommand(['INFO', 'server']).toString()).toBe('*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n');
    expect(encodeCommand(['AUTH', 'pä ss']).toString()).toBe('*2\r\n$4\r\nAUTH\r\n$6\r\npä ss\r\n');
  });
});

describe('parseReply', () => {
  const parse = (text: string) => parseReply(Buffer.from(text));

  it('parses each RESP2 type', () => {
    expect(parse('+PONG\r\n')).toEqual({ value: 'PONG', next: 7 });
    expect(parse(':42\r\n')).toEqual({ value: 42, next: 5 });
    expect(parse('$5\r\nhello\r\n')).toEqual({ value: 'hello', next: 11 });
    expect(parse('$-1\r\n')).toEqual({ value: null, next: 5 });
    expect(parse('*-1\r\n')).toEqual({ value: null, next: 5 });
    expect(parse('*2\r\n+a\r\n*1\r\n:1\r\n')).toEqual({ value: ['a', [1]], next: 16 });
    const error = parse('-NOAUTH Authentication required.\r\n');
    expect(error?.value).toBeInstanceOf(RespError);
    expect((error?.value as RespError).message).toBe('NOAUTH Authentication required.');
  });

  it('returns undefined until the reply is complete', () => {
    expect(parse('+PON')).toBeUndefined();
    expect(parse('$5\r\nhel')).toBeUndefined();
    expect(parse('*2\r\n+a\r\n')).toBeUndefined();
  });

  it('reads a reply at an offset, so pipelined replies can be consumed one by one', () => {
    const buffer = Buffer.from('+PONG\r\n$2\r\nok\r\n');
    const first = parseReply(buffer);
    expect(parseReply(buffer, first?.next)).toEqual({ value: 'ok', next: buffer.length });
  });

  it('rejects bytes that are not RESP', () => {
    expect(() => parse('HTTP/1.1 400\r\n')).toThrow(/not a RESP reply/);
  });
});

describe('parseInfo and compareVersions', () => {
  it('splits INFO text into fields, skipping section headers', () => {
    const info = parseInfo('# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n# Clients\r\nconnected_clients:1\r\n');
    expect(info).toEqual({ redis_version: '7.0.15', redis_mode: 'standalone', connected_clients: '1' });
  });

  it('compares dotted versions numerically', () => {
    expect(compareVersions('7.0.15', '7.0.0')).toBeGreaterThan(0);
    expect(compareVersions('6.2.14', '7.0.0')).toBeLessThan(0);
    expect(compareVersions('10.0', '9.9.9')).toBeGreaterThan(0);
    expect(compareVersions('7.0', '7.0.0')).toBe(0);
  });
});

/** A fake Redis on loopback that answers each received command from a script. */
async function fakeRedis(answer: (command: string[]) => string): Promise<{ url: string; seen: string[][]; server: Server }> {
  const seen: string[][] = [];
  const server = createServer((socket: Socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let parsed = parseReply(pending); parsed; parsed = parseReply(pending)) {
        pending = pending.subarray(parsed.next);
        const command = parsed.value as string[];
        seen.push(command);
        // Answer byte by byte to exercise reassembly of split replies.
        for (const byte of Buffer.from(answer(command))) socket.write(Buffer.from([byte]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `redis://127.0.0.1:${port}`, seen, server };
}

describe('probeRedis / redisCommands over a socket', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('PINGs and reads redis_version from INFO server', async () => {
    const fake = await fakeRedis(([name]) =>
      name === 'PING' ? '+PONG\r\n' : `$${'redis_version:7.2.4\r\n'.length}\r\nredis_version:7.2.4\r\n\r\n`,
    );
    servers.push(fake.server);
    const result = await probeRedis(fake.url);
    expect(result.version).toBe('7.2.4');
    expect(fake.seen).toEqual([['PING'], ['INFO', 'server']]);
  });

  it('authenticates with the credentials in the URL and returns only the asked replies', async () => {
    const fake = await fakeRedis(() => '+OK\r\n');
    servers.push(fake.server);
    const url = fake.url.replace('redis://', 'redis://alice:s%40cret@');
    await expect(redisCommands(url, [['PING']])).resolves.toEqual(['OK']);
    expect(fake.seen[0]).toEqual(['AUTH', 'alice', 's@cret']);
  });

  it('rejects on an error reply, with the server message', async () => {
    const fake = await fakeRedis(() => '-NOAUTH Authentication required.\r\n');
    servers.push(fake.server);
    await expect(probeRedis(fake.url)).rejects.toThrow('Redis replied: NOAUTH Authentication required.');
  });

  it('rejects when nothing listens, and when the server never answers', async () => {
    const fake = await fakeRedis(() => '');
    servers.push(fake.server);
    await expect(probeRedis(fake.url, 200)).rejects.toThrow(/within 200 ms/);
    const closed = await fakeRedis(() => '');
    await new Promise((resolve) => closed.server.close(resolve));
    await expect(probeRedis(closed.url)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses URLs that are not redis://', async () => {
    await expect(probeRedis('http://127.0.0.1:6379')).rejects.toThrow(/not a redis:\/\/ URL/);
  });
});

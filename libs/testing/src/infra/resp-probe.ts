import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * A tiny RESP2 client for the harness: enough to PING a Redis and read `INFO server`. The
 * harness may not import ioredis (lint keeps queue clients inside the adapter libs), and a probe
 * needs no pooling, reconnects or pipelining beyond "send these commands, read that many replies".
 */

/** A `-ERR ...` reply: returned as a value by the parser, turned into a rejection by `redisCommands`. */
export class RespError {
  constructor(readonly message: string) {}
}

export type RespValue = string | number | null | RespError | RespValue[];

/** Encodes one command as a RESP array of bulk strings (safe for any argument bytes). */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Parses one reply starting at `offset`. Returns `undefined` when the buffer does not yet hold a
 * complete reply (the caller waits for more bytes), and throws on bytes that are not RESP.
 */
export function parseReply(buffer: Buffer, offset = 0): { value: RespValue; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RespError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return { value: buffer.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`not a RESP reply (type byte ${JSON.stringify(type)})`);
  }
}

/** Splits `INFO` text (`key:value` lines, `# Section` headers) into a map. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** Compares dotted numeric versions: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const pb = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Connects to a `redis://` or `rediss://` URL, authenticates when the URL carries credentials,
 * selects the database its path names, sends `commands` and resolves with their replies in order. Rejects on the first error reply,
 * on connection errors, and after `timeoutMs` overall.
 */
export function redisCommands(url: string, commands: readonly string[][], timeoutMs = 2_000): Promise<RespValue[]> {
  const target = new URL(url);
  if (target.protocol !== 'redis:' && target.protocol !== 'rediss:') {
    return Promise.reject(new Error(`not a redis:// URL: ${url}`));
  }
  const host = target.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(target.port || 6379);
  const all: string[][] = [];
  if (target.password) {
    const password = decodeURIComponent(target.password);
    all.push(target.username ? ['AUTH', decodeURIComponent(target.username), password] : ['AUTH', password]);
  }
  // The database in the URL's path (redis://host:port/2), as every Redis client reads it.
  const db = target.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') all.push(['SELECT', db]);
  all.push(...commands);
  const skip = all.length - commands.length;

  return new Promise((resolve, reject) => {
    const socket: Socket =
      target.protocol === 'rediss:' ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
    let buffer = Buffer.alloc(0);
    const replies: RespValue[] = [];
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies.slice(skip));
    };
    const timer = setTimeout(() => finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`connection to ${host}:${port} closed before all replies arrived`)));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (let parsed = parseReply(buffer); parsed !== undefined; parsed = parseReply(buffer)) {
          buffer = buffer.subarray(parsed.next);
          if (parsed.value instanceof RespError) return finish(new Error(`Redis replied: ${parsed.value.message}`));
          replies.push(parsed.value);
          if (replies.length === all.length) return finish();
        }
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.write(Buffer.concat(all.map(encodeCommand)));
  });
}

/** What a reachable Redis told about itself. */
export interface RedisProbeResult {
  /** `redis_version` from `INFO server`, e.g. `7.0.15`. */
  readonly version: string;
  /** Every `INFO server` field. */
  readonly info: Record<string, string>;
}

/** PINGs the Redis at `url` and reads its version from `INFO server`. */
export async function probeRedis(url: string, timeoutMs = 2_000): Promise<RedisProbeResult> {
  const [pong, infoText] = await redisCommands(url, [['PING'], ['INFO', 'server']], timeoutMs);
  if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}, expected PONG`);
  if (typeof infoText !== 'string') throw new Error('INFO server did not answer with text');
  const info = parseInfo(infoText);
  const version = info['redis_version'];
  if (!version) throw new Error('INFO server has no redis_version field');
  return { version, info };
}

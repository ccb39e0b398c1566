import type { AcceptedRequest, StreamPosition } from '@parc/store';
import { ChunkedAcceptor } from './chunked-acceptor';

const request = (id: string): AcceptedRequest => ({ id, batchId: 'b', payload: id });
const position = (): StreamPosition => ({ line: 0, digest: '' });

describe('ChunkedAcceptor', () => {
  it('writes full chunks at once, the rest on finish, and keeps the ids in order', async () => {
    const writes: string[][] = [];
    const acceptor = new ChunkedAcceptor({ accept: async (chunk) => void writes.push(chunk.map((r) => r.id)), position, chunkSize: 2, chunkMs: 10_000 });
    ['a', 'b', 'c', 'd', 'e'].forEach((id) => acceptor.add(request(id)));
    expect(await acceptor.finish()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(writes).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('writes what waited chunkMs without a full chunk', async () => {
    const writes: number[] = [];
    const acceptor = new ChunkedAcceptor({ accept: async (chunk) => void writes.push(chunk.length), position, chunkSize: 100, chunkMs: 10 });
    acceptor.add(request('a'));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(writes).toEqual([1]);
    expect(await acceptor.finish()).toEqual(['a']);
  });

  it('stops writing after a failed write and reports it; ids hold only what was written', async () => {
    let calls = 0;
    const acceptor = new ChunkedAcceptor({
      accept: async () => {
        if (++calls === 2) throw new Error('down');
      },
      position,
      chunkSize: 1,
      chunkMs: 10_000,
    });
    ['a', 'b', 'c'].forEach((id) => acceptor.add(request(id)));
    await acceptor.settled();
    expect(() => acceptor.throwIfFailed()).toThrow('down');
    await expect(acceptor.finish()).rejects.toThrow('down');
    expect(acceptor.ids).toEqual(['a']);
    expect(calls).toBe(2);
  });

  it('is congested while more than one write waits, so the reader pauses', async () => {
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const acceptor = new ChunkedAcceptor({ accept: () => blocked, position, chunkSize: 1, chunkMs: 10_000 });
    acceptor.add(request('a'));
    expect(acceptor.congested).toBe(false);
    acceptor.add(request('b'));
    expect(acceptor.congested).toBe(true);
    release();
    await acceptor.settled();
    expect(acceptor.congested).toBe(false);
  });

  it('gives each chunk the position read when it was cut, and puts adopted ids first', async () => {
    const writes: { ids: string[]; line: number }[] = [];
    let line = 0;
    const acceptor = new ChunkedAcceptor({
      accept: async (chunk, at) => void writes.push({ ids: chunk.map((r) => r.id), line: at.line }),
      position: () => ({ line, digest: `d${line}` }),
      chunkSize: 2,
      chunkMs: 10_000,
    });
    acceptor.adopt(['x', 'y']);
    line = 3;
    acceptor.add(request('a'));
    line = 4;
    acceptor.add(request('b'));
    line = 9;
    acceptor.add(request('c'));
    expect(await acceptor.finish()).toEqual(['x', 'y', 'a', 'b', 'c']);
    expect(writes).toEqual([
      { ids: ['a', 'b'], line: 4 },
      { ids: ['c'], line: 9 },
    ]);
  });
});

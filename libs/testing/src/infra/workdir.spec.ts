import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, startProcess, type ManagedProcess } from './process';
import { createServiceDir, reapOrphans, recordOwner } from './workdir';

/** The pid of a process that has certainly exited. */
async function deadPid(): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('reapOrphans', () => {
  let root: string;
  const children: ManagedProcess[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'parc-reap-spec-'));
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.stop(1_000)));
    rmSync(root, { recursive: true, force: true });
  });

  /** A long-running "service" whose command line mentions `marker`. */
  async function service(marker: string): Promise<ManagedProcess> {
    const child = await startProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { logFile: join(root, `${children.length}.log`) });
    children.push(child);
    return child;
  }

  it('kills a service whose owner died and removes its directory', async () => {
    const dir = createServiceDir('kafka', root);
    const child = await service(dir);
    writeFileSync(join(dir, 'parc-owner.json'), JSON.stringify({ ownerPid: await deadPid(), pid: child.pid, markers: [dir] }));
    expect(reapOrphans(root)).toEqual([child.pid]);
    await child.exited;
    expect(existsSync(dir)).toBe(false);
  });

  it('leaves services of a live owner alone', async () => {
    const dir = createServiceDir('redis', root);
    const child = await service(dir);
    recordOwner(dir, child.pid, [dir]); // owner = this (live) process
    expect(reapOrphans(root)).toEqual([]);
    expect(isAlive(child.pid)).toBe(true);
    expect(existsSync(dir)).toBe(true);
  });

  it('never kills a pid whose command line lacks the markers (a recycled pid)', async () => {
    const dir = createServiceDir('redis', root);
    const unrelated = await service('something-else');
    writeFileSync(join(dir, 'parc-owner.json'), JSON.stringify({ ownerPid: await deadPid(), pid: unrelated.pid, markers: [dir] }));
    expect(reapOrphans(root)).toEqual([]);
    expect(isAlive(unrelated.pid)).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps fresh directories without an owner file (a concurrent run is setting up)', async () => {
    const dir = createServiceDir('kafka', root);
    expect(reapOrphans(root)).toEqual([]);
    expect(existsSync(dir)).toBe(true);
    expect(reapOrphans(root, 0)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});

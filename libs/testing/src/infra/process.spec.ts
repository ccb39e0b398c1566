import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './free-port';
import { isAlive, runCommand, startProcess, tailFile, waitForReady, which } from './process';

describe('process helpers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parc-process-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('startProcess sends output to the log file and stop() waits for the exit', async () => {
    const logFile = join(dir, 'out.log');
    const child = await startProcess(process.execPath, ['-e', 'console.log("hello"); setInterval(() => {}, 1000)'], { logFile });
    await waitForReady(child, async () => {
      if (!readFileSync(logFile, 'utf8').includes('hello')) throw new Error('not yet');
    }, { name: 'node', timeoutMs: 5_000, intervalMs: 10 });
    expect(isAlive(child.pid)).toBe(true);
    await expect(child.stop()).resolves.toEqual({ code: null, signal: 'SIGTERM' });
    expect(isAlive(child.pid)).toBe(false);
    await expect(child.stop()).resolves.toEqual({ code: null, signal: 'SIGTERM' }); // idempotent
  });

  it('stop() falls back to SIGKILL when SIGTERM is ignored', async () => {
    const script = 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)';
    const logFile = join(dir, 'stubborn.log');
    const child = await startProcess(process.execPath, ['-e', script], { logFile });
    await waitForReady(child, async () => {
      if (!tailFile(logFile).includes('ready')) throw new Error('not yet');
    }, { name: 'node', timeoutMs: 5_000, intervalMs: 10 });
    await expect(child.stop(200)).resolves.toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('waitForReady fails with the exit status and the log tail when the child dies first', async () => {
    const logFile = join(dir, 'dying.log');
    const child = await startProcess(process.execPath, ['-e', 'console.error("bind: Address already in use"); process.exit(3)'], { logFile });
    await expect(
      waitForReady(child, () => Promise.reject(new Error('refused')), { name: 'svc', timeoutMs: 5_000 }),
    ).rejects.toThrow(/svc exited before it was ready \(exit code 3\)\.\nLast lines of .*dying\.log:\nbind: Address already in use/);
  });

  it('waitForReady gives up after the timeout with the last probe error', async () => {
    const child = await startProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { logFile: join(dir, 'idle.log') });
    try {
      await expect(
        waitForReady(child, () => Promise.reject(new Error('ECONNREFUSED')), { name: 'svc', timeoutMs: 100, intervalMs: 20 }),
      ).rejects.toThrow(/svc was not ready within 100 ms \(last probe: ECONNREFUSED\)/);
    } finally {
      await child.stop();
    }
  });

  it('startProcess rejects when the command does not exist', async () => {
    await expect(startProcess(join(dir, 'no-such-binary'), [], { logFile: join(dir, 'x.log') })).rejects.toThrow(/ENOENT/);
  });

  it('runCommand collects output and exit code; which searches PATH', async () => {
    const result = await runCommand(process.execPath, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exit(2)']);
    expect(result).toMatchObject({ code: 2, stdout: 'out', stderr: 'err' });
    expect(which('node', `/nonexistent-parc:${join(process.execPath, '..')}`)).toBe(process.execPath);
    expect(which('node', '/nonexistent-parc')).toBeUndefined();
  });

  it('freePorts returns distinct ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
  });
});

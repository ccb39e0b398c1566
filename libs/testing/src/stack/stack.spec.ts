import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCallbackReceiver } from './callback-receiver';
import { startServiceProcess } from './service-process';

describe('startServiceProcess', () => {
  const logDir = mkdtempSync(join(tmpdir(), 'parc-stack-'));
  afterAll(() => rmSync(logDir, { recursive: true, force: true }));

  it('runs an app as its own process, survives SIGKILL by restart, and stops it with SIGTERM', async () => {
    const service = await startServiceProcess({ app: 'scheduler', env: { LOG_LEVEL: 'warn' }, logDir });
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    const firstPid = service.pid();
    expect(await service.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await service.restart();
    expect(service.pid()).not.toBe(firstPid);
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
    expect(await service.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('fails with the log tail when the app cannot start', async () => {
    const attempt = startServiceProcess({ app: 'scheduler', env: { LOG_LEVEL: 'nonsense' }, logDir });
    await expect(attempt).rejects.toThrow(/exited \(code 1\)[\s\S]*LOG_LEVEL/);
  }, 60_000);
});

describe('startCallbackReceiver', () => {
  it('records deliveries with their headers and answers as told', async () => {
    const receiver = await startCallbackReceiver({ answer: (_id, n) => (n === 1 ? 503 : 200) });
    try {
      const send = () => fetch(receiver.url, { method: 'POST', headers: { 'webhook-id': 'r1', 'content-type': 'application/json' }, body: '{"a":1}' });
      expect((await send()).status).toBe(503);
      expect((await send()).status).toBe(200);
      expect(receiver.deliveries.map((d) => [d.id, d.answeredWith, d.body])).toEqual([
        ['r1', 503, '{"a":1}'],
        ['r1', 200, '{"a":1}'],
      ]);
      expect(receiver.acceptedById().get('r1')).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});

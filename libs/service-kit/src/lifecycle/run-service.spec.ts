import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import {
  buildServiceApp,
  createLogger,
  createMetrics,
  createShutdown,
  runService,
  type Logger,
  type ProcessLike,
  type ServiceApp,
} from '../index';

/** A stand-in for `process`: emits signals on demand and records exit codes. */
class FakeProcess extends EventEmitter implements ProcessLike {
  readonly exits: number[] = [];
  private exited: (code: number) => void = () => undefined;
  readonly exitedWith = new Promise<number>((resolve) => (this.exited = resolve));

  exit(code: number): void {
    this.exits.push(code);
    this.exited(code);
  }
}

function capturingLogger(service = 'svc'): { logger: Logger; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ service, destination }), records: () => lines.map((line) => JSON.parse(line)) };
}

function build(logger: Logger): ServiceApp {
  return buildServiceApp({ service: 'svc', logger, registry: createMetrics({ service: 'svc' }) });
}

function shutdownOf(app: ServiceApp, logger: Logger, options: { shutdownTimeoutMs?: number; onShutdown?: () => unknown } = {}) {
  const exits: number[] = [];
  const shutdown = createShutdown({
    app,
    logger,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 1000,
    onShutdown: options.onShutdown,
    exit: (code) => void exits.push(code),
  });
  return { shutdown, exits };
}

describe('createShutdown', () => {
  it('turns not-ready at once, closes the app (its onClose hooks) and then exits 0', async () => {
    const { logger, records } = capturingLogger();
    const app = build(logger);
    let releaseClose: () => void = () => undefined;
    app.addHook('onClose', () => new Promise<void>((resolve) => (releaseClose = resolve)));
    await app.ready();
    const { shutdown, exits } = shutdownOf(app, logger);

    const done = shutdown('SIGTERM');
    expect(app.readiness.shuttingDown).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([]);
    releaseClose();
    expect(await done).toBe(0);
    expect(exits).toEqual([0]);
    expect(records().map((r) => r['msg'])).toEqual(['shutting down (SIGTERM)', 'shut down cleanly']);
  });

  it('is idempotent: a second signal while draining adds no close and no exit', async () => {
    const { logger } = capturingLogger();
    const app = build(logger);
    let closes = 0;
    app.addHook('onClose', async () => void closes++);
    const { shutdown, exits } = shutdownOf(app, logger);
    const first = shutdown('SIGINT');
    expect(await shutdown('SIGTERM')).toBe(0);
    expect(await first).toBe(0);
    expect(closes).toBe(1);
    expect(exits).toEqual([0]);
  });

  it('exits 1 with a fatal line when closing outlives the timeout', async () => {
    const { logger, records } = capturingLogger();
    const app = build(logger);
    app.addHook('onClose', () => new Promise<void>(() => undefined));
    const { shutdown, exits } = shutdownOf(app, logger, { shutdownTimeoutMs: 30 });
    expect(await shutdown('SIGTERM')).toBe(1);
    expect(exits).toEqual([1]);
    expect(records().find((r) => r['level'] === 'fatal')).toMatchObject({ msg: 'shutdown took longer than 30 ms; exiting' });
  });

  it('exits 1 with the error logged as fatal when a shutdown step fails', async () => {
    const { logger, records } = capturingLogger();
    const app = build(logger);
    const onShutdown = () => Promise.reject(new Error('exporter unreachable'));
    const { shutdown, exits } = shutdownOf(app, logger, { onShutdown });
    expect(await shutdown('SIGTERM')).toBe(1);
    expect(exits).toEqual([1]);
    expect(records().find((r) => r['level'] === 'fatal')).toMatchObject({ msg: 'shutdown failed', err: { message: 'exporter unreachable' } });
  });
});

describe('runService', () => {
  // Binds 127.0.0.1 on a port the OS picks: nothing leaves the machine, nothing collides.
  async function start() {
    const { logger, records } = capturingLogger();
    const app = build(logger);
    const proc = new FakeProcess();
    const running = await runService({ app, host: '127.0.0.1', port: 0, logger, shutdownTimeoutMs: 1000, process: proc });
    return { app, proc, running, records };
  }

  it('listens, logs the URL, and shuts down gracefully on SIGTERM', async () => {
    const { app, proc, running, records } = await start();
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(records().some((r) => r['msg'] === `listening on ${running.url}`)).toBe(true);
    proc.emit('SIGTERM', 'SIGTERM');
    expect(app.readiness.shuttingDown).toBe(true);
    expect(await proc.exitedWith).toBe(0);
    expect(app.server.listening).toBe(false);
  });

  it.each(['uncaughtException', 'unhandledRejection'])('logs %s as fatal with the error and exits 1', async (event) => {
    const { app, proc, records } = await start();
    proc.emit(event, new Error('kaboom'));
    expect(proc.exits).toEqual([1]);
    expect(records().find((r) => r['level'] === 'fatal')).toMatchObject({ err: { message: 'kaboom' } });
    await app.close();
  });
});

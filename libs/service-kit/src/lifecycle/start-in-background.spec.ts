import { ParcError } from '@parc/errors';
import { startInBackground } from './start-in-background';

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (_fields: unknown, message?: string) => void lines.push({ level, message: message ?? '' });
  return { lines, logger: { info: at('info'), warn: at('warn'), debug: at('debug') } };
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  if (!condition()) throw new Error('condition not met within 1 s');
};

describe('startInBackground', () => {
  it('keeps trying while a dependency is missing, reports what it waits for, and is started once an attempt succeeds', async () => {
    const { lines, logger } = recordingLogger();
    let attempts = 0;
    const starter = startInBackground({
      name: 'workers',
      start: async () => {
        if (++attempts < 4) throw new ParcError('QUEUE_UNAVAILABLE', 'Kafka could not connect: ECONNREFUSED');
        return 'running';
      },
      logger,
      onFatal: () => undefined,
      initialDelayMs: 1,
      maxDelayMs: 2,
    });
    expect(() => starter.assertStarted()).toThrow('workers not started: not started yet');
    starter.begin();
    await until(() => attempts >= 2);
    expect(() => starter.assertStarted()).toThrow('workers not started: Kafka could not connect: ECONNREFUSED');
    await until(() => starter.value !== undefined);
    expect(starter.value).toBe('running');
    expect(() => starter.assertStarted()).not.toThrow();
    // Three identical failures are one warning, not three; success is said once.
    expect(lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      'workers waiting for a dependency: Kafka could not connect: ECONNREFUSED',
    ]);
    expect(lines.filter((line) => line.level === 'info').map((line) => line.message)).toEqual(['workers started after 4 attempts']);
    expect(await starter.stop()).toBe('running');
  });

  it('warns again when the failure changes, so the log says what it waits for now', async () => {
    const { lines, logger } = recordingLogger();
    const failures = ['Redis: ECONNREFUSED', 'Redis: ECONNREFUSED', 'Kafka: coordinator loading'];
    const starter = startInBackground({
      name: 'workers',
      start: async () => {
        const next = failures.shift();
        if (next) throw new Error(next);
        return 1;
      },
      logger,
      onFatal: () => undefined,
      initialDelayMs: 1,
      maxDelayMs: 1,
    });
    starter.begin();
    await until(() => starter.value !== undefined);
    expect(lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      'workers waiting for a dependency: Redis: ECONNREFUSED',
      'workers waiting for a dependency: Kafka: coordinator loading',
    ]);
  });

  it('stops at a configuration error and hands it to onFatal once', async () => {
    const fatal: unknown[] = [];
    let attempts = 0;
    const error = new ParcError('QUEUE_OPTIONS_INVALID', 'batchSize must be at least 1');
    const starter = startInBackground({
      name: 'workers',
      start: async () => {
        attempts++;
        throw error;
      },
      logger: recordingLogger().logger,
      onFatal: (reason) => fatal.push(reason),
      initialDelayMs: 1,
    });
    starter.begin();
    await until(() => fatal.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fatal).toEqual([error]);
    expect(attempts).toBe(1);
    expect(() => starter.assertStarted()).toThrow('stopped: batchSize must be at least 1');
  });

  it('stops trying when stopped, without waiting out its back-off', async () => {
    let attempts = 0;
    const starter = startInBackground({
      name: 'workers',
      start: async () => {
        attempts++;
        throw new Error('no broker');
      },
      logger: recordingLogger().logger,
      onFatal: () => undefined,
      initialDelayMs: 60_000,
    });
    starter.begin();
    await until(() => attempts === 1);
    const stoppedAt = Date.now();
    expect(await starter.stop()).toBeUndefined();
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(attempts).toBe(1);
  });
});

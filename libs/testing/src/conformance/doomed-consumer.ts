import { fork } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait-for';

/** A consumer in another process that has received messages and will never acknowledge them. */
export interface DoomedConsumer {
  /** Payloads it has received so far. */
  readonly received: readonly string[];
  /** SIGKILL: the process dies holding its unacknowledged messages. */
  kill(): Promise<void>;
}

export interface DoomedConsumerSpec {
  /** Module exporting `createBackend(): Promise<QueueBackend> | QueueBackend` (a `*.fixture.ts`). */
  readonly factoryModule: string;
  readonly queue: string;
  readonly group: string;
  /** How many messages it must hold before this resolves. */
  readonly hold: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/**
 * Forks a child process (TypeScript through tsx) that consumes `queue` in `group`, reports every
 * payload it receives over IPC, and never acknowledges. Resolves once it holds `hold` messages.
 */
export async function spawnDoomedConsumer(spec: DoomedConsumerSpec): Promise<DoomedConsumer> {
  const received: string[] = [];
  const child = fork(join(__dirname, 'doomed-consumer.child.ts'), [spec.factoryModule, spec.queue, spec.group], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.on('message', (message: { received?: string[] }) => received.push(...(message.received ?? [])));
  try {
    const holdsEnough = (): boolean => {
      if (exited) throw new Error('the child consumer exited before holding its messages (see its output above)');
      return received.length >= spec.hold;
    };
    await waitFor(`the child consumer to hold ${spec.hold} messages`, holdsEnough, spec.timeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exit;
    throw error;
  }
  return {
    received,
    kill: async () => {
      child.kill('SIGKILL');
      await exit;
    },
  };
}

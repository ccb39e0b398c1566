import { closeAll, type CloseStep } from '../index';

function recorder() {
  const calls: string[] = [];
  const step = (name: string, behaviour: () => unknown = () => undefined): CloseStep => ({
    name,
    close: () => {
      calls.push(name);
      return behaviour();
    },
  });
  return { calls, step };
}

describe('closeAll', () => {
  it('runs every step in order', async () => {
    const { calls, step } = recorder();
    await closeAll([step('worker'), step('redis', async () => undefined), step('kafka')]);
    expect(calls).toEqual(['worker', 'redis', 'kafka']);
  });

  it('goes on past failures, sync or async, and reports every one of them', async () => {
    const { calls, step } = recorder();
    const boom = new Error('boom');
    const steps = [
      step('worker', () => {
        throw boom;
      }),
      step('redis'),
      step('kafka', () => Promise.reject(new Error('broker gone'))),
    ];
    const error = await closeAll(steps).catch((e: unknown) => e);
    expect(calls).toEqual(['worker', 'redis', 'kafka']);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).message).toBe('2 of 3 shutdown steps failed: worker: boom; kafka: broker gone');
    expect((error as AggregateError).errors).toEqual([boom, new Error('broker gone')]);
  });

  it('is idempotent: a second call runs no step again and reports the first outcome', async () => {
    const { calls, step } = recorder();
    const steps = [step('worker'), step('redis', () => Promise.reject(new Error('already gone')))];
    const first = closeAll(steps);
    const second = closeAll(steps);
    await expect(first).rejects.toThrow('redis: already gone');
    await expect(second).rejects.toThrow('redis: already gone');
    await expect(closeAll(steps)).rejects.toThrow('1 of 2 shutdown steps failed');
    expect(calls).toEqual(['worker', 'redis']);
  });

  it('lets a later call wait for a step that is still closing', async () => {
    const { calls, step } = recorder();
    let finish: () => void = () => undefined;
    const slow = step('slow', () => new Promise<void>((resolve) => (finish = resolve)));
    let secondDone = false;
    const first = closeAll([slow]);
    const second = closeAll([slow]).then(() => (secondDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondDone).toBe(false);
    finish();
    await Promise.all([first, second]);
    expect(secondDone).toBe(true);
    expect(calls).toEqual(['slow']);
  });
});

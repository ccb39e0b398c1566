import { closeAll, type CloseStep } from '@parc/service-kit';

/** A running stage worker. */
export interface Worker {
  /**
   * Stops consuming, lets running handlers finish (their batches are acknowledged; handlers
   * still running after the drain time are aborted and their batches redelivered), stops the
   * worker's loops. Idempotent: every call returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * A worker whose close runs `steps` in order (loops that feed consumers first, then the
 * consumers), going on past failures so every part gets its chance to stop.
 */
export function workerOf(steps: readonly CloseStep[]): Worker {
  let closing: Promise<void> | undefined;
  return {
    close: () => {
      closing ??= closeAll(steps);
      return closing;
    },
  };
}

/**
 * Starts the parts of a worker one after the other; the worker closes them in reverse order
 * (a loop that drives a consumer stops before the consumer). If one fails to start, the parts
 * already running are closed before the error propagates, so a failed start leaks nothing.
 */
export async function startParts(starters: readonly (() => Promise<CloseStep>)[]): Promise<Worker> {
  const started: CloseStep[] = [];
  try {
    for (const start of starters) started.push(await start());
  } catch (error) {
    await closeAll([...started].reverse()).catch(() => undefined);
    throw error;
  }
  return workerOf([...started].reverse());
}

/** One thing to stop at shutdown, named for the failure report. */
export interface CloseStep {
  readonly name: string;
  readonly close: () => unknown;
}

/** Each step's outcome, shared by every closeAll() call that includes the step. */
const outcomes = new WeakMap<CloseStep, Promise<unknown>>();

function closeOnce(step: CloseStep): Promise<unknown> {
  let outcome = outcomes.get(step);
  if (!outcome) {
    // Wrapping in an async function turns a synchronous throw into a rejection like any other.
    outcome = (async () => step.close())();
    outcomes.set(step, outcome);
  }
  return outcome;
}

/**
 * Runs the steps in order (stop consumers before closing the clients they use), going on past
 * failures so that every resource gets its chance to close. Resolves when all succeeded;
 * otherwise rejects with an `AggregateError` whose message names every failed step and whose
 * `errors` hold their errors.
 *
 * Idempotent per step: a step already closed (or closing) by an earlier call is not run again,
 * the later call waits for and reports its first outcome. So an `onClose` hook and an error
 * path can both call `closeAll(steps)` with the same step objects.
 */
export async function closeAll(steps: readonly CloseStep[]): Promise<void> {
  const failures: { name: string; error: unknown }[] = [];
  for (const step of steps) {
    try {
      await closeOnce(step);
    } catch (error) {
      failures.push({ name: step.name, error });
    }
  }
  if (failures.length === 0) return;
  const summary = failures
    .map(({ name, error }) => `${name}: ${error instanceof Error ? error.message : String(error)}`)
    .join('; ');
  throw new AggregateError(
    failures.map((failure) => failure.error),
    `${failures.length} of ${steps.length} shutdown steps failed: ${summary}`,
  );
}

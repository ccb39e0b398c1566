import { inspect } from 'node:util';

const MASK = '[secret]';

/**
 * A configuration value that must never be printed. Serialising it (JSON, `String()`,
 * `util.inspect`, pino) yields `[secret]`, so logging a whole config object is safe; code that
 * needs the value calls `reveal()` at the one place that uses it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  /** The actual value: call it where the secret is used, never where it is logged. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return MASK;
  }
}

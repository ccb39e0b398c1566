/**
 * Raised when the harness cannot provide Redis or Kafka. The message says what was tried and how
 * to fix it. Deliberately not a `ParcError`: the catalog codes are the product's public contract,
 * and "your machine lacks Java" is not a product error. (Global setup also runs outside Jest's
 * module mapper, so the harness's infra files import nothing through `@parc/*` aliases.)
 */
export class InfraUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfraUnavailableError';
  }
}

/** `error.message` for anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** `a`, `a and b`, `a, b, and c`. */
export function joinClauses(clauses: readonly string[]): string {
  const parts = clauses.map((clause) => clause.replace(/\.$/, ''));
  if (parts.length <= 1) return parts[0] ?? 'no source was allowed';
  return `${parts.slice(0, -1).join(', ')}${parts.length > 2 ? ',' : ''} and ${parts[parts.length - 1]}`;
}

import type { AttemptRecord, TraceContext } from '@parc/envelope';

/** One outbound HTTP request, as `@parc/egress`'s HttpCaller takes it. */
export interface OutboundCall {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly timeoutMs: number;
  /** Sent as `traceparent`/`tracestate` unless `headers` has a traceparent of its own. */
  readonly trace?: TraceContext;
}

/**
 * What the caller stage and the callback sender need from `@parc/egress`'s HttpCaller: perform
 * one call under the egress policy. Never rejects for a failed call: failures (timeouts, resets,
 * refused destinations) are attempt records with an `error.code`.
 */
export interface HttpCallPort {
  /**
   * Rejects only when `signal` aborts, or when `options.unsent` aborts before the request is sent
   * (it was still queued for a connection to its host): nothing was attempted then.
   */
  call(request: OutboundCall, signal?: AbortSignal, options?: { readonly unsent?: AbortSignal }): Promise<AttemptRecord>;
}

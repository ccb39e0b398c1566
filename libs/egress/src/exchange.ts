import { parseRetryAfter } from '@parc/backoff';
import { recordBody, type AttemptError, type AttemptRecord, type ResponseHeaders } from '@parc/envelope';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { classifyFailure, timeoutFailure, type FailureContext, type Phase } from './failures';
import { firstValue, recordHeaders } from './headers';

/** What an attempt produced, before timing is added: the attempt record minus startedAt/durationMs. */
export type Outcome = Omit<AttemptRecord, 'startedAt' | 'durationMs'>;

/** How one exchange ended: with an outcome to record, or cancelled by the caller's signal. */
export type ExchangeEnd = { readonly kind: 'outcome'; readonly outcome: Outcome } | { readonly kind: 'cancelled'; readonly reason: unknown };

/** The fixed inputs of one exchange. */
export interface ExchangeSettings {
  /** `host:port`, for messages. */
  readonly target: string;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly maxHeaderBytes: number;
  /** Epoch ms, for Retry-After dates. */
  readonly now: () => number;
}

interface ResponseHead {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly retryAfterMs: number | undefined;
}

/**
 * An undici dispatch handler that turns one request/response into an {@link Outcome}. It ends
 * exactly once (response end, error, body cap reached, timeout or cancel); whatever undici
 * reports after that only aborts the request, so a late connection never sends an abandoned
 * request. Bodies are collected up to `maxBodyBytes + 1` bytes: the extra byte is how
 * `recordBody` learns that the body was longer than what it keeps.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  private phase: Phase = 'connecting';
  private controller: Dispatcher.DispatchController | undefined;
  private ended = false;
  private head: ResponseHead | undefined;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly settings: ExchangeSettings,
    private readonly onEnd: (end: ExchangeEnd) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.ended) return controller.abort(new Error('attempt already ended'));
    this.controller = controller;
    this.phase = 'waiting';
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return; // informational; the final response follows
    if (this.ended) return controller.abort(new Error('attempt already ended'));
    this.phase = 'receiving';
    const retryAfter = firstValue(headers, 'retry-after');
    const retryAfterMs = parseRetryAfter(retryAfter, this.settings.now());
    this.head = {
      status,
      headers: recordHeaders(headers, this.settings.maxHeaderBytes),
      retryAfterMs: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs),
    };
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.ended) return;
    const room = this.settings.maxBodyBytes + 1 - this.bytes;
    if (chunk.length < room) {
      this.chunks.push(chunk);
      this.bytes += chunk.length;
      return;
    }
    this.chunks.push(chunk.subarray(0, room));
    this.bytes += room;
    this.end();
    // Stop reading: the rest of a large body is not worth the bandwidth, nor the connection.
    controller.abort(new Error('response body cap reached'));
  }

  onResponseEnd(): void {
    this.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.end(classifyFailure(error, this.context()));
  }

  /** The attempt's time is up: record a timeout worded by phase and abort the request. */
  timeout(): void {
    if (this.ended) return;
    this.end(timeoutFailure(this.context()));
    this.controller?.abort(new Error('attempt timed out'));
  }

  /** The caller gave up (its signal aborted): nothing is recorded. */
  cancel(reason: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd({ kind: 'cancelled', reason });
    this.controller?.abort(reason instanceof Error ? reason : new Error('attempt cancelled'));
  }

  private context(): FailureContext {
    return { target: this.settings.target, phase: this.phase, timeoutMs: this.settings.timeoutMs };
  }

  private end(error?: AttemptError): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd({ kind: 'outcome', outcome: this.outcome(error) });
  }

  private outcome(error: AttemptError | undefined): Outcome {
    const outcome: Outcome = {};
    if (this.head) {
      outcome.status = this.head.status;
      outcome.headers = this.head.headers;
      if (this.head.retryAfterMs !== undefined) outcome.retryAfterMs = this.head.retryAfterMs;
    }
    if (this.bytes > 0) {
      const body = recordBody(Buffer.concat(this.chunks, this.bytes), this.settings.maxBodyBytes);
      outcome.bodyBase64 = body.bodyBase64;
      if (body.bodyTruncated) outcome.bodyTruncated = true;
    }
    if (error) outcome.error = error;
    return outcome;
  }
}

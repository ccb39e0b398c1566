/**
 * The shapes of the proxy's answers that the CLI reads (libs/api/src/schemas/bodies.ts is the
 * source of truth). Declared here rather than imported: the client talks HTTP to whatever Parc
 * version runs, and fields it does not know are passed through, not rejected.
 */

/** Requests of a batch by state. */
export interface BatchCounts {
  readonly queued: number;
  readonly in_flight: number;
  readonly waiting_retry: number;
  readonly succeeded: number;
  readonly failed: number;
}

/** `GET /v1/batches/:id`. */
export interface BatchStatus {
  readonly batchId: string;
  readonly total: number;
  readonly counts: BatchCounts;
  readonly cancelRequested: boolean;
  /** Every request final and the batch's intake finished (proxies that predate it leave it out). */
  readonly complete?: boolean;
  /** Failed requests by reason (`retries_exhausted`, `non_retryable_status`, …), where the proxy reports them. */
  readonly reasons?: Readonly<Record<string, number>>;
}

/** A line of an NDJSON submission the proxy did not accept. */
export interface RejectedLine {
  readonly line: number;
  readonly error: { readonly code: string; readonly message: string; readonly details?: readonly { path: string; message: string }[] };
}

/** The 202 answer to `POST /v1/requests`. */
export interface BatchAccepted {
  readonly batchId: string;
  readonly ids: readonly string[];
  readonly rejected?: readonly RejectedLine[];
}

/** `GET /v1/requests/:id` (and `DELETE`). */
export interface RequestView {
  readonly id: string;
  readonly batchId: string;
  readonly state: string;
  readonly attempts: number;
  readonly cancelRequested: boolean;
}

/** A dead callback in `GET /v1/callbacks/dead`. */
export interface DeadLetterSummary {
  readonly id: string;
  readonly deadAt: string;
  readonly reason: string;
  readonly url?: string;
}

/** One page of `GET /v1/callbacks/dead`. */
export interface DeadLetterPage {
  readonly items: readonly DeadLetterSummary[];
  readonly next?: string;
}

/** The answer of both replay routes. */
export interface ReplayResult {
  readonly replayed: readonly string[];
  readonly notFound: readonly string[];
}

/** The fields of a final result line (`GET /v1/batches/:id/results`) the CLI looks at. */
export interface ResultLine {
  readonly id: string;
  readonly status: 'succeeded' | 'failed';
}

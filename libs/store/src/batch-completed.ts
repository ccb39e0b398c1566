import type { BatchSeal, BatchStatus } from './ledger';

/** The event type of the one callback a sealed batch sends when its last request is final. */
export const BATCH_COMPLETED = 'batch.completed';

/** The `webhook-id` of a batch's completion event: the same on every delivery attempt. */
export function batchCompletedId(batchId: string): string {
  return `${batchId}.completed`;
}

/**
 * The callback job (as the callbacks queue holds it: JSON with the exact body to sign) of a
 * batch's completion. The Redis ledger builds the same JSON in Lua (ledger-scripts' COMPLETE);
 * the store conformance suite holds both to this shape.
 */
export function batchCompletedJob(status: BatchStatus, callback: NonNullable<BatchSeal['callback']>, completedAtIso: string): string {
  const body = {
    type: BATCH_COMPLETED,
    timestamp: completedAtIso,
    data: {
      batchId: status.batchId,
      total: status.total,
      counts: { succeeded: status.counts.succeeded, failed: status.counts.failed },
      reasons: status.reasons,
      ...(status.firstFinishedAt === undefined ? {} : { firstFinishedAt: status.firstFinishedAt }),
      ...(status.lastFinishedAt === undefined ? {} : { lastFinishedAt: status.lastFinishedAt }),
      results: `/v1/batches/${status.batchId}/results`,
    },
  };
  return JSON.stringify({ id: batchCompletedId(status.batchId), url: callback.url, ...(callback.headers === undefined ? {} : { headers: callback.headers }), body: JSON.stringify(body), attempt: 0 });
}

import { pickParc } from '@parc/topology';
import type { CloseStep } from '@parc/service-kit';
import { startPromoter } from '../common/promoter';
import { startRelay } from '../common/relay';
import { parseBatch, refsOf } from '../common/parse';
import { publishFinal, STAGE, type OutgoingDeps } from './deps';
import { batchSpans, requestSpan } from '../common/tracing';

export interface MoverSettings {
  readonly tickMs: number;
  readonly promoteLimit: number;
  readonly group: string;
  readonly batchSize: number;
  readonly concurrency: number;
}

/** The mover's promotion loop: due items leave the delayed set for the `due` stream. */
export function startMoverPromoter(deps: OutgoingDeps, settings: MoverSettings): CloseStep {
  return startPromoter({
    name: `${STAGE} mover`,
    delayed: deps.delayed,
    now: deps.ctx.now,
    tickMs: settings.tickMs,
    limit: settings.promoteLimit,
    logger: deps.ctx.logger,
    onMoved: (moved) => deps.ctx.metrics.messages.inc({ stage: `${STAGE} mover`, outcome: 'promoted' }, moved),
  });
}

/**
 * The mover's relay: `due` → the requests topic of an active Parc (any Parc may take a retry),
 * keyed by request id → acknowledge. Requests cancelled while they waited are finalised
 * `cancelled` instead (one ledger check per batch).
 */
export function startDueRelay(deps: OutgoingDeps, settings: MoverSettings): Promise<CloseStep> {
  const { ctx } = deps;
  const stage = `${STAGE} mover`;
  return startRelay({
    stage,
    backend: deps.parc,
    queue: deps.names.due,
    group: settings.group,
    batchSize: settings.batchSize,
    concurrency: settings.concurrency,
    drainMs: ctx.drainMs,
    logger: ctx.logger,
    metrics: ctx.metrics,
    handle: async (batch, out) => {
      const items = parseBatch(batch, stage, ctx.logger, ctx.metrics);
      if (items.length === 0) return;
      const cancelled = await deps.ledger.cancelled(refsOf(items));
      const parcs = deps.activeParcIds();
      const nowMs = ctx.now();
      const spans = batchSpans(ctx, out);
      for (const { envelope, delivery } of items) {
        if (cancelled.has(envelope.id)) publishFinal(deps, out, envelope, { status: 'failed', reason: 'cancelled' }, nowMs);
        else out.publish(deps.kafka, deps.requestsTopicOf(pickParc(envelope.id, parcs)), { payload: delivery.payload, key: envelope.id });
        spans?.add(requestSpan(ctx.tracing, stage, envelope, cancelled.has(envelope.id) ? 'cancelled' : 'requeued'));
      }
      ctx.metrics.messages.inc({ stage, outcome: 'requeued' }, items.length - cancelled.size);
    },
  });
}

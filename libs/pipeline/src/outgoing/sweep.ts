import type { CloseStep } from '@parc/service-kit';
import { startTicker } from '../common/ticker';
import { STAGE, type OutgoingDeps } from './deps';

export interface SweepSettings {
  readonly tickMs: number;
  readonly limit: number;
}

/**
 * The cancellation sweep: reads the ledger's cancellation log and brings cancelled requests'
 * retries forward to now, so the mover finalises them promptly instead of at their retry time.
 *
 * The position is kept in memory and starts at the beginning of the log on every start: a
 * cancellation made while no outgoing ran is still expedited, and going over old ones again is
 * harmless (expedite ignores ids not waiting here). The log is capped by the ledger, so the
 * catch-up is bounded. Batch cancellations cannot be expedited (the delayed set is not indexed
 * by batch): those requests are finalised `cancelled` when their retry comes due (the mover
 * checks the ledger) or when a caller next picks them.
 */
export function startCancellationSweep(deps: OutgoingDeps, settings: SweepSettings): CloseStep {
  let position: string | undefined;
  const stage = `${STAGE} sweep`;
  return startTicker({
    name: stage,
    intervalMs: settings.tickMs,
    logger: deps.ctx.logger,
    tick: async () => {
      const cancellations = await deps.ledger.cancellationsAfter(position, settings.limit);
      const last = cancellations[cancellations.length - 1];
      if (last === undefined) return false;
      const ids = cancellations.flatMap(({ requestId }) => (requestId === undefined ? [] : [requestId]));
      const expedited = ids.length === 0 ? 0 : await deps.delayed.expedite(ids, deps.ctx.now());
      // Advanced only after expedite succeeded: a failed tick reads the same page again.
      position = last.position;
      if (expedited > 0) deps.ctx.metrics.messages.inc({ stage, outcome: 'expedited' }, expedited);
      return cancellations.length >= settings.limit;
    },
  });
}

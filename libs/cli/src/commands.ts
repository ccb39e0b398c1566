import type { BatchStatus, DeadLetterPage, ReplayResult, RequestView } from './api-types';
import { println, type CommandContext } from './context';
import { CliError, EXIT_CODES, isCliError } from './errors';
import { finishedOf, formatReasons, isComplete } from './progress';
import { streamResults } from './results';
import { getBatch } from './wait';

/** `parc status` as a person reads it. */
export function formatStatus(status: BatchStatus): string[] {
  const state = isComplete(status) ? 'complete' : 'in progress';
  const cancel = status.cancelRequested ? ', cancel requested' : '';
  const rows: [string, number][] = [
    ['total', status.total],
    ['succeeded', status.counts.succeeded],
    ['failed', status.counts.failed],
    ['queued', status.counts.queued],
    ['in flight', status.counts.in_flight],
    ['waiting retry', status.counts.waiting_retry],
  ];
  const width = Math.max(...rows.map(([, n]) => String(n).length));
  const reasons = formatReasons(status.reasons);
  return [
    `batch ${status.batchId}: ${state}${cancel} (${finishedOf(status)}/${status.total} finished)`,
    ...rows.map(([label, n]) => `  ${label.padEnd(14)}${String(n).padStart(width)}`),
    ...(reasons === '' ? [] : [`  failed because ${reasons}`]),
  ];
}

/** `parc status BATCH [--json]`: always exit 0 once the status was read. */
export async function status(ctx: CommandContext, batchId: string, options: { json?: boolean }): Promise<number> {
  const path = `/v1/batches/${encodeURIComponent(batchId)}`;
  if (options.json === true) {
    const response = await ctx.client.call('GET', path);
    println(ctx.stdout, (await ctx.client.text(response)).trimEnd());
    return EXIT_CODES.ok;
  }
  formatStatus(await getBatch(ctx.client, batchId)).forEach((line) => println(ctx.stdout, line));
  return EXIT_CODES.ok;
}

/** `parc results BATCH [--wait] [--after ID]`: the result lines on stdout, byte for byte. Exit 2 when one of them failed. */
export async function results(ctx: CommandContext, batchId: string, options: { wait?: boolean; after?: string }): Promise<number> {
  const tally = await streamResults({
    client: ctx.client,
    batchId,
    wait: options.wait === true,
    after: options.after,
    sink: ctx.stdout,
    clock: ctx.clock,
    random: ctx.random,
    onNote: (line) => println(ctx.stderr, line),
  });
  return tally.failed > 0 ? EXIT_CODES.someFailed : EXIT_CODES.ok;
}

/** Which kind of id `parc cancel` was given. */
export type CancelTarget = 'auto' | 'batch' | 'request';

/**
 * `parc cancel ID`: `DELETE /v1/batches/:id`; when no batch has that id (404), `DELETE
 * /v1/requests/:id`. `--batch` / `--request` skip the guess.
 */
export async function cancel(ctx: CommandContext, id: string, target: CancelTarget, options: { json?: boolean }): Promise<number> {
  const encoded = encodeURIComponent(id);
  if (target !== 'request') {
    try {
      const batch = await ctx.client.json<BatchStatus>('DELETE', `/v1/batches/${encoded}`);
      const unfinished = batch.total - finishedOf(batch);
      println(ctx.stdout, options.json === true ? JSON.stringify(batch) : `cancelling batch ${batch.batchId}: ${unfinished} of ${batch.total} requests not finished yet will end failed (cancelled)`);
      return EXIT_CODES.ok;
    } catch (error) {
      if (target === 'batch' || !(isCliError(error, 'REFUSED') && error.status === 404)) throw error;
    }
  }
  try {
    const request = await ctx.client.json<RequestView>('DELETE', `/v1/requests/${encoded}`);
    println(ctx.stdout, options.json === true ? JSON.stringify(request) : `cancelling request ${request.id} (${request.state}, ${request.attempts} attempts so far): it will end failed (cancelled)`);
    return EXIT_CODES.ok;
  } catch (error) {
    if (target === 'auto' && isCliError(error, 'REFUSED') && error.status === 404) {
      throw new CliError('REFUSED', `no batch or request ${id}: it was never accepted, or it expired (404)`, { cause: error, status: 404 });
    }
    throw error;
  }
}

/** `parc dead list [--limit N] [--after ID] [--all] [--json]`. */
export async function deadList(ctx: CommandContext, options: { limit?: number; after?: string; all?: boolean; json?: boolean }): Promise<number> {
  const items: DeadLetterPage['items'][number][] = [];
  let after = options.after;
  let next: string | undefined;
  do {
    const page = await ctx.client.json<DeadLetterPage>('GET', '/v1/callbacks/dead', { query: { limit: options.limit?.toString(), after } });
    items.push(...page.items);
    next = page.next;
    after = next;
  } while (options.all === true && next !== undefined);
  if (options.json === true) {
    println(ctx.stdout, JSON.stringify(next === undefined ? { items } : { items, next }));
    return EXIT_CODES.ok;
  }
  for (const item of items) println(ctx.stdout, [item.id, item.deadAt, item.reason, item.url ?? ''].join('\t').trimEnd());
  println(ctx.stderr, `${items.length} dead callbacks${next === undefined ? '' : `; more with: parc dead list --after ${next}`}`);
  return EXIT_CODES.ok;
}

/** `parc dead replay ID...`: one id through `POST /v1/callbacks/dead/:id/replay`, several in one `POST /v1/callbacks/dead/replay`. */
export async function deadReplay(ctx: CommandContext, ids: readonly string[], options: { json?: boolean }): Promise<number> {
  const result =
    ids.length === 1
      ? await ctx.client.json<ReplayResult>('POST', `/v1/callbacks/dead/${encodeURIComponent(ids[0] as string)}/replay`)
      : await ctx.client.json<ReplayResult>('POST', '/v1/callbacks/dead/replay', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ids: [...new Set(ids)] }),
        });
  if (options.json === true) println(ctx.stdout, JSON.stringify(result));
  else for (const id of result.replayed) println(ctx.stdout, `replayed ${id}`);
  if (result.notFound.length > 0) {
    throw new CliError('REFUSED', `no dead callback ${result.notFound.join(', ')} (${result.replayed.length} replayed)`);
  }
  return EXIT_CODES.ok;
}

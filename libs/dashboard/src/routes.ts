import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, RawServerDefault } from 'fastify';
import type { BatchStatus, DestinationState } from '@parc/store';
import { DASHBOARD_CSS } from './assets/dashboard.css';
import { DASHBOARD_HTML } from './assets/dashboard.html';
import { DASHBOARD_SCRIPT } from './assets/dashboard.js';
import { TickHistory, type DashboardTick, type DashboardView } from './view';

/** Where the dashboard's picture comes from. */
export interface DashboardSource {
  readonly kind: DashboardView['source'];
  /** Up to `limit` of the newest ticks (any order). The scheduler reads its decision log; the embedded mode reads its queues now. */
  ticks(limit: number): Promise<readonly DashboardTick[]>;
  /** Batches still open, and those completed a short while ago, newest first. */
  batches(): Promise<readonly BatchStatus[]>;
  /** The destination keys and their breakers. */
  destinations(): Promise<readonly DestinationState[]>;
}

export interface DashboardOptions {
  readonly source: DashboardSource;
  /**
   * Checks the `Authorization` header of a state request; throws a ParcError (UNAUTHORIZED,
   * FORBIDDEN) to refuse it. Undefined: the state is served to anyone who reaches the port.
   */
  readonly authorize?: (authorization: string | undefined) => void;
  /** Ticks of history kept for the charts and rates (default 300: five minutes at one tick a second). */
  readonly historyTicks?: number;
  /** A state computed less than this long ago is served again (default 500 ms): many open pages cost one reading. */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

/** uPlot's browser build and stylesheet, from its npm package: no CDN, nothing fetched from outside. */
function uplotAssets(): { readonly script: string; readonly css: string } {
  return {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/**
 * The live dashboard: `GET /dashboard` (the page, its script and styles, uPlot) and
 * `GET /dashboard/state` (the JSON the page polls every second). The page and its assets hold no
 * data and are served to anyone; the state is behind `authorize`, and the page asks for a key when
 * it is refused.
 */
export function registerDashboard<Logger extends FastifyBaseLogger>(app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>, options: DashboardOptions): void {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 500;
  const historyTicks = options.historyTicks ?? 300;
  const history = new TickHistory(historyTicks);
  const uplot = uplotAssets();
  let cached: { readonly atMs: number; readonly view: Promise<DashboardView> } | undefined;

  const readState = async (): Promise<DashboardView> => {
    // After a pause (no one watching), the whole history is read again; otherwise the newest few.
    const newest = history.newestAtMs;
    const limit = newest === undefined || now() - newest > 10_000 ? historyTicks : 10;
    const [ticks, batches, destinations] = await Promise.all([options.source.ticks(limit), options.source.batches(), options.source.destinations()]);
    history.add(ticks);
    return history.view({ nowMs: now(), source: options.source.kind, batches, destinations });
  };

  const asset = (type: string, body: string) => async (_request: unknown, reply: FastifyReply) => reply.type(type).header('cache-control', 'no-cache').send(body);
  app.get('/dashboard', asset('text/html; charset=utf-8', DASHBOARD_HTML));
  app.get('/dashboard/dashboard.js', asset('text/javascript; charset=utf-8', DASHBOARD_SCRIPT));
  app.get('/dashboard/dashboard.css', asset('text/css; charset=utf-8', DASHBOARD_CSS));
  app.get('/dashboard/uplot.js', asset('text/javascript; charset=utf-8', uplot.script));
  app.get('/dashboard/uplot.css', asset('text/css; charset=utf-8', uplot.css));
  app.get('/dashboard/state', async (request, reply) => {
    options.authorize?.(request.headers.authorization);
    const at = now();
    if (cached === undefined || at - cached.atMs >= cacheMs) {
      const view = readState();
      cached = { atMs: at, view };
      // A failed reading is not served again: the next poll tries afresh.
      view.catch(() => {
        if (cached?.view === view) cached = undefined;
      });
    }
    return reply.header('cache-control', 'no-store').send(await cached.view);
  });
}

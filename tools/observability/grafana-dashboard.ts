/**
 * Writes deploy/observability/grafana/parc.json, the Grafana dashboard of Parc, from the panel
 * list below: every query in one readable place, the layout computed. Built on Parc's own
 * Prometheus metrics only; tools/observability/observability.spec.ts fails when the JSON is stale
 * or names a metric the services do not export.
 *
 *   node --import tsx tools/observability/grafana-dashboard.ts          rewrite the file
 *   node --import tsx tools/observability/grafana-dashboard.ts --check  exit 1 when it is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARD_PATH = join(__dirname, '../../deploy/observability/grafana/parc.json');

/** The datasource variable: the dashboard's one input, on import and when provisioned from a file. */
const DATASOURCE = { type: 'prometheus', uid: '${DS_PROMETHEUS}' } as const;

/** Per-second rates over Grafana's rate interval (at least four scrapes). */
const rate = (selector: string): string => `rate(${selector}[$__rate_interval])`;

interface Query {
  readonly expr: string;
  readonly legend: string;
}

interface Panel {
  readonly title: string;
  readonly description: string;
  readonly queries: readonly Query[];
  /** Grafana unit id: short, reqps, s, bytes, percentunit, … */
  readonly unit?: string;
  readonly kind?: 'timeseries' | 'stat' | 'state-timeline';
  /** Of 24 columns; default 8. */
  readonly width?: number;
  /** Value → text and colour, for state panels. */
  readonly mappings?: readonly { readonly value: string; readonly text: string; readonly color: string }[];
  /** Stacked areas (parts of a whole). */
  readonly stacked?: boolean;
}

interface Row {
  readonly title: string;
  readonly panels: readonly Panel[];
}

const q = (expr: string, legend: string): Query => ({ expr, legend });

const FINAL_OUTCOMES = 'outcome!~"retry|stale|expedited"';

export const ROWS: readonly Row[] = [
  {
    title: 'Pipeline',
    panels: [
      {
        title: 'Backlog per queue',
        description: 'Messages waiting per consumed queue and consumer group (parc_queue_backlog, state="waiting"), as the stage that consumes it reads it at scrape time.',
        queries: [q('max by (queue, group) (parc_queue_backlog{state="waiting"})', '{{queue}} → {{group}}')],
        width: 12,
      },
      {
        title: 'In flight per queue',
        description: 'Messages delivered to a group and not acknowledged yet (Redis streams; Kafka reports 0).',
        queries: [q('max by (queue, group) (parc_queue_backlog{state="in_flight"})', '{{queue}} → {{group}}')],
        width: 12,
      },
      {
        title: 'Rate in and out',
        description: 'Requests accepted by the API, envelopes routed to a Parc by proxy-store, attempts made by the callers, final results recorded by the responder and callbacks delivered.',
        queries: [
          q(`sum(${rate('parc_api_requests_accepted_total')})`, 'accepted (in)'),
          q(`sum(${rate('parc_stage_messages_total{stage="proxy-store", outcome="routed"}')})`, 'routed to a Parc'),
          q(`sum(${rate('parc_stage_messages_total{stage="parc-caller", outcome="called"}')})`, 'attempts'),
          q(`sum(${rate('parc_stage_messages_total{stage="responder", outcome="finalised"}')})`, 'results (out)'),
          q(`sum(${rate('parc_stage_messages_total{stage="callback-sender", outcome="delivered"}')})`, 'callbacks delivered'),
        ],
        unit: 'reqps',
        width: 12,
      },
      {
        title: 'Inbox and ready backlogs',
        description: 'The inbox as the API last read it for its watermark (above it, intake answers 429), and each Parc\'s ready stream as parc-incoming reads it (above its high watermark parc-incoming pauses).',
        queries: [q('max(parc_api_inbox_backlog)', 'inbox'), q('max by (parc) (parc_ready_backlog)', 'ready {{parc}}')],
        width: 6,
      },
      {
        title: 'parc-incoming paused',
        description: '1 while parc-incoming holds off because its Parc\'s ready stream is above the high watermark: the callers are the bottleneck.',
        queries: [q('max by (parc) (parc_incoming_paused)', '{{parc}}')],
        kind: 'state-timeline',
        width: 6,
        mappings: [
          { value: '0', text: 'consuming', color: 'green' },
          { value: '1', text: 'paused', color: 'orange' },
        ],
      },
      {
        title: 'Messages per stage and outcome',
        description: 'What each stage did with the messages it handled (parc_stage_messages_total).',
        queries: [q(`sum by (stage, outcome) (${rate('parc_stage_messages_total')})`, '{{stage}} {{outcome}}')],
        unit: 'ops',
        width: 12,
      },
      {
        title: 'Batch duration p95 per stage',
        description: 'From a batch\'s delivery until its output is durable, before the acknowledgement.',
        queries: [q(`histogram_quantile(0.95, sum by (stage, le) (${rate('parc_stage_batch_duration_seconds_bucket')}))`, '{{stage}}')],
        unit: 's',
        width: 12,
      },
      {
        title: 'Failed batches',
        description: 'Batches a stage failed to handle; they are redelivered. Steady failures point at a backend (see readiness).',
        queries: [q(`sum by (stage) (${rate('parc_stage_batch_failures_total')})`, '{{stage}}')],
        unit: 'ops',
        width: 12,
      },
    ],
  },
  {
    title: 'Intake',
    panels: [
      {
        title: 'Requests accepted',
        description: 'Requests accepted into the inbox, by format and API key name.',
        queries: [q(`sum by (format, api_key) (${rate('parc_api_requests_accepted_total')})`, '{{api_key}} {{format}}')],
        unit: 'reqps',
      },
      {
        title: 'Submissions refused',
        description: 'Submissions refused as a whole, by error code (backlog_full: the inbox is above its watermark; see docs/errors.md).',
        queries: [q(`sum by (reason, format) (${rate('parc_api_requests_rejected_total')})`, '{{reason}} {{format}}')],
        unit: 'reqps',
      },
      {
        title: 'Intake latency',
        description: 'From a submission\'s arrival to its 202.',
        queries: [
          q(`histogram_quantile(0.5, sum by (le) (${rate('parc_api_intake_duration_seconds_bucket')}))`, 'p50'),
          q(`histogram_quantile(0.95, sum by (le) (${rate('parc_api_intake_duration_seconds_bucket')}))`, 'p95'),
          q(`histogram_quantile(0.99, sum by (le) (${rate('parc_api_intake_duration_seconds_bucket')}))`, 'p99'),
        ],
        unit: 's',
      },
      {
        title: 'Batches, NDJSON lines and replays',
        description: 'Batches (JSON submissions, NDJSON streams) accepted, NDJSON lines by outcome, and submissions answered from a stored Idempotency-Key answer.',
        queries: [
          q(`sum by (format) (${rate('parc_api_batches_accepted_total')})`, 'batches {{format}}'),
          q(`sum by (outcome) (${rate('parc_api_ndjson_lines_total')})`, 'NDJSON lines {{outcome}}'),
          q(`sum(${rate('parc_api_idempotent_replays_total')})`, 'idempotent replays'),
        ],
        unit: 'ops',
        width: 12,
      },
      {
        title: 'API requests by route and status',
        description: 'Every HTTP request served by the proxy (API, health, metrics), by route pattern and status code.',
        queries: [q(`sum by (route, status_code) (${rate('http_server_request_duration_seconds_count{service="proxy"}')})`, '{{route}} {{status_code}}')],
        unit: 'reqps',
        width: 12,
      },
    ],
  },
  {
    title: 'Attempts',
    panels: [
      {
        title: 'Attempts by outcome',
        description: 'HTTP calls to targets by status class (2xx…5xx) or transport error code.',
        queries: [q(`sum by (outcome) (${rate('parc_caller_calls_total')})`, '{{outcome}}')],
        unit: 'reqps',
        stacked: true,
      },
      {
        title: 'Attempt latency p50 / p95',
        description: 'Duration of calls to targets, by status class (error: no usable response).',
        queries: [
          q(`histogram_quantile(0.5, sum by (status_class, le) (${rate('parc_caller_call_duration_seconds_bucket')}))`, 'p50 {{status_class}}'),
          q(`histogram_quantile(0.95, sum by (status_class, le) (${rate('parc_caller_call_duration_seconds_bucket')}))`, 'p95 {{status_class}}'),
        ],
        unit: 's',
      },
      {
        title: 'Calls in flight',
        description: 'Calls to targets in flight, over every caller.',
        queries: [q('sum(parc_caller_in_flight)', 'in flight')],
      },
      {
        title: 'Final results by outcome',
        description: 'Requests that ended, by outcome: succeeded, or why they failed (retries_exhausted, non_retryable_status, deadline_exceeded, …).',
        queries: [q(`sum by (outcome) (${rate(`parc_stage_messages_total{stage="parc-outgoing", ${FINAL_OUTCOMES}}`)})`, '{{outcome}}')],
        unit: 'reqps',
        stacked: true,
        width: 12,
      },
      {
        title: 'Retries scheduled and requests waiting for their destination',
        description: 'Attempts that will be retried after their back-off, and requests that waited for their destination key (no attempt used), by reason.',
        queries: [
          q(`sum(${rate('parc_stage_messages_total{stage="parc-outgoing", outcome="retry"}')})`, 'retries scheduled'),
          q(`sum by (outcome) (${rate('parc_stage_messages_total{stage="parc-caller", outcome=~"waiting_.*"}')})`, '{{outcome}}'),
        ],
        unit: 'reqps',
        width: 12,
      },
    ],
  },
  {
    title: 'Callbacks',
    panels: [
      {
        title: 'Callbacks by what became of them',
        description: 'Callback jobs delivered, scheduled for another try, or given up on (dead_letter).',
        queries: [q(`sum by (outcome) (${rate('parc_stage_messages_total{stage="callback-sender"}')})`, '{{outcome}}')],
        unit: 'ops',
        stacked: true,
      },
      {
        title: 'Dead-lettered callbacks (in the range)',
        description: 'Callbacks given up on and stored as dead letters. GET /v1/callbacks/dead lists them; POST /v1/callbacks/dead/replay sends them again once the receiver is fixed.',
        queries: [q('sum(increase(parc_callback_dead_letters_total[$__range]))', 'dead letters')],
        kind: 'stat',
        width: 4,
      },
      {
        title: 'Callback deliveries by outcome',
        description: 'Callback POSTs by status class or transport error code.',
        queries: [q(`sum by (outcome) (${rate('parc_callback_calls_total')})`, '{{outcome}}')],
        unit: 'reqps',
        width: 6,
      },
      {
        title: 'Callback latency p95 and in flight',
        description: 'Duration of callback POSTs (p95 by status class) and callbacks in flight.',
        queries: [
          q(`histogram_quantile(0.95, sum by (status_class, le) (${rate('parc_callback_call_duration_seconds_bucket')}))`, 'p95 {{status_class}}'),
          q('sum(parc_callback_in_flight)', 'in flight'),
        ],
        unit: 's',
        width: 6,
      },
    ],
  },
  {
    title: 'Destinations',
    panels: [
      {
        title: 'Breaker state per configured destination',
        description: 'The circuit breaker of each origin configured in DESTINATION_LIMITS. Open: its requests wait (no attempt used) until a probe succeeds. GET /v1/destinations shows every key.',
        queries: [q('max by (key) (parc_destination_breaker_state{state="open"}) * 2 + max by (key) (parc_destination_breaker_state{state="half_open"})', '{{key}}')],
        kind: 'state-timeline',
        width: 12,
        mappings: [
          { value: '0', text: 'closed', color: 'green' },
          { value: '1', text: 'half open', color: 'orange' },
          { value: '2', text: 'open', color: 'red' },
        ],
      },
      {
        title: 'Restricted keys and waiting room',
        description: 'Destination keys restricted now (paused, breaker not closed, Retry-After), and requests held in the callers\' waiting rooms for their key\'s capacity.',
        queries: [q('max(parc_caller_destinations_restricted)', 'restricted keys'), q('sum(parc_caller_destination_held)', 'held in waiting rooms')],
        width: 12,
      },
      {
        title: 'Gate answers "wait" by reason',
        description: 'Requests told to wait by the destination gate (rate, parallelism, paused, breaker_open, retry_after); a held request may be told several times.',
        queries: [q(`sum by (reason) (${rate('parc_caller_destination_waits_total')})`, '{{reason}}')],
        unit: 'ops',
        width: 12,
      },
      {
        title: 'Calls through the gate',
        description: 'Calls that went through the destination gate (keys with limits, or restricted ones).',
        queries: [q(`sum(${rate('parc_caller_destination_gated_calls_total')})`, 'gated calls')],
        unit: 'reqps',
        width: 12,
      },
    ],
  },
  {
    title: 'Scheduler',
    panels: [
      {
        title: 'Instances per stage: planned and running',
        description: 'Instances the latest plan wants per stage (p1/parc-caller for a Parc\'s stage), and those running when it was made.',
        queries: [q('max by (stage) (parc_scheduler_desired_instances)', 'planned {{stage}}'), q('max by (stage) (parc_scheduler_actual_instances)', 'running {{stage}}')],
        width: 12,
      },
      {
        title: 'Caller parallelism per Parc',
        description: 'Calls in flight the latest plan allows each parc-caller instance of a Parc.',
        queries: [q('max by (parc) (parc_scheduler_caller_parallelism)', '{{parc}}')],
        width: 12,
      },
      {
        title: 'CPU budget',
        description: 'CPU Parc may use (capacity), what the latest plan reserves of it, and what its instances used where the driver measures it (millicores).',
        queries: [q('max by (kind) (parc_scheduler_budget{resource="cpu"})', '{{kind}}')],
        unit: 'short',
      },
      {
        title: 'Memory budget',
        description: 'Memory Parc may use (capacity) and what the latest plan reserves of it (MiB).',
        queries: [q('max by (kind) (parc_scheduler_budget{resource="memory"})', '{{kind}}')],
        unit: 'short',
      },
      {
        title: 'Budget reserved',
        description: 'Share of the capacity the latest plan reserves. Near 100 % for long, stages wait for capacity (alert ParcSchedulerAtBudget).',
        queries: [q('max by (resource) (parc_scheduler_budget{kind="planned"}) / max by (resource) (parc_scheduler_budget{kind="capacity"})', '{{resource}}')],
        unit: 'percentunit',
      },
    ],
  },
  {
    title: 'Services',
    panels: [
      {
        title: 'Readiness per service',
        description: 'Instances whose readiness checks all pass (parc_ready) out of those scraped. Fewer ready than running: GET /health/ready on the instance names the failing check.',
        queries: [q('sum by (service) (parc_ready)', 'ready {{service}}'), q('count by (service) (parc_ready)', 'running {{service}}')],
        width: 12,
      },
      {
        title: 'Instances not ready',
        description: 'Instances reporting not ready now (a backend unreachable, workers not started, shutting down).',
        queries: [q('count(parc_ready == 0) or vector(0)', 'not ready')],
        kind: 'stat',
        width: 12,
      },
      {
        title: 'CPU per service',
        description: 'CPU time used per second, summed over each service\'s instances (1 = one core).',
        queries: [q(`sum by (service) (${rate('process_cpu_seconds_total')})`, '{{service}}')],
        unit: 'short',
      },
      {
        title: 'Resident memory per service',
        description: 'Resident set size, summed over each service\'s instances.',
        queries: [q('sum by (service) (process_resident_memory_bytes)', '{{service}}')],
        unit: 'bytes',
      },
      {
        title: 'Event loop lag p99',
        description: 'The worst instance of each service: a lag of tens of milliseconds means it is CPU-bound.',
        queries: [q('max by (service) (nodejs_eventloop_lag_p99_seconds)', '{{service}}')],
        unit: 's',
      },
    ],
  },
];

const HEIGHT = 8;

function panelJson(panel: Panel, id: number, gridPos: { x: number; y: number; w: number; h: number }): Record<string, unknown> {
  const kind = panel.kind ?? 'timeseries';
  const mappings = panel.mappings === undefined ? [] : [{ type: 'value', options: Object.fromEntries(panel.mappings.map((m, index) => [m.value, { text: m.text, color: m.color, index }])) }];
  const custom =
    kind === 'timeseries'
      ? { drawStyle: 'line', lineWidth: 1, fillOpacity: panel.stacked === true ? 30 : 10, showPoints: 'never', spanNulls: false, stacking: { mode: panel.stacked === true ? 'normal' : 'none', group: 'A' } }
      : kind === 'state-timeline'
        ? { fillOpacity: 80, lineWidth: 0 }
        : {};
  const options =
    kind === 'stat'
      ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'auto', orientation: 'auto', justifyMode: 'auto' }
      : kind === 'state-timeline'
        ? { mergeValues: true, showValue: 'never', alignValue: 'left', rowHeight: 0.9, legend: { showLegend: false, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'single', sort: 'none' } }
        : { legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] }, tooltip: { mode: 'multi', sort: 'desc' } };
  return {
    id,
    type: kind,
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: {
      defaults: {
        unit: panel.unit ?? 'short',
        ...(kind === 'timeseries' ? { min: 0 } : {}),
        color: { mode: kind === 'timeseries' ? 'palette-classic' : 'thresholds' },
        thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }] },
        mappings,
        custom,
      },
      overrides: [],
    },
    options,
    targets: panel.queries.map((query, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: DATASOURCE,
      expr: query.expr,
      legendFormat: query.legend,
      range: true,
      editorMode: 'code',
    })),
  };
}

/** The dashboard JSON, laid out row by row, panels left to right. */
export function parcDashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    for (const panel of row.panels) {
      const w = panel.width ?? 8;
      if (x + w > 24) {
        x = 0;
        y += HEIGHT;
      }
      panels.push(panelJson(panel, id++, { x, y, w, h: HEIGHT }));
      x += w;
    }
    y += HEIGHT;
  }
  return {
    title: 'Parc',
    uid: 'parc-overview',
    description: 'Parc: pipeline backlogs and rates, intake, attempts, callbacks, destinations, scheduler, service health. Generated by tools/observability/grafana-dashboard.ts; see deploy/observability/README.md.',
    tags: ['parc'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [],
    annotations: { list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }] },
    templating: {
      list: [
        { name: 'DS_PROMETHEUS', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '', includeAll: false, multi: false, options: [] },
        { name: 'filter', label: 'Filter', type: 'adhoc', datasource: DATASOURCE, filters: [], hide: 0 },
      ],
    },
    panels,
  };
}

export function dashboardText(): string {
  return `${JSON.stringify(parcDashboard(), null, 2)}\n`;
}

if (require.main === module) {
  const fresh = dashboardText();
  if (process.argv.includes('--check')) {
    if (readFileSync(DASHBOARD_PATH, 'utf8') !== fresh) {
      console.error(`${DASHBOARD_PATH} is stale: run node --import tsx tools/observability/grafana-dashboard.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(DASHBOARD_PATH, fresh);
    console.log(`wrote ${DASHBOARD_PATH}`);
  }
}

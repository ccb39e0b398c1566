import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { DASHBOARD_PATH, dashboardText } from './grafana-dashboard';
import { exportedSeries, unknownIn, withServiceApp, type MetricCatalogue } from './metric-catalogue';
import { selectorsOf } from './promql-selectors';
import { ALERTS_PATH } from './prometheus-rule';
import { requirePromtool } from './promtool';

/**
 * deploy/observability: the alert rules checked and unit-tested by promtool, and every series the
 * Grafana dashboard and the rules ask for checked against what the services really export
 * (tools/observability/metric-catalogue.ts builds each app and reads its registry).
 */
const ROOT = join(__dirname, '../..');
const ALERTS_TEST_PATH = join(ROOT, 'deploy/observability/prometheus/parc-alerts.test.yaml');

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

const alertRules = (): AlertRule[] => (parse(readFileSync(ALERTS_PATH, 'utf8')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((group) => group.rules);

interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { type: string; uid: string };
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly targets?: { expr: string; datasource?: { uid: string } }[];
}

const dashboard = () => JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as { schemaVersion: number; panels: DashboardPanel[]; templating: { list: { name: string; type: string; query?: string }[] } };

/** Labels Prometheus adds at scrape time (by any discovery), which a rule or panel may match on. */
const TARGET_LABELS = new Set(['instance', 'job', 'namespace', 'pod', 'container', 'endpoint']);

describe('promtool on deploy/observability/prometheus', () => {
  it('is installed (Debian: apt-get install prometheus)', () => {
    expect(requirePromtool()).toMatch(/promtool$/);
  });

  it('accepts parc-alerts.yaml (promtool check rules)', () => {
    const output = execFileSync(requirePromtool(), ['check', 'rules', ALERTS_PATH], { encoding: 'utf8' });
    expect(output).toContain(`SUCCESS: ${alertRules().length} rules found`);
  });

  it('passes parc-alerts.test.yaml (promtool test rules)', () => {
    const output = execFileSync(requirePromtool(), ['test', 'rules', ALERTS_TEST_PATH], { encoding: 'utf8', cwd: join(ROOT, 'deploy/observability/prometheus') });
    expect(output).toContain('SUCCESS');
  });

  it('tests every alert both firing and not firing', () => {
    const tests = (parse(readFileSync(ALERTS_TEST_PATH, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }).tests.flatMap((test) => test.alert_rule_test ?? []);
    const coverage = alertRules().map(({ alert }) => ({
      alert,
      firing: tests.some((t) => t.alertname === alert && (t.exp_alerts ?? []).length > 0),
      quiet: tests.some((t) => t.alertname === alert && (t.exp_alerts ?? []).length === 0),
    }));
    expect(coverage).toEqual(alertRules().map(({ alert }) => ({ alert, firing: true, quiet: true })));
  });

  it('gives every alert a severity, a summary and a description', () => {
    for (const rule of alertRules()) {
      expect({ alert: rule.alert, severity: rule.labels?.['severity'], summary: typeof rule.annotations?.['summary'], description: typeof rule.annotations?.['description'] }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(warning|critical)$/),
        summary: 'string',
        description: 'string',
      });
    }
  });
});

describe('selectorsOf (PromQL)', () => {
  it('finds metric names and matcher labels, and skips functions, aggregations, grouping labels, strings, ranges and keywords', () => {
    expect(selectorsOf('histogram_quantile(0.95, sum by (stage, le) (rate(parc_stage_batch_duration_seconds_bucket{stage!="x"}[$__rate_interval])))')).toEqual([
      { metric: 'parc_stage_batch_duration_seconds_bucket', labels: ['stage'] },
    ]);
    expect(selectorsOf('max by (queue) (a_metric{state="waiting"}) > 1e3 and deriv(max without (instance) (b_metric)[15m:1m] offset 5m) > 0 or vector(0)')).toEqual([
      { metric: 'a_metric', labels: ['state'] },
      { metric: 'b_metric', labels: [] },
    ]);
    expect(selectorsOf('label_replace(up_not, "dst", "$1 by (x)", "src", "(.*)") / on (a) group_left (b) other_metric')).toEqual([
      { metric: 'up_not', labels: [] },
      { metric: 'other_metric', labels: [] },
    ]);
    expect(selectorsOf('{job="parc"}')).toEqual([{ metric: undefined, labels: ['job'] }]);
  });
});

describe('the metrics the dashboard and the alert rules use', () => {
  let catalogue: MetricCatalogue;
  beforeAll(async () => {
    catalogue = await exportedSeries();
  }, 60_000);

  it('are read from the services: every metric a lib or app defines by a literal name is among them, with the derived series', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : files(path);
        return /\.ts$/.test(name) && !/\.(spec|fixture)\.ts$/.test(name) ? [path] : [];
      });
    const defined = new Map<string, string>();
    for (const file of [...files(join(ROOT, 'libs')), ...files(join(ROOT, 'apps'))]) {
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/new (?:Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([A-Za-z_:][A-Za-z0-9_:]*)'/g)) defined.set(match[1] as string, relative(ROOT, file));
      for (const match of source.matchAll(/registerOnce\(\s*\w+,\s*'([A-Za-z_:][A-Za-z0-9_:]*)'/g)) defined.set(match[1] as string, relative(ROOT, file));
    }
    expect(defined.size).toBeGreaterThan(10);
    const missing = [...defined].filter(([name]) => !catalogue.has(name) && !catalogue.has(`${name}_bucket`)).map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
    // prom-client's own series: default process metrics, and a histogram's buckets, sum and count.
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'parc_stage_batch_duration_seconds_count', 'parc_caller_call_duration_seconds_sum']) expect(catalogue.has(name)).toBe(true);
    expect(catalogue.get('parc_stage_batch_duration_seconds_bucket')).toEqual(new Set(['stage', 'le', 'service']));
  });

  it('are all exported by the services, with the labels the queries match on (the Grafana dashboard)', () => {
    const problems = dashboard().panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => unknownIn(selectorsOf(target.expr), catalogue, TARGET_LABELS).map((problem) => `${panel.title}: ${problem}`)));
    expect(problems).toEqual([]);
  });

  it('are all exported by the services, with the labels the rules match on (the alert rules)', () => {
    const problems = alertRules().flatMap((rule) => unknownIn(selectorsOf(rule.expr), catalogue, TARGET_LABELS).map((problem) => `${rule.alert}: ${problem}`));
    expect(problems).toEqual([]);
  });

  it('would be reported: a made-up metric, a label a metric lacks, a selector without a name', () => {
    expect(unknownIn(selectorsOf('sum(rate(parc_made_up_total[5m])) / sum(parc_ready)'), catalogue, TARGET_LABELS)).toEqual(['unknown metric parc_made_up_total']);
    expect(unknownIn(selectorsOf('parc_queue_backlog{stage="parc-caller"}'), catalogue, TARGET_LABELS)).toEqual([expect.stringMatching(/^parc_queue_backlog has no label stage \(it has .*queue.*\)$/)]);
    expect(unknownIn(selectorsOf('{job="parc"}'), catalogue, TARGET_LABELS)).toEqual(['a selector without a metric name ({job})']);
  });
});

describe('the series the alerts need, as a running service exports them', () => {
  it("parc-caller: parc_ready, and the breaker of each DESTINATION_LIMITS origin (closed while it has no failures), and no other key's", async () => {
    const text = await withServiceApp('parc-caller', { DESTINATION_LIMITS: '{"https://partner.example": {"rate": 50}, "https://billing.example": {"parallelism": 4}}' }, async (app) => (await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(text).toMatch(/^parc_ready\{service="parc-caller"\} 1$/m);
    const breaker = text.split('\n').filter((line) => line.startsWith('parc_destination_breaker_state{')).sort();
    expect(breaker).toEqual(
      ['https://billing.example', 'https://partner.example'].flatMap((key) =>
        ['closed', 'half_open', 'open'].map((state) => `parc_destination_breaker_state{key="${key}",state="${state}",service="parc-caller"} ${state === 'closed' ? 1 : 0}`),
      ).sort(),
    );
  });
});

describe('the Grafana dashboard deploy/observability/grafana/parc.json', () => {
  it('is what tools/observability/grafana-dashboard.ts writes (else: node --import tsx tools/observability/grafana-dashboard.ts)', () => {
    expect(readFileSync(DASHBOARD_PATH, 'utf8')).toBe(dashboardText());
  });

  it('queries the ${DS_PROMETHEUS} datasource variable everywhere, with unique ids and panels that do not overlap', () => {
    const { schemaVersion, panels, templating } = dashboard();
    expect(schemaVersion).toBe(39);
    expect(templating.list).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }));
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect({ panel: panel.title, uid: panel.datasource?.uid, targets: (panel.targets ?? []).length > 0 }).toEqual({ panel: panel.title, uid: '${DS_PROMETHEUS}', targets: true });
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe('${DS_PROMETHEUS}');
    }
    const cells = new Set<string>();
    for (const { gridPos } of panels) {
      expect(gridPos.x + gridPos.w).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});

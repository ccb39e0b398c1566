/** The dashboard's styles: one screen on a laptop, queues amber while they hold work, breakers red while open. */
export const DASHBOARD_CSS = `
:root { --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #6b7385; --line: #dde1e8; --ok: #2f9e44; --busy: #e8590c; --bad: #e03131; --accent: #1c7ed6; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 12px; padding: 8px 16px; background: var(--ink); color: #fff; }
header h1 { font-size: 16px; margin: 0; }
header .muted { color: #b8bfcc; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; padding: 10px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; min-width: 0; }
.panel.wide { grid-column: 1 / -1; }
h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 6px; }
.muted { color: var(--muted); }
.badge { font-size: 11px; padding: 1px 6px; border-radius: 8px; background: #495057; color: #fff; }
.badge.live { background: var(--ok); }
.badge.stale { background: var(--bad); }
.pipeline { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 6px; padding-bottom: 4px; }
.arrow { color: var(--muted); font-size: 16px; }
.stage, .queue { border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; white-space: nowrap; text-align: center; }
.stage { background: #e7f5ff; border-color: #a5d8ff; }
.stage b { display: block; }
.stage .planned { color: var(--busy); }
.queue { background: #fff; min-width: 84px; }
.queue .name { font-size: 11px; color: var(--muted); }
.queue .backlog { font-size: 15px; font-weight: 600; display: block; }
.queue .rates { font-size: 11px; color: var(--muted); }
.queue.busy { border-color: var(--busy); background: #fff4e6; }
.parcs { display: flex; flex-direction: column; gap: 4px; border: 1px dashed var(--line); border-radius: 6px; padding: 4px; }
.parc { display: flex; align-items: center; gap: 6px; }
.parc .label { font-weight: 600; width: 72px; }
.parc.draining { opacity: .6; }
.state { font-size: 11px; padding: 0 5px; border-radius: 6px; background: var(--ok); color: #fff; }
.state.draining { background: var(--busy); }
.bar { position: relative; height: 14px; background: #edf0f4; border-radius: 7px; overflow: hidden; margin: 2px 0 6px; }
.bar > span { position: absolute; inset: 0 auto 0 0; background: var(--accent); }
.bar > span.failed { background: var(--bad); }
.bar.done > span { background: var(--ok); }
.budget-row { display: grid; grid-template-columns: 110px 1fr 150px; align-items: center; gap: 8px; }
.batch { display: grid; grid-template-columns: 1fr 230px; gap: 0 8px; }
.batch .id { font-family: ui-monospace, monospace; font-size: 12px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 11px; color: var(--muted); font-weight: 500; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
#decisions tbody { display: block; max-height: 220px; overflow-y: auto; }
#decisions thead, #decisions tbody tr { display: table; width: 100%; table-layout: fixed; }
#decisions td:nth-child(1), #decisions th:nth-child(1) { width: 80px; }
#decisions td:nth-child(2), #decisions th:nth-child(2) { width: 150px; }
#decisions td:nth-child(3), #decisions th:nth-child(3) { width: 140px; }
.breaker-open { color: var(--bad); font-weight: 600; }
.breaker-half_open { color: var(--busy); font-weight: 600; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.error { color: var(--bad); }
@media (max-width: 1100px) { main, .charts { grid-template-columns: 1fr; } }
`;

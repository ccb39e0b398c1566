/** The dashboard's page: a shell the script fills in (dashboard.js.ts); everything it loads is served beside it. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parc · dashboard</title>
<link rel="stylesheet" href="/dashboard/uplot.css">
<link rel="stylesheet" href="/dashboard/dashboard.css">
</head>
<body>
<header>
  <h1>Parc</h1>
  <span id="source" class="muted"></span>
  <span id="freshness" class="badge" data-testid="freshness">connecting…</span>
</header>
<main>
  <section class="panel wide">
    <h2>Pipeline</h2>
    <div id="pipeline" class="pipeline" data-testid="pipeline"></div>
  </section>
  <section class="panel">
    <h2>Budget</h2>
    <div id="budget" data-testid="budget"></div>
  </section>
  <section class="panel">
    <h2>Batches</h2>
    <div id="batches" data-testid="batches"><p class="muted">No batch open.</p></div>
  </section>
  <section class="panel wide charts">
    <div><h2>Backlog per queue</h2><div id="backlog-chart"></div></div>
    <div><h2>Instances and Parcs</h2><div id="instances-chart"></div></div>
  </section>
  <section class="panel wide">
    <h2>Scheduler decisions</h2>
    <table id="decisions" data-testid="decisions"><thead><tr><th>time</th><th>what</th><th>change</th><th>why</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="panel wide">
    <h2>Destinations</h2>
    <table id="destinations" data-testid="destinations"><thead><tr><th>key</th><th>breaker</th><th>in flight</th><th>limit</th><th>waiting</th><th>last minute</th><th>paused</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<dialog id="key-dialog">
  <form method="dialog">
    <p>This dashboard needs an operator API key.</p>
    <p id="key-error" class="error"></p>
    <input id="key-input" type="password" autocomplete="off" placeholder="API key" size="40">
    <button id="key-submit" value="ok">Open</button>
  </form>
</dialog>
<script src="/dashboard/uplot.js"></script>
<script src="/dashboard/dashboard.js"></script>
</body>
</html>
`;

/**
 * The dashboard's browser script (plain ES2017, no build step): polls `/dashboard/state` every
 * second and redraws. It sends the operator key kept in sessionStorage, and asks for one when the
 * state is refused. Kept free of backquotes so that it can live in this string.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var KEY_STORE = 'parc.dashboard.key';
  var POLL_MS = 1000;
  var STALE_MS = 10000;
  var SERIES_COLOURS = ['#1c7ed6', '#7048e8', '#e8590c', '#f59f00', '#2f9e44', '#0ca678', '#e03131'];
  var charts = {};
  var waitingForKey = false;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function fmt(n) {
    if (n === undefined || n === null || isNaN(n)) return '–';
    var a = Math.abs(n);
    if (a >= 1e6) return (n / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return (n / 1e3).toFixed(1) + 'k';
    if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
    return n.toFixed(1);
  }
  function clock(ms) { return new Date(ms).toLocaleTimeString([], { hour12: false }); }
  function replace(container, nodes) {
    while (container.firstChild) container.removeChild(container.firstChild);
    nodes.forEach(function (node) { container.appendChild(node); });
  }
  function arrow() { return el('span', { 'class': 'arrow', text: '→' }); }

  function queueBox(view, name, label) {
    var q = view.queuesByName[name] || { waiting: 0, inFlight: 0, backlog: 0, inPerSecond: 0, outPerSecond: 0 };
    return el('div', { 'class': 'queue' + (q.backlog > 0 ? ' busy' : ''), 'data-queue': name, 'data-backlog': String(q.backlog), title: q.waiting + ' waiting, ' + q.inFlight + ' held by a consumer' }, [
      el('span', { 'class': 'name', text: label || name }),
      el('span', { 'class': 'backlog', text: fmt(q.backlog) }),
      el('span', { 'class': 'rates', text: 'in ' + fmt(q.inPerSecond) + '/s · out ' + fmt(q.outPerSecond) + '/s' }),
    ]);
  }
  function stageBox(view, key, label, extra) {
    var s = view.stagesByKey[key] || { instances: 0 };
    var count = el('span', { 'class': 'count', text: '×' + s.instances });
    var planned = s.desired === undefined ? null : el('span', { 'class': 'planned', text: ' → ' + s.desired, title: s.reason || '' });
    return el('div', { 'class': 'stage', 'data-stage': key, 'data-instances': String(s.instances) }, [el('b', { text: label }), count, planned, extra ? el('div', { 'class': 'muted', text: extra }) : null]);
  }
  function renderPipeline(view) {
    var parcs = view.parcs.map(function (parc) {
      var delayed = el('div', { 'class': 'queue' + (parc.delayed.size > 0 ? ' busy' : ''), 'data-queue': parc.id + '/delayed', 'data-backlog': String(parc.delayed.size), title: parc.delayed.dueSoon + ' due soon' }, [
        el('span', { 'class': 'name', text: 'waiting retry' }),
        el('span', { 'class': 'backlog', text: fmt(parc.delayed.size) }),
        el('span', { 'class': 'rates', text: fmt(parc.delayed.dueSoon) + ' due soon' }),
      ]);
      return el('div', { 'class': 'parc ' + parc.state, 'data-parc': parc.id, 'data-state': parc.state }, [
        el('span', { 'class': 'label' }, [el('div', { text: parc.id }), el('span', { 'class': 'state ' + parc.state, text: parc.state })]),
        queueBox(view, parc.id + '/requests', 'requests'), arrow(),
        stageBox(view, parc.id + '/parc-incoming', 'incoming'), arrow(),
        queueBox(view, parc.id + '/ready', 'ready'), arrow(),
        stageBox(view, parc.id + '/parc-caller', 'caller', parc.callerParallelism + ' calls each · ' + fmt(parc.callLatencyMs) + ' ms'), arrow(),
        queueBox(view, parc.id + '/done', 'done'), arrow(),
        stageBox(view, parc.id + '/parc-outgoing', 'outgoing'),
        delayed,
      ]);
    });
    replace(document.getElementById('pipeline'), [
      stageBox(view, 'proxy', 'proxy'), arrow(),
      queueBox(view, 'inbox'), arrow(),
      stageBox(view, 'proxy-store', 'proxy-store'), arrow(),
      el('div', { 'class': 'parcs', 'data-testid': 'parcs' }, parcs.length ? parcs : [el('span', { 'class': 'muted', text: 'no Parc' })]), arrow(),
      queueBox(view, 'responses'), arrow(),
      stageBox(view, 'responder', 'responder'), arrow(),
      queueBox(view, 'callbacks'),
    ]);
  }
  function bar(share, cls) {
    var pct = Math.max(0, Math.min(100, share * 100));
    var span = el('span', { style: 'width:' + pct.toFixed(1) + '%' });
    return el('div', { 'class': 'bar' + (cls ? ' ' + cls : '') }, [span]);
  }
  function budgetRow(label, used, capacity, unit) {
    var known = used !== undefined && capacity;
    return el('div', { 'class': 'budget-row' }, [
      el('span', { text: label }),
      known ? bar(used / capacity) : el('span', { 'class': 'muted', text: 'not planned here' }),
      el('span', { 'class': 'muted', text: known ? fmt(used) + ' of ' + fmt(capacity) + ' ' + unit : '' }),
    ]);
  }
  function renderBudget(view) {
    var b = view.budget;
    var rows = [
      budgetRow('CPU planned', b.planned && b.planned.cpuMillis, b.capacity && b.capacity.cpuMillis, 'millicores'),
      budgetRow('memory planned', b.planned && b.planned.memoryMiB, b.capacity && b.capacity.memoryMiB, 'MiB'),
    ];
    if (b.usedCpuMillis !== undefined) rows.push(budgetRow('CPU used', b.usedCpuMillis, b.machineCpuMillis || (b.capacity && b.capacity.cpuMillis), 'millicores'));
    if (b.machineBusyShare !== undefined) rows.push(budgetRow('machine busy', b.machineBusyShare * 100, 100, '%'));
    replace(document.getElementById('budget'), rows);
  }
  function renderBatches(view) {
    var nodes = view.batches.map(function (batch) {
      var c = batch.counts;
      var finished = c.succeeded + c.failed;
      var pct = batch.total > 0 ? Math.floor((100 * finished) / batch.total) : 0;
      var progress = el('div', { 'class': 'bar' + (batch.complete ? ' done' : '') }, [
        el('span', { style: 'width:' + (batch.total ? (100 * c.succeeded) / batch.total : 0).toFixed(1) + '%' }),
        el('span', { 'class': 'failed', style: 'left:' + (batch.total ? (100 * c.succeeded) / batch.total : 0).toFixed(1) + '%;width:' + (batch.total ? (100 * c.failed) / batch.total : 0).toFixed(1) + '%' }),
      ]);
      var detail = fmt(c.succeeded) + ' succeeded · ' + fmt(c.failed) + ' failed · ' + fmt(c.in_flight) + ' in flight · ' + fmt(c.waiting_retry) + ' waiting retry · ' + fmt(c.queued) + ' queued';
      return el('div', { 'class': 'batch', 'data-batch': batch.batchId, 'data-percent': String(pct), 'data-complete': String(batch.complete) }, [
        el('span', { 'class': 'id', text: batch.batchId + (batch.cancelRequested ? ' (cancelling)' : '') }),
        el('span', { 'class': 'muted', text: pct + ' % of ' + fmt(batch.total) + (batch.complete ? ' · complete' : '') }),
        el('div', { style: 'grid-column: 1 / -1' }, [progress]),
        el('span', { 'class': 'muted', style: 'grid-column: 1 / -1', text: detail }),
      ]);
    });
    replace(document.getElementById('batches'), nodes.length ? nodes : [el('p', { 'class': 'muted', text: 'No batch open.' })]);
  }
  function renderDecisions(view) {
    var rows = view.decisions.map(function (d) {
      var change = d.from !== undefined ? d.change + ' ' + d.from + ' → ' + d.to : d.change;
      var why = d.reason + (d.applied ? '' : ' (not applied: ' + (d.error || 'driver refused') + ')');
      return el('tr', { 'data-decision': d.subject }, [el('td', { text: clock(d.atMs) }), el('td', { text: d.subject }), el('td', { text: change }), el('td', { text: why })]);
    });
    if (!rows.length) rows = [el('tr', {}, [el('td', { colspan: '4', 'class': 'muted', text: view.source === 'embedded' ? 'The embedded mode runs one of each stage: nothing is scheduled.' : 'No decision yet: the scheduler has changed nothing.' })])];
    replace(document.querySelector('#decisions tbody'), rows);
  }
  function renderDestinations(view) {
    var rows = view.destinations.map(function (d) {
      var limit = d.learnedLimit !== undefined ? 'learned ' + d.learnedLimit : (d.limits.parallelism !== undefined ? String(d.limits.parallelism) : '–');
      var minute = d.lastMinute.calls + ' calls, ' + d.lastMinute.failure + ' failed, ' + d.lastMinute.overload + ' overloaded';
      return el('tr', { 'data-destination': d.key, 'data-breaker': d.breaker }, [
        el('td', { text: d.key }),
        el('td', { 'class': 'breaker-' + d.breaker, text: d.breaker + (d.breakerRetryAt ? ' until ' + clock(Date.parse(d.breakerRetryAt)) : '') }),
        el('td', { 'class': 'num', text: fmt(d.inFlight) }),
        el('td', { text: limit }),
        el('td', { 'class': 'num', text: fmt(d.waiting) }),
        el('td', { text: minute }),
        el('td', { text: d.paused ? 'paused' : (d.retryAfterUntil ? 'Retry-After' : '') }),
      ]);
    });
    if (!rows.length) rows = [el('tr', {}, [el('td', { colspan: '7', 'class': 'muted', text: 'No destination key seen yet.' })])];
    replace(document.querySelector('#destinations tbody'), rows);
  }
  function chart(id, names, data) {
    var container = document.getElementById(id);
    var width = Math.max(300, container.clientWidth - 4);
    var existing = charts[id];
    if (existing && existing.names === names.join()) {
      if (existing.width !== width) { existing.plot.setSize({ width: width, height: 200 }); existing.width = width; }
      existing.plot.setData(data);
      return;
    }
    if (existing) existing.plot.destroy();
    var series = [{}].concat(names.map(function (name, i) { return { label: name, stroke: SERIES_COLOURS[i % SERIES_COLOURS.length], width: 1.5 }; }));
    charts[id] = { names: names.join(), width: width, plot: new uPlot({ width: width, height: 200, series: series, axes: [{}, { size: 60 }], legend: { live: false } }, data, container) };
  }
  function renderCharts(view) {
    var h = view.history;
    var x = h.atMs.map(function (ms) { return ms / 1000; });
    var kinds = Object.keys(h.backlog);
    chart('backlog-chart', kinds, [x].concat(kinds.map(function (kind) { return h.backlog[kind]; })));
    chart('instances-chart', ['instances', 'Parcs'], [x, h.instances, h.parcs]);
  }
  function renderFreshness(view) {
    var badge = document.getElementById('freshness');
    document.getElementById('source').textContent = view.source === 'embedded' ? 'embedded mode' : 'scheduler · ' + view.driver + ' driver';
    if (view.observedAtMs === undefined) { badge.className = 'badge stale'; badge.textContent = 'no observation yet'; return; }
    var age = view.atMs - view.observedAtMs;
    badge.className = 'badge ' + (age > STALE_MS ? 'stale' : 'live');
    badge.textContent = age > STALE_MS ? 'no tick for ' + Math.round(age / 1000) + ' s' : 'live · ' + clock(view.observedAtMs);
  }
  function render(view) {
    view.queuesByName = {};
    view.queues.forEach(function (q) { view.queuesByName[q.name] = q; });
    view.stagesByKey = {};
    view.stages.forEach(function (s) { view.stagesByKey[s.key] = s; });
    renderFreshness(view);
    renderPipeline(view);
    renderBudget(view);
    renderBatches(view);
    renderDecisions(view);
    renderDestinations(view);
    renderCharts(view);
  }
  function askForKey(message) {
    waitingForKey = true;
    var dialog = document.getElementById('key-dialog');
    document.getElementById('key-error').textContent = message || '';
    if (!dialog.open) dialog.showModal();
  }
  document.getElementById('key-dialog').addEventListener('close', function () {
    var key = document.getElementById('key-input').value.trim();
    if (key) sessionStorage.setItem(KEY_STORE, key);
    waitingForKey = false;
    poll();
  });
  function poll() {
    if (waitingForKey) return;
    var key = sessionStorage.getItem(KEY_STORE);
    var headers = key ? { authorization: 'Bearer ' + key } : {};
    fetch('/dashboard/state', { headers: headers, cache: 'no-store' })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          sessionStorage.removeItem(KEY_STORE);
          return response.json().then(function (body) { askForKey(key ? (body && body.error && body.error.message) || 'That key was refused.' : ''); });
        }
        if (!response.ok) throw new Error('the state answered ' + response.status);
        return response.json().then(function (view) { render(view); setTimeout(poll, POLL_MS); });
      })
      .catch(function (error) {
        var badge = document.getElementById('freshness');
        badge.className = 'badge stale';
        badge.textContent = 'unreachable: ' + error.message;
        setTimeout(poll, POLL_MS);
      });
  }
  poll();
})();
`;

// aigw dashboard: plain JavaScript, no build step. Everything shown from the gateway is set with
// textContent (never innerHTML): route names, prompts and model names are client input.
(function () {
  'use strict';

  const ADMIN = '/apisix/admin';
  const KEY = 'aigw.adminKey'; // sessionStorage: kept for this tab only
  const $ = (sel) => document.querySelector(sel);
  let view = 'overview';
  let resPath = null;
  let editing = null; // {path, id} of the resource being edited, or {path, id: null} for a new one
  let timer = null;
  const charts = {};

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  async function api(method, path, body) {
    const headers = { 'X-API-KEY': sessionStorage.getItem(KEY) || '' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(ADMIN + path, { method, headers, body });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    return { status: res.status, json, text };
  }

  function errorOf(r) {
    if (r.json && r.json.error_msg) return r.json.error_msg + (r.json.description ? ': ' + r.json.description : '');
    return 'HTTP ' + r.status + (r.text ? ': ' + r.text.slice(0, 500) : '');
  }

  // ------------------------------------------------------------------ login

  async function login(key) {
    sessionStorage.setItem(KEY, key);
    const r = await api('GET', '/routes');
    if (r.status !== 200) {
      sessionStorage.removeItem(KEY);
      $('#login-error').textContent = r.status === 401 ? 'Wrong key: ' + errorOf(r) : errorOf(r);
      return false;
    }
    $('#login').hidden = true;
    $('#nav').hidden = false;
    $('#whoami').textContent = 'signed in';
    show('overview');
    return true;
  }

  $('#login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('#login-error').textContent = '';
    login($('#key').value);
  });

  // ------------------------------------------------------------------ navigation

  document.querySelectorAll('#nav button').forEach((b) => b.addEventListener('click', () => show(b.dataset.view)));

  function show(v) {
    view = v;
    document.querySelectorAll('#nav button').forEach((b) => b.classList.toggle('active', b.dataset.view === v));
    $('#overview').hidden = v !== 'overview';
    $('#resources').hidden = v === 'overview';
    clearInterval(timer);
    if (v === 'overview') {
      refresh();
      timer = setInterval(refresh, 5000);
    } else {
      openList(v);
    }
  }

  // ------------------------------------------------------------------ traffic

  $('#window').addEventListener('change', refresh);

  const fmt = {
    requests: (v) => v.toLocaleString(),
    errors_5xx: (v) => v.toLocaleString(),
    errors_4xx: (v) => v.toLocaleString(),
    rate_limited: (v) => v.toLocaleString(),
    prompt_tokens: (v) => v.toLocaleString(),
    completion_tokens: (v) => v.toLocaleString(),
    p50_ms: (v) => v.toFixed(v < 10 ? 2 : 0) + ' ms',
    p99_ms: (v) => v.toFixed(v < 10 ? 2 : 0) + ' ms',
    ttft_p50_ms: (v) => (v ? v.toFixed(v < 10 ? 2 : 0) + ' ms' : '-'),
    cost: (v) => '$' + v.toFixed(4),
    cache_hit_rate: (v) => (v === null || v === undefined ? '-' : (v * 100).toFixed(1) + ' %'),
  };

  async function refresh() {
    const r = await api('GET', '/aigw/stats?window=' + encodeURIComponent($('#window').value));
    if (r.status !== 200 || !r.json) {
      $('#updated').textContent = 'stats unavailable: ' + errorOf(r);
      return;
    }
    const s = r.json;
    document.querySelectorAll('[data-stat]').forEach((e) => {
      const k = e.dataset.stat;
      e.textContent = fmt[k] ? fmt[k](s.totals[k]) : String(s.totals[k]);
    });
    const h = s.health || {};
    let health = 'store: ' + (h.store || '?') + (h.store_reachable === false ? ' (unreachable)' : ' (ok)');
    if (h.kafka) {
      health += ' · kafka-logger: ' + h.kafka.sent + ' batches sent, ' + h.kafka.failed + ' failed'
        + (h.kafka.last_failure ? ' (last ' + new Date(h.kafka.last_failure).toLocaleTimeString() + ')' : '');
    }
    $('#health').textContent = health;
    const recentKafkaFailure = h.kafka && h.kafka.last_failure && Date.now() - h.kafka.last_failure < 5 * 60000;
    $('#health').className = h.store_reachable === false || recentKafkaFailure ? 'error' : 'muted';
    $('#updated').textContent = 'updated ' + new Date(s.now).toLocaleTimeString();
    drawCharts(s);
    dimTable('#by-model', s.by_model);
    dimTable('#by-route', s.by_route);
    dimTable('#by-consumer', s.by_consumer);
    requestTable('#failed', s.failed);
    requestTable('#slowest', s.slowest);
  }

  function dimTable(sel, rows) {
    const t = $(sel);
    t.replaceChildren();
    const head = el('tr');
    ['name', 'requests', 'errors', 'prompt', 'completion', 'cost'].forEach((c, i) => head.appendChild(el('th', c, i ? 'num' : '')));
    t.appendChild(head);
    (rows || []).forEach((d) => {
      const tr = el('tr');
      tr.appendChild(el('td', d.name));
      [d.requests, d.errors, d.prompt_tokens, d.completion_tokens].forEach((v) => tr.appendChild(el('td', v.toLocaleString(), 'num')));
      tr.appendChild(el('td', '$' + d.cost.toFixed(4), 'num'));
      t.appendChild(tr);
    });
    if (!rows || rows.length === 0) {
      const tr = el('tr');
      const td = el('td', 'no traffic in this window', 'muted');
      td.colSpan = 6;
      tr.appendChild(td);
      t.appendChild(tr);
    }
  }

  function requestTable(sel, rows) {
    const t = $(sel);
    t.replaceChildren();
    const cols = ['time', 'route', 'consumer', 'model', 'status', 'latency', 'ttft', 'upstream / instance', 'attempts', 'request id'];
    const head = el('tr');
    cols.forEach((c) => head.appendChild(el('th', c)));
    t.appendChild(head);
    (rows || []).forEach((q) => {
      const tr = el('tr');
      tr.appendChild(el('td', new Date(q.time).toLocaleTimeString()));
      tr.appendChild(el('td', q.route || '-'));
      tr.appendChild(el('td', q.consumer || '-'));
      tr.appendChild(el('td', q.model || '-'));
      tr.appendChild(el('td', q.status === 0 ? 'no answer' : q.status));
      tr.appendChild(el('td', q.latency_ms.toFixed(1) + ' ms', 'num'));
      tr.appendChild(el('td', q.ttft_ms ? q.ttft_ms.toFixed(1) + ' ms' : '-', 'num'));
      tr.appendChild(el('td', [q.upstream, q.instance].filter(Boolean).join(' / ') || '-'));
      tr.appendChild(el('td', q.attempts || '-'));
      tr.appendChild(el('td', q.request_id || '-'));
      t.appendChild(tr);
    });
  }

  function drawCharts(s) {
    const t = s.series.map((p) => p.t);
    const col = (k) => s.series.map((p) => p[k]);
    chart('chart-requests', [t, col('requests'), col('errors_5xx'), col('errors_4xx')],
      [{ label: 'requests', stroke: '#2f6fde' }, { label: '5xx', stroke: '#c9372c' }, { label: '4xx', stroke: '#d08a00' }]);
    chart('chart-latency', [t, col('p50_ms'), col('p99_ms'), col('ttft_p50_ms')],
      [{ label: 'p50', stroke: '#2f6fde' }, { label: 'p99', stroke: '#8a3ffc' }, { label: 'TTFT p50', stroke: '#198038' }]);
    chart('chart-tokens', [t, col('prompt_tokens'), col('completion_tokens')],
      [{ label: 'prompt', stroke: '#2f6fde' }, { label: 'completion', stroke: '#198038' }]);
  }

  function chart(id, data, series) {
    const host = document.getElementById(id);
    const width = Math.max(300, host.clientWidth || 400);
    if (charts[id] && charts[id].series.length === series.length + 1) {
      charts[id].setData(data);
      charts[id].setSize({ width, height: 200 });
      return;
    }
    if (typeof uPlot === 'undefined') return;
    host.replaceChildren();
    charts[id] = new uPlot({ width, height: 200, series: [{}].concat(series), scales: { x: { time: true } } }, data, host);
  }

  // ------------------------------------------------------------------ resources

  const titles = { routes: 'Routes', upstreams: 'Upstreams', services: 'Services', consumers: 'Consumers', global_rules: 'Global rules' };

  function idOf(item) {
    const key = item.key || '';
    return key.substring(key.lastIndexOf('/') + 1);
  }

  function summary(v) {
    if (!v) return '';
    const parts = [];
    if (v.name) parts.push(v.name);
    if (v.username) parts.push(v.username);
    if (v.uri) parts.push(v.uri);
    if (v.uris) parts.push(v.uris.join(' '));
    if (v.plugins) parts.push('plugins: ' + Object.keys(v.plugins).join(', '));
    if (v.nodes) parts.push('nodes: ' + JSON.stringify(v.nodes));
    if (v.desc) parts.push(v.desc);
    return parts.join(' · ');
  }

  async function openList(path) {
    resPath = path;
    $('#res-title').textContent = titles[path] || path;
    $('#res-error').textContent = '';
    $('#editor').hidden = true;
    const r = await api('GET', '/' + path);
    const t = $('#res-list');
    t.replaceChildren();
    if (r.status !== 200) {
      $('#res-error').textContent = errorOf(r);
      return;
    }
    const head = el('tr');
    ['id', 'summary', ''].forEach((c) => head.appendChild(el('th', c)));
    t.appendChild(head);
    const list = (r.json && r.json.list) || [];
    list.forEach((item) => {
      const id = idOf(item);
      const tr = el('tr');
      tr.dataset.id = id;
      tr.appendChild(el('td', id));
      tr.appendChild(el('td', summary(item.value)));
      const actions = el('td');
      const edit = el('button', 'Edit');
      edit.addEventListener('click', () => openEditor(path, id, item.value));
      actions.appendChild(edit);
      if (path === 'consumers') {
        const creds = el('button', 'Credentials');
        creds.addEventListener('click', () => openList('consumers/' + id + '/credentials'));
        actions.appendChild(creds);
      }
      const del = el('button', 'Delete', 'danger');
      del.addEventListener('click', async () => {
        if (!confirm('Delete ' + path + '/' + id + '?')) return;
        const d = await api('DELETE', '/' + path + '/' + encodeURIComponent(id));
        if (d.status >= 300) $('#res-error').textContent = errorOf(d); else openList(path);
      });
      actions.appendChild(del);
      tr.appendChild(actions);
      t.appendChild(tr);
    });
  }

  function strip(v) {
    const copy = Object.assign({}, v || {});
    delete copy.create_time;
    delete copy.update_time;
    return copy;
  }

  function openEditor(path, id, value) {
    editing = { path, id };
    $('#editor').hidden = false;
    $('#editor-title').textContent = id === null ? 'New in ' + path : 'Edit ' + path + '/' + id;
    $('#editor-id').value = id || '';
    $('#editor-id').disabled = id !== null;
    $('#editor-json').value = JSON.stringify(strip(value), null, 2);
    $('#editor-error').textContent = '';
  }

  $('#res-new').addEventListener('click', () => openEditor(resPath, null,
    resPath === 'routes' ? { uri: '/v1/chat/completions', plugins: {} } : {}));
  $('#editor-cancel').addEventListener('click', () => { $('#editor').hidden = true; });
  $('#editor-save').addEventListener('click', async () => {
    const text = $('#editor-json').value;
    try { JSON.parse(text); } catch (e) {
      $('#editor-error').textContent = 'invalid JSON: ' + e.message;
      return;
    }
    const id = editing.id !== null ? editing.id : $('#editor-id').value.trim();
    // consumers are keyed by their username (APISIX: PUT /consumers with the body)
    const path = editing.path === 'consumers' ? '/consumers' : '/' + editing.path + '/' + encodeURIComponent(id);
    if (!id && editing.path !== 'consumers') {
      $('#editor-error').textContent = 'an id is required';
      return;
    }
    const r = await api('PUT', path, text);
    if (r.status >= 300) {
      $('#editor-error').textContent = errorOf(r);
      return;
    }
    openList(editing.path);
  });

  // a key already given in this tab: sign in again without asking
  const kept = sessionStorage.getItem(KEY);
  if (kept) login(kept);
})();

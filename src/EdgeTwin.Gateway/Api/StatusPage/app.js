// EdgeTwin status page: polls the gateway's JSON API and renders it. No framework, no build step, nothing
// fetched from outside the gateway. Every text from the gateway goes through textContent (never innerHTML):
// quarantined input is whatever a device sent.
"use strict";

const CHART_SECONDS = 300;
const depth = []; // [time ms, queued points]
let lastOk = 0;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

async function getJson(path) {
  // A request that never completes must not stop the polling (each poll schedules the next when it ends).
  const r = await fetch(path, { cache: "no-store", signal: AbortSignal.timeout(10000) });
  if (!r.ok && r.status !== 503) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

const fmt = new Intl.NumberFormat("en-US");
const num = (n) => fmt.format(n);

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function duration(s) {
  if (s < 1) return "now";
  if (s < 90) return Math.round(s) + " s";
  if (s < 5400) return Math.round(s / 60) + " min";
  if (s < 172800) return (s / 3600).toFixed(1) + " h";
  return (s / 86400).toFixed(1) + " d";
}

const time = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });

function badge(text, kind) {
  return el("span", { class: "badge badge-" + kind }, text);
}

const connectionKind = { connected: "ok", finished: "unknown", connecting: "warn", disconnected: "bad" };
// Every state /api/status can report (GatewayInstruments.ToText); draining is up and catching up on a backlog.
const sinkKind = { up: "ok", draining: "warn", starting: "warn", retrying: "bad", waiting_for_queue: "bad", circuit_open: "bad", down: "bad" };

function fillRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function renderStatus(s) {
  $("gateway-id").textContent = s.gatewayId;
  $("version").textContent = s.version;
  $("config-hash").textContent = s.configHash;
  $("config-hash").title = s.configSource;
  $("started").textContent = new Date(s.startedUtc).toLocaleString([], { hour12: false });
  const health = $("health");
  health.textContent = s.ready ? "ready" : "not ready";
  health.className = "badge " + (s.ready ? "badge-ok" : "badge-bad");
  const problems = $("problems");
  problems.replaceChildren(...s.problems.map((p) => el("li", {}, p)));
  problems.hidden = s.problems.length === 0;

  fillRows($("sources").tBodies[0], s.sources.map((src) =>
    el("tr", { "data-source": src.name },
      el("td", {}, src.name),
      el("td", {}, badge(src.connection, connectionKind[src.connection] || "unknown")),
      el("td", { class: "detail" }, src.state),
      el("td", { class: "num" }, num(src.readingsIn)),
      el("td", { class: "num" }, num(src.committed)),
      el("td", { class: "num" }, num(src.duplicates)),
      el("td", { class: "num" }, num(src.quarantined)))));

  fillRows($("sinks").tBodies[0], s.sinks.map((k) =>
    el("tr", { "data-sink": k.name },
      el("td", {}, k.name),
      el("td", {}, badge(k.state, sinkKind[k.state] || "unknown")),
      el("td", { class: "detail" }, k.detail),
      el("td", { class: "num" }, num(k.forwarded)),
      el("td", { class: "num" }, num(k.lagPoints)))));

  const q = s.queue;
  $("queue-points").textContent = num(q.points);
  $("queue-bytes").textContent = bytes(q.bytes) + " of " + bytes(q.maxBytes) + (q.full ? " (full)" : "") +
    (q.refusingAtFloor ? "; refusing new points at the free-disk floor, nothing left to drop" : "") +
    (q.floorRefusals > 0 ? " (" + num(q.floorRefusals) + " commits refused at the floor)" : "");
  $("queue-age").textContent = q.oldestPointUtc ? duration(q.oldestPointAgeSeconds) + " old" : "queue empty";
  $("queue-disk").textContent = bytes(q.freeDiskBytes);
  $("queue-series").textContent = num(q.series) + " in memory (" + bytes(q.seriesMemoryBytes) + " of " + bytes(q.seriesMemoryLimit) + ")" +
    (q.seriesStored > 0 ? ", " + num(q.seriesStored) + " stored on disk, " + num(q.seriesEvictions) + " evictions" : "");
  $("queue-loss").textContent = num(q.lostPoints) + " points in " + num(q.lossRecords) + " records" + (q.openLossRecords > 0 ? " (" + num(q.openLossRecords) + " open)" : "");

  const now = Date.now();
  depth.push([now, q.points]);
  while (depth.length && depth[0][0] < now - CHART_SECONDS * 1000) depth.shift();
  drawChart();
}

function drawChart() {
  const canvas = $("queue-chart");
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const pad = { l: 56, r: 8, t: 10, b: 18 };
  const max = Math.max(10, ...depth.map((d) => d[1]));
  const now = Date.now(), t0 = now - CHART_SECONDS * 1000;
  const x = (t) => pad.l + (t - t0) / (CHART_SECONDS * 1000) * (w - pad.l - pad.r);
  const y = (v) => h - pad.b - v / max * (h - pad.t - pad.b);

  g.strokeStyle = "#dde3ea"; g.fillStyle = "#66717f"; g.font = "11px system-ui, sans-serif"; g.lineWidth = 1;
  for (const f of [0, 0.5, 1]) {
    const yy = Math.round(y(max * f)) + 0.5;
    g.beginPath(); g.moveTo(pad.l, yy); g.lineTo(w - pad.r, yy); g.stroke();
    g.fillText(num(Math.round(max * f)), 4, yy + 4);
  }
  g.fillText("-5 min", pad.l, h - 4);
  g.fillText("now", w - pad.r - 22, h - 4);
  if (depth.length < 2) return;
  g.beginPath();
  depth.forEach(([t, v], i) => (i ? g.lineTo(x(t), y(v)) : g.moveTo(x(t), y(v))));
  g.strokeStyle = "#2b6cb0"; g.lineWidth = 2; g.stroke();
  g.lineTo(x(depth[depth.length - 1][0]), y(0)); g.lineTo(x(depth[0][0]), y(0)); g.closePath();
  g.fillStyle = "rgba(43,108,176,0.12)"; g.fill();
}

const shown = new Map(); // "asset|metric" -> last value text, to flash changes

function valueText(v) {
  if (typeof v === "number") return Math.abs(v) >= 1000 || Number.isInteger(v) ? num(Math.round(v * 100) / 100) : v.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
  return String(v);
}

function renderShadow(sh) {
  $("shadow-count").textContent = "(" + sh.count + " series)";
  const byAsset = new Map();
  for (const e of sh.series) {
    if (!byAsset.has(e.assetId)) byAsset.set(e.assetId, []);
    byAsset.get(e.assetId).push(e);
  }
  if (byAsset.size === 0) {
    $("shadow").replaceChildren(el("p", { class: "empty" }, "No values yet."));
    return;
  }
  const blocks = [];
  for (const [asset, entries] of byAsset) {
    const name = entries[0].assetName;
    const rows = entries.map((e) => {
      const key = asset + "|" + e.metric;
      const text = valueText(e.value);
      const cell = el("td", { class: "value quality-" + e.quality, title: String(e.value) }, text);
      if (shown.has(key) && shown.get(key) !== text) cell.classList.add("changed");
      shown.set(key, text);
      return el("tr", { "data-asset": asset, "data-metric": e.metric, "data-value": String(e.value) },
        el("td", {}, e.metric), cell, el("td", {}, e.unit || ""), el("td", {}, e.quality), el("td", { title: e.ts }, time(e.ts)));
    });
    blocks.push(el("div", { class: "asset", "data-asset-block": asset },
      el("h3", {}, name && name !== asset ? name + " " : "", el("span", { class: "muted" }, asset)),
      el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, "Metric"), el("th", { class: "num" }, "Value"), el("th", {}, "Unit"), el("th", {}, "Quality"), el("th", {}, "Time"))),
        el("tbody", {}, ...rows))));
  }
  $("shadow").replaceChildren(el("div", { class: "assets" }, ...blocks));
}

function renderQuarantine(q) {
  $("quarantine-total").textContent = "(" + num(q.total) + " in store)";
  fillRows($("quarantine").tBodies[0], q.entries.map((e) =>
    el("tr", { "data-quarantine-id": String(e.id) },
      el("td", { class: "num" }, e.id),
      el("td", { title: e.received }, time(e.received)),
      el("td", {}, e.reason),
      el("td", {}, e.source),
      el("td", { class: "detail" }, e.detail))));
  $("quarantine-empty").hidden = q.entries.length > 0;
  $("quarantine").hidden = q.entries.length === 0;
}

// The page is read-only: a rejected server certificate shows the request that trusts it, to run with the API token.
function renderCertificates(c) {
  fillRows($("certificates").tBodies[0], c.certificates.map((e) =>
    el("tr", { "data-certificate": e.thumbprint, "data-store": e.store },
      el("td", {}, e.store + (e.firstSeen ? " (first seen " + time(e.firstSeen) + ")" : "")),
      el("td", { class: "detail" }, e.thumbprint),
      el("td", { class: "detail" }, e.subject),
      el("td", { title: e.notAfter }, e.notAfter.slice(0, 10)),
      el("td", {}, e.sources.join(", ")),
      el("td", { class: "detail" }, e.store === "rejected"
        ? "curl -X POST -H 'Authorization: Bearer TOKEN' " + location.origin + "/api/opcua/certificates/" + e.thumbprint + "/trust"
        : ""))));
  $("certificates-empty").hidden = c.certificates.length > 0;
  $("certificates").hidden = c.certificates.length === 0;
}

function renderAnomalies(a) {
  fillRows($("anomalies").tBodies[0], a.series.map((e) =>
    el("tr", {},
      el("td", {}, e.assetId), el("td", {}, e.metric), el("td", { class: "value" }, valueText(e.value)),
      el("td", {}, (e.model || "") + (e.modelVersion ? " " + e.modelVersion : "")), el("td", { title: e.ts }, time(e.ts)))));
  $("anomalies-empty").hidden = a.count > 0;
  $("anomalies").hidden = a.count === 0;
}

function poll(path, render, everyMs) {
  const tick = async () => {
    try {
      render(await getJson(path));
      lastOk = Date.now();
      $("offline").hidden = true;
      $("updated").textContent = new Date(lastOk).toLocaleTimeString([], { hour12: false });
    } catch (err) {
      if (Date.now() - lastOk > 5000) $("offline").hidden = false;
    } finally {
      setTimeout(tick, everyMs);
    }
  };
  tick();
}

// The gateway embeds its state when it serves the page: render it at once, so the first paint has data (a
// headless screenshot, a slow link), then poll.
function renderInitial() {
  const block = $("initial-state");
  if (!block) return;
  try {
    const s = JSON.parse(block.textContent);
    renderStatus(s.status);
    renderShadow(s.shadow);
    renderQuarantine(s.quarantine);
    renderAnomalies(s.anomalies);
    lastOk = Date.now();
    $("updated").textContent = new Date(s.status.nowUtc).toLocaleTimeString([], { hour12: false });
  } catch (err) {
    // A state that cannot be rendered is only a missed head start: the polls below fill the page.
  }
}

renderInitial();
poll("/api/status", renderStatus, 2000);
poll("/api/shadow", renderShadow, 1000);
poll("/api/quarantine?limit=10&order=newest", renderQuarantine, 5000);
poll("/api/anomalies?limit=20", renderAnomalies, 5000);
poll("/api/opcua/certificates", renderCertificates, 10000);
window.addEventListener("resize", drawChart);

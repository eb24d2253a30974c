// The status page at /: one self-contained HTML file (inline style and script, the chart drawn as
// inline SVG), so it works with no network beyond this server and nothing to install. It reads
// /status.json every 2 s and writes every figure with textContent: log text shown here (recent
// errors) is never parsed as HTML. No template interpolation below: the page is plain text.
export const statusPage = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>arkime-kafka-indexer status</title>
<style>
:root { color-scheme: light dark; --bg: #f3f4f6; --card: #fff; --fg: #1d2330; --muted: #5f6b7d; --line: #e2e5ea;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --in: #2f6fde; --out: #1a9f5a; --fail: #d1242f; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1217; --card: #171b22; --fg: #e6e9ef; --muted: #8b95a7;
  --line: #2a303b; --ok: #3fb950; --bad: #f85149; --warn: #d29922; --in: #58a6ff; --out: #3fb950; --fail: #f85149; } }
/* One rem grows with the screen: the same layout reads on a phone and across a room. */
html { font-size: clamp(14px, 0.5vw + 9px, 30px); }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; padding: .8rem 1rem; }
h1 { font-size: 1.15rem; margin: 0; font-weight: 600; }
.pill { padding: .1rem .6rem; border-radius: 1rem; font-weight: 600; font-size: .9rem; color: #fff; background: var(--muted); }
.pill.ok { background: var(--ok); } .pill.bad { background: var(--bad); }
#updated { color: var(--muted); font-size: .85rem; margin-left: auto; }
#reasons { width: 100%; margin: 0; padding-left: 1.2rem; color: var(--bad); }
#offline { display: none; width: 100%; color: var(--bad); font-weight: 600; }
body.offline #offline { display: block; }
main { display: grid; gap: 1rem; padding: 0 1rem 1rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 19rem), 1fr)); }
section { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .7rem 1rem; min-width: 0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 .5rem; font-weight: 600; }
.figures { display: flex; flex-wrap: wrap; gap: .4rem 1.6rem; margin-bottom: .4rem; }
.figure b { display: block; font-size: 1.6rem; font-variant-numeric: tabular-nums; }
.figure span { font-size: .8rem; color: var(--muted); }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
td, th { padding: .2rem .3rem; text-align: left; border-bottom: 1px solid var(--line); font-size: .9rem; overflow-wrap: anywhere; }
th { color: var(--muted); font-weight: 500; }
.n { text-align: right; }
svg { width: 100%; height: clamp(8rem, 26vh, 26rem); display: block; border-bottom: 1px solid var(--line); }
svg path { fill: none; stroke-width: 2; vector-effect: non-scaling-stroke; stroke-linejoin: round; }
svg line { stroke: var(--line); stroke-dasharray: 4 4; vector-effect: non-scaling-stroke; }
.consumed { stroke: var(--in); color: var(--in); } .indexed { stroke: var(--out); color: var(--out); }
.failed { stroke: var(--fail); color: var(--fail); }
.legend { display: flex; flex-wrap: wrap; gap: .2rem 1.4rem; font-size: .9rem; margin-bottom: .3rem; }
.legend b { font-variant-numeric: tabular-nums; }
.axis { display: flex; justify-content: space-between; color: var(--muted); font-size: .75rem; }
.dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; margin-right: .35rem; background: currentColor; }
.alive { color: var(--ok); } .dead { color: var(--bad); }
.empty { color: var(--muted); }
.bar { height: .45rem; background: var(--line); border-radius: .25rem; overflow: hidden; margin: .2rem 0 .5rem; }
.bar div { height: 100%; background: var(--in); width: 0; }
ul { list-style: none; margin: 0; padding: 0; }
li { border-bottom: 1px solid var(--line); padding: .3rem 0; overflow-wrap: anywhere; }
.lvl-error, .lvl-fatal { color: var(--bad); font-weight: 600; } .lvl-warn { color: var(--warn); font-weight: 600; }
.detail, .when { color: var(--muted); font-size: .85rem; }
</style>
</head>
<body>
<header>
  <h1>Arkime Kafka indexer</h1>
  <span id="ready" class="pill">…</span>
  <span id="updated">loading</span>
  <div id="offline">No answer from the indexer: the figures below are from the last answer.</div>
  <ul id="reasons"></ul>
</header>
<main>
  <section class="wide" id="behind-panel">
    <h2>Behind capture</h2>
    <div class="figures"><div class="figure"><b id="behind">–</b><span id="behind-detail">the age of the oldest session not yet indexed</span></div></div>
    <table><thead><tr><th>topic</th><th>partition</th><th class="n">behind</th></tr></thead><tbody id="behind-partitions"></tbody></table>
  </section>
  <section class="wide" id="throughput">
    <h2>Throughput, last <span id="window">10 min</span></h2>
    <div class="legend">
      <span class="consumed"><span class="dot"></span>in <b id="rate-consumed">–</b> messages/s</span>
      <span class="indexed"><span class="dot"></span>indexed <b id="rate-indexed">–</b> documents/s</span>
      <span class="failed"><span class="dot"></span>failed <b id="rate-failed">–</b> documents/s</span>
    </div>
    <div class="axis"><span id="chart-max">0/s</span><span></span></div>
    <svg id="chart" viewBox="0 0 1000 300" preserveAspectRatio="none" role="img" aria-label="throughput chart">
      <line x1="0" y1="150" x2="1000" y2="150"></line>
      <path id="line-consumed" class="consumed" d=""></path>
      <path id="line-indexed" class="indexed" d=""></path>
      <path id="line-failed" class="failed" d=""></path>
    </svg>
    <div class="axis"><span id="chart-start">−10 min</span><span>now</span></div>
    <div class="figures" style="margin-top:.5rem">
      <div class="figure"><b id="total-consumed">–</b><span>messages consumed</span></div>
      <div class="figure"><b id="total-indexed">–</b><span>documents indexed</span></div>
      <div class="figure"><b id="total-failed">–</b><span>documents failed</span></div>
      <div class="figure"><b id="total-produced">–</b><span>sent to the failure topic</span></div>
      <div class="figure"><b id="total-retried">–</b><span>documents retried</span></div>
    </div>
  </section>
  <section id="lag-panel">
    <h2>Consumer lag</h2>
    <div class="figures"><div class="figure"><b id="lag-total">–</b><span>messages not yet committed</span></div></div>
    <table><thead><tr id="lag-head"></tr></thead><tbody id="lag"></tbody></table>
  </section>
  <section id="failures-panel">
    <h2>Failures by reason</h2>
    <table><tbody id="failures"></tbody></table>
  </section>
  <section id="flow-panel">
    <h2>Requests in flight</h2>
    <div class="figures">
      <div class="figure"><b id="inflight-requests">–</b><span>bulk requests of <span id="instances">–</span></span></div>
      <div class="figure"><b id="inflight-bytes">–</b><span>in flight</span></div>
    </div>
    <div><span id="buffered">–</span> <span class="detail">buffered of <span id="max-buffered">–</span> (MAX_BUFFERED_BYTES)</span></div>
    <div class="bar"><div id="buffered-bar"></div></div>
    <div>Fetching: <b id="fetch-state">–</b></div>
    <div class="detail" id="paused-seconds"></div>
  </section>
  <section id="search-panel">
    <h2>Search cluster</h2>
    <div><b id="search-state">–</b></div>
    <ul id="nodes"></ul>
  </section>
  <section class="wide" id="errors-panel">
    <h2>Recent errors</h2>
    <ul id="errors"></ul>
  </section>
</main>
<script>
"use strict";
var refreshMs = 2000;
var refreshes = 0;
var pauseReasons = {
  max_buffered_bytes: "paused: MAX_BUFFERED_BYTES are taken and not yet indexed",
  indexers_busy: "paused: as many bulk requests in flight as the concurrency limit allows"
};
function $(id) { return document.getElementById(id); }
function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}
function count(n) { return Math.round(n).toLocaleString("en-US"); }
function rate(n) { return n < 10 ? n.toFixed(1) : count(n); }
function bytes(n) {
  var units = ["B", "kB", "MB", "GB", "TB"], i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i === 0 ? String(Math.round(n)) : n.toFixed(1)) + " " + units[i];
}
function ago(fromIso, nowIso) {
  var s = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(fromIso)) / 1000));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}
function seconds(n) { return (n < 10 ? n.toFixed(1) : count(n)) + " s"; }
function set(id, text) { $(id).textContent = text; }
function rows(tbody, list, cells, empty) {
  tbody.replaceChildren();
  if (list.length === 0) {
    var tr = el("tr"); var td = el("td", "empty", empty); td.colSpan = 3; tr.append(td); tbody.append(tr);
    return;
  }
  list.forEach(function (item) {
    var tr = el("tr");
    cells(item).forEach(function (cell) { tr.append(el("td", cell[1] || "", cell[0])); });
    tbody.append(tr);
  });
}
function niceMax(v) {
  if (v <= 0) return 1;
  var p = Math.pow(10, Math.floor(Math.log10(v))), steps = [1, 2, 5, 10];
  for (var i = 0; i < steps.length; i++) if (v <= steps[i] * p) return steps[i] * p;
  return 10 * p;
}
function span(ms) {
  return ms >= 120000 ? Math.round(ms / 60000) + " min" : Math.round(ms / 1000) + " s";
}
function drawChart(t) {
  var points = t.points, last = points.length ? points[points.length - 1].at : 0;
  // A young process fills the width with what it has (at least a minute) rather than a sliver at the right.
  var first = points.length ? points[0].at : 0;
  var width = Math.max(60000, Math.min(t.windowMs, last - first)), start = last - width, max = 0;
  points.forEach(function (p) { max = Math.max(max, p.consumed, p.indexed, p.failed); });
  max = niceMax(max);
  ["consumed", "indexed", "failed"].forEach(function (key) {
    var d = points.filter(function (p) { return p.at >= start; }).map(function (p, i) {
      var x = ((p.at - start) / width) * 1000, y = 300 - (p[key] / max) * 296;
      return (i === 0 ? "M" : "L") + x.toFixed(1) + " " + y.toFixed(1);
    }).join(" ");
    $("line-" + key).setAttribute("d", d);
    set("rate-" + key, points.length ? rate(points[points.length - 1][key]) : "–");
  });
  $("chart").setAttribute("data-last", String(last));
  set("chart-max", rate(max) + "/s");
  set("window", span(width));
  set("chart-start", "−" + span(width));
}
function render(s) {
  var ready = $("ready");
  ready.textContent = s.ready.ready ? "Ready" : "Not ready";
  ready.className = "pill " + (s.ready.ready ? "ok" : "bad");
  $("reasons").replaceChildren.apply($("reasons"), s.ready.reasons.map(function (r) { return el("li", "", r); }));
  set("updated", "Updated " + new Date(s.time).toLocaleTimeString());

  var b = s.behind;
  set("behind", b.seconds === null ? "unknown" : seconds(b.seconds) + " behind");
  $("behind").className = b.seconds !== null && b.seconds >= 60 ? "dead" : "";
  set("behind-detail", b.seconds === null ? "the records waiting carry no timestamp"
    : b.slowest === null ? "caught up: nothing waits to be indexed"
    : "slowest: " + b.slowest.topic + " partition " + b.slowest.partition);
  rows($("behind-partitions"), b.partitions, function (p) {
    return [[p.topic], [String(p.partition)], [p.seconds === null ? "unknown" : seconds(p.seconds)
      + (p.timestampType === "log_append_time" ? " since stored" : ""), "n"]];
  }, "no partition read yet");
  Array.prototype.forEach.call($("behind-partitions").rows, function (tr, i) {
    var p = b.partitions[i];
    if (p) { tr.dataset.topic = p.topic; tr.dataset.partition = String(p.partition); }
  });

  drawChart(s.throughput);
  ["consumed", "indexed", "failed", "produced", "retried"].forEach(function (k) { set("total-" + k, count(s.totals[k])); });

  set("lag-total", s.lag.total === null ? "unknown" : count(s.lag.total));
  var withTopic = s.lag.partitions.some(function (p) { return p.labels.topic !== undefined; });
  $("lag-head").replaceChildren.apply($("lag-head"), (withTopic ? ["topic", "partition"] : ["partition"])
    .map(function (h) { return el("th", "", h); }).concat([el("th", "n", "lag")]));
  rows($("lag"), s.lag.partitions, function (p) {
    return (withTopic ? [[p.labels.topic || ""]] : []).concat([[p.labels.partition], [count(p.lag), "n"]]);
  }, s.lag.total === null ? "not asked from the brokers yet" : "no partition assigned");
  Array.prototype.forEach.call($("lag").rows, function (tr, i) {
    var p = s.lag.partitions[i];
    if (p) { tr.dataset.partition = p.labels.partition; if (withTopic) tr.dataset.topic = p.labels.topic || ""; }
  });

  rows($("failures"), s.failures, function (f) { return [[f.reason], [count(f.count), "n"]]; }, "none");
  Array.prototype.forEach.call($("failures").rows, function (tr, i) {
    if (s.failures[i]) tr.dataset.reason = s.failures[i].reason;
  });

  var f = s.inFlight;
  set("inflight-requests", count(f.requests));
  set("instances", count(f.instances));
  set("inflight-bytes", bytes(f.bytes));
  set("buffered", bytes(f.bufferedBytes));
  set("max-buffered", bytes(f.maxBufferedBytes));
  $("buffered-bar").style.width = Math.min(100, (100 * f.bufferedBytes) / Math.max(f.maxBufferedBytes, 1)) + "%";
  set("fetch-state", s.fetch.paused ? (pauseReasons[s.fetch.reason] || "paused") : "running");
  var paused = Object.keys(s.fetch.pausedSecondsByReason).map(function (r) {
    return r + " " + s.fetch.pausedSecondsByReason[r].toFixed(1) + " s";
  });
  set("paused-seconds", paused.length ? "Paused so far: " + paused.join(", ") : "Never paused so far");

  set("search-state", s.search.unavailable ? "Unavailable: bulk requests keep failing"
    : (s.search.total - s.search.dead) + " of " + s.search.total + " nodes alive");
  $("search-state").className = s.search.unavailable || s.search.dead > 0 ? "dead" : "";
  $("nodes").replaceChildren.apply($("nodes"), s.search.nodes.map(function (n) {
    var li = el("li", n.alive ? "alive" : "dead");
    li.append(el("span", "dot"), el("span", "", n.node + (n.alive ? " alive" : " dead")));
    li.dataset.node = n.node; li.dataset.alive = String(n.alive);
    return li;
  }));

  var errors = s.errors.map(function (e) {
    var li = el("li");
    li.append(el("span", "lvl-" + e.level, e.level), " ", el("span", "", (e.component ? e.component + ": " : "") + e.message),
      e.type ? el("b", "", " " + e.type) : "", el("span", "when", " ×" + count(e.count) + ", last " + ago(e.lastSeen, s.time)));
    if (e.detail) li.append(el("div", "detail", e.detail));
    return li;
  });
  if (errors.length === 0) errors = [el("li", "empty", "none since the indexer started")];
  $("errors").replaceChildren.apply($("errors"), errors);
}
function refresh() {
  fetch("status.json", { cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then(function (s) {
      render(s);
      document.body.classList.remove("offline");
      document.body.dataset.refreshes = String(++refreshes);
    })
    .catch(function () { document.body.classList.add("offline"); })
    .finally(function () { setTimeout(refresh, refreshMs); });
}
refresh();
</script>
</body>
</html>
`;

/**
 * The dashboard's stylesheet and script, served from /dashboard/assets/ (no CDN: it works offline). Small
 * enough to live here as text: there is no bundle to build. The pages work without the script; it adds live
 * events, batch progress, refreshing while deliveries are pending, and confirmations.
 */
export const STYLESHEET = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #5b636e; --line: #d6dbe1; --panel: #f5f7f9;
  --accent: #0b5cad; --ok: #137333; --warn: #a05a00; --bad: #b3261e; --focus: #f2b705; }
@media (prefers-color-scheme: dark) { :root { --bg: #15181c; --fg: #e6e9ed; --muted: #a0a8b3; --line: #343a42; --panel: #1d2126;
  --accent: #7fb4f0; --ok: #6fcf8b; --warn: #f0b35a; --bad: #f28b82; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 6px; z-index: 2; }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
header .brand { font-weight: 700; margin-right: auto; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
main { padding: 16px; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: 0 0 12px; } h2 { font-size: 1.15rem; margin: 24px 0 8px; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 9px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
.muted { color: var(--muted); } .small { font-size: .88em; }
.mono, code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { white-space: pre-wrap; word-break: break-all; background: var(--panel); padding: 8px; border-radius: 4px; margin: 4px 0; }
/* Long ids and URLs break where they must; words (the "What" column, labels) never break inside. */
.break { overflow-wrap: anywhere; }
.words { overflow-wrap: normal; word-break: normal; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: .85em; border: 1px solid currentColor; white-space: nowrap; }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); } .busy { color: var(--accent); }
form.inline { display: inline; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 8px 0; }
.actions form { display: flex; flex-wrap: wrap; gap: 6px; align-items: end; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin: 12px 0; }
label { display: inline-flex; flex-direction: column; gap: 2px; font-size: .9em; }
input[aria-invalid="true"] { border: 2px solid var(--bad); }
input, select, button { font: inherit; padding: 6px 9px; border: 1px solid var(--line); border-radius: 5px; background: var(--bg); color: var(--fg); min-height: 36px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: var(--bg); color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.flash { border-left: 4px solid var(--accent); background: var(--panel); padding: 8px 12px; margin: 0 0 12px; }
.flash.bad { border-color: var(--bad); }
.secret { border: 2px solid var(--warn); padding: 12px; border-radius: 6px; margin: 12px 0; }
.secret code { display: block; font-size: 1.05em; word-break: break-all; user-select: all; margin: 6px 0; }
.pager { display: flex; gap: 16px; margin: 10px 0; }
[data-progress-text] { white-space: nowrap; }
progress { width: 140px; height: 14px; vertical-align: middle; }
details > summary { cursor: pointer; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
video.preview { max-width: 100%; max-height: 360px; margin-top: 6px; border-radius: 6px; background: #000; }
.chart { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: .9em; margin: 6px 0; }
.sw-succeeded { background: #2e9e5b; } .sw-retrying { background: #e3a21a; } .sw-failed { background: #d3453b; }
.sw-p50 { background: #2f7fd8; } .sw-p90 { background: #8e5bd6; } .sw-p99 { background: #d3453b; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
.signin { max-width: 420px; margin: 40px auto; }
.signin label { display: flex; width: 100%; } .signin input { width: 100%; }
@media (max-width: 640px) { main { padding: 10px; } th, td { padding: 6px; } .hide-narrow { display: none; } }
`;

export const SCRIPT = `
"use strict";
(function () {
  // Live events over the event stream: new rows on the first page of the events list.
  var live = document.querySelector("[data-stream]");
  if (live && window.EventSource) {
    var body = live.querySelector("tbody");
    var status = document.getElementById("live-status");
    var filterType = live.getAttribute("data-type") || "";
    var filterOperation = live.getAttribute("data-operation") || "";
    var count = 0;
    var source = new EventSource(live.getAttribute("data-stream"));
    source.onopen = function () { if (status) status.textContent = "Live: new events appear here as they happen."; };
    source.onmessage = function (message) {
      var payload;
      try { payload = JSON.parse(message.data); } catch (e) { return; }
      var operation = payload && payload.data && typeof payload.data.id === "string" ? payload.data.id : "";
      if (filterType && payload.type !== filterType) return;
      if (filterOperation && operation !== filterOperation) return;
      var row = document.createElement("tr");
      row.className = "fresh";
      var cells = [payload.timestamp || "", payload.type || "", operation, message.lastEventId];
      cells.forEach(function (text, i) {
        var cell = document.createElement("td");
        if (i === 3) {
          var link = document.createElement("a");
          link.href = "/dashboard/events/" + encodeURIComponent(text);
          link.textContent = text;
          link.className = "mono";
          cell.appendChild(link);
        } else { cell.textContent = text; }
        row.appendChild(cell);
      });
      row.appendChild(document.createElement("td"));
      var empty = body.querySelector("[data-empty]");
      if (empty) empty.remove();
      body.insertBefore(row, body.firstChild);
      count++;
      if (status) status.textContent = count + (count === 1 ? " new event" : " new events") + " since this page loaded.";
    };
  }

  // Batch progress, refreshed from the server every few seconds until the batch is done.
  document.querySelectorAll("[data-progress-url]").forEach(function (cell) {
    var bar = cell.querySelector("progress");
    var text = cell.querySelector("[data-progress-text]");
    var row = cell.closest("tr, section");
    var state = row ? row.querySelector("[data-state]") : null;
    function refresh() {
      fetch(cell.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (p) {
          if (!p) return;
          bar.max = Math.max(p.total, 1);
          bar.value = p.completed;
          text.textContent = p.completed + " / " + p.total + (p.failed ? " (" + p.failed + " failed)" : "");
          if (state) { state.textContent = p.state; state.className = "badge " + p.tone; }
          if (!p.done) setTimeout(refresh, 2000);
        })
        .catch(function () { setTimeout(refresh, 5000); });
    }
    if (cell.getAttribute("data-done") !== "true") setTimeout(refresh, 1000);
  });

  // Pages showing pending deliveries look again until they settle, unless the user is typing.
  var pending = document.querySelector("[data-refresh-while-pending]");
  if (pending) {
    setTimeout(function again() {
      var active = document.activeElement;
      if (active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return setTimeout(again, 2000);
      location.reload();
    }, 2000);
  }

  // Destructive actions ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
`;

/**
 * The console's stylesheet and script, served by the Worker itself (same origin, so the CSP can
 * say `'self'` and nothing inline runs). Small enough to keep as strings: no build step.
 * @module
 */

export const CONSOLE_CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
  --accent: #0a58ca; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --rec: #6e7781; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --line: #30363d;
  --panel: #161b22; --accent: #6cb6ff; --ok: #3fb950; --warn: #d29922; --bad: #ff7b72; --rec: #8b949e; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 2; }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
header .brand { font-weight: 700; margin-right: 8px; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header form { margin-left: auto; }
main { padding: 16px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 0 0 12px; } h2 { font-size: 1.15rem; margin: 24px 0 8px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 0; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--panel); margin: 0; }
.tile dt { color: var(--muted); font-size: .85rem; } .tile dd { margin: 0; font-size: 1.35rem; font-weight: 600; }
.tile dd .sub { font-size: .85rem; font-weight: 400; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
.id { word-break: break-all; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px; overflow-x: auto; max-height: 70vh; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; margin: 0 0 12px; }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; min-height: 34px; }
button { background: var(--accent); color: var(--bg); border-color: var(--accent); cursor: pointer; font-weight: 600; }
button.secondary { background: var(--bg); color: var(--accent); }
.inline { display: inline; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: .8rem; border: 1px solid currentColor; }
.s-accepted, .s-done, .s-redriven { color: var(--ok); } .s-invalid, .s-failed, .s-open { color: var(--bad); }
.s-recorded, .s-none { color: var(--rec); } .s-running, .s-acknowledged, .s-pending { color: var(--warn); }
.s-resolved { color: var(--ok); }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--accent); background: var(--panel); padding: 8px 12px; border-radius: 6px; }
.notice.error { border-left-color: var(--bad); }
.muted { color: var(--muted); }
svg.chart { width: 100%; height: auto; max-height: 220px; }
svg .accepted { fill: var(--ok); } svg .recorded { fill: var(--rec); } svg .invalid { fill: var(--bad); }
svg .axis { stroke: var(--line); } svg text { fill: var(--muted); font-size: 10px; }
svg.bar { width: 120px; height: 10px; vertical-align: middle; } svg.bar .track { fill: var(--line); } svg.bar .fill { fill: var(--ok); } svg.bar .fill.behind { fill: var(--warn); }
.legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: .85rem; list-style: none; padding: 0; }
.legend span { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
.legend .accepted { background: var(--ok); } .legend .recorded { background: var(--rec); } .legend .invalid { background: var(--bad); }
.pager { display: flex; gap: 12px; margin: 12px 0; }
.login { max-width: 360px; margin: 10vh auto; } .login label { display: block; margin: 12px 0 4px; } .login input { width: 100%; }
.login button { margin-top: 12px; width: 100%; }
@media (max-width: 600px) { .hide-narrow { display: none; } main { padding: 10px; } th, td { padding: 5px 6px; } }
`;

/**
 * Progressive enhancement only: filters submit when a select changes, and the Overview refreshes
 * itself every minute while visible. Every page works without it.
 */
export const CONSOLE_JS = `
"use strict";
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.tagName === "SELECT" && t.form && t.form.classList.contains("filters")) t.form.requestSubmit();
});
if (document.body && document.body.dataset.refresh) {
  setInterval(function () { if (document.visibilityState === "visible") location.reload(); }, Number(document.body.dataset.refresh) * 1000);
}
`;

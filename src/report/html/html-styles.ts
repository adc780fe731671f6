// The stylesheet of the HTML report: one readable column at laptop width, cards for the key
// numbers, quiet tables, charts in white panels; prints cleanly.

export const HTML_REPORT_CSS = `
:root { --fg: #0f172a; --muted: #475569; --line: #e2e8f0; --bg: #f8fafc; --panel: #fff;
  --accent: #7c3aed; --ok: #059669; --warn: #b45309; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 32px 24px 64px; }
header h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
header .meta { color: var(--muted); font-size: 13px; margin: 0; }
.status { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px;
  font-weight: 600; background: #dcfce7; color: #166534; }
.status.interrupted, .status.failed { background: #fef3c7; color: #92400e; }
h2 { font-size: 19px; margin: 36px 0 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px;
  margin: 20px 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 22px; font-weight: 650; margin-top: 2px; }
.card .note { color: var(--muted); font-size: 12.5px; }
.card.primary { border-color: var(--accent); box-shadow: 0 0 0 1px var(--accent) inset; }
.card.primary .value { color: var(--accent); }
#summary p { margin: 8px 0; }
ul { padding-left: 20px; } li { margin: 4px 0; }
table { border-collapse: collapse; width: 100%; background: var(--panel); font-size: 14px;
  border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; font-size: 13px; color: var(--muted); }
table.plan td:first-child { color: var(--muted); width: 170px; white-space: nowrap; }
td { font-variant-numeric: tabular-nums; }
#recommendation .caption, #batches .caption, #trials .caption { color: var(--muted); font-size: 13.5px; margin: 18px 0 8px; }
tr.recommended td, tr.fastest td { background: #f5f3ff; font-weight: 600; }
.messages { border-left: 3px solid var(--warn); background: #fffbeb; padding: 8px 14px; border-radius: 4px; }
.chart { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; margin: 18px 0; }
.chart h2 { margin: 0 0 4px; }
.chart .caption { color: var(--muted); font-size: 13.5px; margin: 0 0 12px; }
.chart-view { overflow-x: auto; min-height: 40px; }
.chart .empty { color: var(--warn); font-style: italic; }
details { margin-top: 28px; color: var(--muted); font-size: 13px; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
@media print { body { background: #fff; } .chart { break-inside: avoid; } }
`;

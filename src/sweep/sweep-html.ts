// The sweep report as one self-contained HTML page (charts to come: see the sweep HTML work).
import type { SweepReport } from './sweep-report.js';

export function sweepReportToHtml(report: SweepReport): string {
  const escapeHtml = (s: string) =>
    s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
  return `<!doctype html><meta charset="utf-8"><title>batchwise sweep</title><pre>${escapeHtml(JSON.stringify(report.analysis.summary, null, 2))}</pre>\n`;
}

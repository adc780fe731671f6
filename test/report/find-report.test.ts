import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderFindSummary } from '../../src/cli/find-summary.js';
import { findReportToJson } from '../../src/report/find-report.js';
import { findReportJsonSchema } from '../../src/report/find-report-json-schema.js';
import { findReportSchema } from '../../src/report/find-report-schema.js';
import { formatBytes, formatNumber } from '../../src/report/format.js';
import { findReportToMarkdown } from '../../src/report/markdown-report.js';
import { formatPeakBytes } from '../../src/report/terminal-lines.js';
import { fakeFindReport } from '../support/fake-find-report.js';

describe('find report', () => {
  it('validates against its schema after a JSON round trip, with the named fields', async () => {
    const built = await fakeFindReport();
    const parsed = findReportSchema.parse(JSON.parse(findReportToJson(built)));
    expect(parsed.engine.backend).toBe('simulated');
    expect(parsed.recommendation!.batchSize).toBeGreaterThan(0);
    expect(parsed.recommendation!.learningRate).toBeGreaterThan(0);
    expect(parsed.memory.maxBatch).toBeGreaterThan(0);
    expect(parsed.memory.trials.length).toBeGreaterThan(0);
    expect(parsed.throughput.points).toHaveLength(6);
    expect(parsed.noise.trajectory).toHaveLength(20);
    expect(parsed.noise.bSimple.kind).toBe('measured');
    expect(parsed.noise.bSimple.ci95).toHaveLength(2);
  });

  it('states the interval of the memory ceiling: fits at maxBatch, fails by failedAt', async () => {
    const report = await fakeFindReport({}, { allocatorGap: 0.06 });
    const parsed = findReportSchema.parse(JSON.parse(findReportToJson(report)));
    const { maxBatch, failedAt } = parsed.memory;
    expect(parsed.memory.basis).toBe('memory-model');
    expect(failedAt).toBeGreaterThan(maxBatch!);
    expect(maxBatch).toBeGreaterThanOrEqual(0.98 * (failedAt! - 1));
    const fails = `${formatNumber(maxBatch)}** (fails by ${formatNumber(failedAt)})`;
    expect(findReportToMarkdown(report)).toContain(fails);
    expect(renderFindSummary(report)).toContain(
      `${formatNumber(maxBatch)} (fails by ${formatNumber(failedAt)}; `,
    );
    // Nothing failed: no interval to state.
    const plain = await fakeFindReport();
    expect(plain.memory.failedAt).toBeNull();
    expect(renderFindSummary(plain)).not.toContain('fails by');
  });

  it('qualifies the ceiling with its own peak, apart from the budget, and the peak as fitted', async () => {
    const report = await fakeFindReport();
    const { maxBatch } = report.memory;
    const line = renderFindSummary(report)
      .split('\n')
      .find((l) => l.includes('Memory ceiling'))!;
    const trial = report.memory.trials.find((t) => t.batchSize === maxBatch && t.outcome === 'ok');
    const fit = report.memory.fit!;
    const peak = trial?.peakBytes ?? fit.fixedBytes! + fit.bytesPerExample! * maxBatch!;
    // e.g. "Memory ceiling  3,801 (1.00 GiB at that batch; budget 1.00 GiB)": the budget is not
    // the ceiling batch's memory.
    expect(line).toContain(`${formatNumber(maxBatch)} (`);
    expect(line).toContain(`${formatPeakBytes(peak)} at that batch`);
    expect(line).not.toMatch(/e\+\d/);
    expect(line).toContain(`budget ${formatBytes(report.settings.memoryBudgetBytes)}`);
    expect(line).not.toMatch(/ in \d/);
    const best = Math.max(
      ...report.throughput.points
        .filter((p) => p.outcome === 'ok')
        .map((p) => p.examplesPerSecond ?? 0),
    );
    const throughput = renderFindSummary(report)
      .split('\n')
      .find((l) => l.includes('Throughput'))!;
    expect(throughput).toMatch(/peak [\d,]+ examples\/s \(fitted; best measured /);
    expect(throughput).toContain(`best measured ${formatNumber(best)} at batch `);
  });

  it('says when the ceiling comes from out-of-memory outcomes, not memory counters', async () => {
    const report = await fakeFindReport({}, { omitPeakBytes: true });
    expect(report.memory.basis).toBe('oom-outcomes');
    expect(report.memory.message).toMatch(/no peak memory/);
    expect(report.messages.some((m) => /^memory: .*out-of-memory outcomes/.test(m))).toBe(true);
    expect(report.memory.fit).toBeNull();
  });

  it('writes non-finite numbers as null', () => {
    const text = findReportToJson({ x: Number.POSITIVE_INFINITY, y: Number.NaN } as never);
    expect(JSON.parse(text)).toEqual({ x: null, y: null });
  });

  it('renders Markdown with every section', async () => {
    const markdown = findReportToMarkdown(await fakeFindReport());
    for (const heading of [
      '## Recommendation',
      '## Memory',
      '## Throughput',
      '## Gradient noise scale',
    ]) {
      expect(markdown).toContain(heading);
    }
  });

  it('docs/find-report.schema.json is up to date (npx tsx scripts/write-report-schema.ts)', () => {
    const committed = readFileSync(
      new URL('../../docs/find-report.schema.json', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(findReportJsonSchema());
  });
});

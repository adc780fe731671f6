// The README's "Adaptive batch size (TF.js)" section and docs/adaptive.md, as written: their js
// block is the heart of examples/tfjs_fit_adaptive.mjs (verbatim), and their sh block runs that
// example from the repository root (`batchwise/tfjs` is this checkout's build, `npm run build`).

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

function blocks(markdown: string, language: string): string[] {
  const fence = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g');
  return [...markdown.matchAll(fence)].map((m) => (m[1] ?? '').trim());
}

function adaptiveSection(readme: string): string {
  const start = readme.indexOf('## Adaptive batch size (TF.js)');
  const end = readme.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error('README.md has no "Adaptive batch size (TF.js)" section');
  return readme.slice(start, end);
}

describe('README.md: Adaptive batch size (TF.js)', () => {
  const section = adaptiveSection(read('README.md'));
  const [code] = blocks(section, 'js');
  const example = read('examples/tfjs_fit_adaptive.mjs');

  it('shows the example’s own code, and docs/adaptive.md the same block', () => {
    expect(code).toBeDefined();
    const lines = (code ?? '').split('\n');
    // The import, then the fitAdaptive call and its use, each verbatim in the example.
    expect(example).toContain(lines[0] ?? '?');
    expect(example).toContain(lines.slice(2).join('\n'));
    expect(blocks(read('docs/adaptive.md'), 'js')[0]).toBe(code);
  });

  it('runs as written (node examples/tfjs_fit_adaptive.mjs)', async () => {
    const [command] = blocks(section, 'sh');
    expect(command).toBe('node examples/tfjs_fit_adaptive.mjs');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        '/bin/sh',
        ['-c', command ?? 'false'],
        { cwd: ROOT, env: { ...process.env, BATCHWISE_STORE: '/nonexistent/never-used' } },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      ),
    );
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^\d+ steps, final batch \d+, validation accuracy 0\.\d{3}$/);
    for (const reason of lines.slice(0, -1)) {
      expect(reason).toMatch(/^at step \d+ B_noise .* batch \d+ -> \d+.*\(noise rule\)$/);
    }
    const accuracy = Number(lines.at(-1)?.split(' ').at(-1));
    expect(accuracy).toBeGreaterThan(0.8);
  }, 180_000);
});

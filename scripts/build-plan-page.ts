// Builds the static plan calculator: bundles web/plan/plan-page.ts (which imports the planner's
// own modules) with esbuild and inlines it into web/plan/index.html, written self-contained to
// dist/web/plan/index.html. Run: npx tsx scripts/build-plan-page.ts [outDir]. `batchwise serve`
// (issue 5) does not exist yet; the page opens from disk.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Returns the path of the written page. */
export async function buildPlanPage(outDir = path.join(root, 'dist/web/plan')): Promise<string> {
  const bundle = await build({
    entryPoints: [path.join(root, 'web/plan/plan-page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
  });
  const code = bundle.outputFiles[0]?.text ?? '';
  // A "</script" inside the code would end the inline element early.
  const script = `<script type="module">${code.replace(/<\/script/gi, '<\\/script')}</script>`;
  const template = await readFile(path.join(root, 'web/plan/index.html'), 'utf8');
  if (!template.includes('<!-- PLAN_SCRIPT -->'))
    throw new Error('index.html has no PLAN_SCRIPT marker');
  const html = template.replace('<!-- PLAN_SCRIPT -->', () => script);
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, 'index.html');
  await writeFile(out, html);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildPlanPage(process.argv[2]);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}

// The browser builds of vega and vega-lite, read from node_modules when an HTML report is
// written, so that the report carries them inline and opens offline.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface VegaSources {
  readonly vega: string;
  readonly vegaLite: string;
}

let cached: VegaSources | undefined;

/** The minified UMD builds (they define the `vega` and `vegaLite` globals). */
export function vegaSources(): VegaSources {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  // The packages export only their entry points; the .min.js files sit beside them in build/.
  const vegaBuild = dirname(require.resolve('vega'));
  const vegaLiteBuild = dirname(require.resolve('vega-lite'));
  cached = {
    vega: readFileSync(join(vegaBuild, 'vega.min.js'), 'utf8'),
    vegaLite: readFileSync(join(vegaLiteBuild, 'vega-lite.min.js'), 'utf8'),
  };
  return cached;
}

/** Code safe inside an inline <script>: a "</script" or "<!--" would end or confuse it. */
export function inlineScript(code: string): string {
  return `<script>${code.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--')}</script>`;
}

/** JSON safe inside <script type="application/json">: every "<" escaped. */
export function inlineJson(id: string, value: unknown): string {
  const json = JSON.stringify(value, (_key, v) =>
    typeof v === 'number' && !Number.isFinite(v) ? null : v,
  ).replace(/</g, '\\u003c');
  return `<script type="application/json" id="${id}">${json}</script>`;
}

// The pages `batchwise serve` has: a fixed table from route to content, never a path into the
// file system, so no request can reach another file.

import { readFile } from 'node:fs/promises';
import { BatchwiseError } from '../errors.js';

export interface Page {
  readonly contentType: string;
  readonly body: string;
}

const PLAN_PAGE = new URL('../web/plan/index.html', import.meta.url);

const INDEX = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>batchwise</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:48em;color:#222}a{color:#1f5fa8}</style></head>
<body><h1>batchwise</h1>
<ul><li><a href="/plan">plan</a>: memory per device, the largest micro-batch, the global batch and its split, from a model's configuration</li></ul>
</body></html>
`;

/** Loads the pages once; the plan page is built by `npm run build` (part of `npm ci`). */
export async function loadPages(): Promise<ReadonlyMap<string, Page>> {
  let plan: string;
  try {
    plan = await readFile(PLAN_PAGE, 'utf8');
  } catch {
    throw new BatchwiseError('invalid-argument', 'the plan page is not built: run `npm run build`');
  }
  const html = 'text/html; charset=utf-8';
  return new Map([
    ['/', { contentType: html, body: INDEX }],
    ['/plan', { contentType: html, body: plan }],
  ]);
}

// Writes docs/find-report.schema.json from the zod schema (the source of truth).
// Run: npx tsx scripts/write-report-schema.ts ; a test fails when the file is out of date.

import { writeFileSync } from 'node:fs';
import { findReportJsonSchema } from '../src/report/find-report-json-schema.js';

writeFileSync(new URL('../docs/find-report.schema.json', import.meta.url), findReportJsonSchema());

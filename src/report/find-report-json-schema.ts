// The `find` report's schema as JSON Schema (draft 2020-12), derived from the zod schema, for
// users who validate reports in other languages.

import { z } from 'zod';
import { findReportSchema } from './find-report-schema.js';

export function findReportJsonSchema(): string {
  return `${JSON.stringify(z.toJSONSchema(findReportSchema), null, 2)}\n`;
}

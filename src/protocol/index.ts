// The telemetry protocol (docs/protocol.md): event types, schemas, a line parser and a reader.

export {
  parseTelemetryLine,
  safeParseTelemetryLine,
  type TelemetryLineResult,
} from './parse-telemetry-line.js';
export {
  PLAN_PROTOCOL_VERSION,
  type PlanItem,
  type PlanLine,
  type PlanPhase,
  type PlanStop,
  parsePlanLine,
  planLine,
} from './plan.js';
export { LineSplitter, type ReadTelemetryOptions, readTelemetry } from './read-telemetry.js';
export {
  TELEMETRY_EVENT_NAMES,
  TELEMETRY_PROTOCOL_VERSION,
  type TelemetryEnd,
  type TelemetryEval,
  type TelemetryEvent,
  type TelemetryEventName,
  type TelemetryItemEnd,
  type TelemetryOom,
  type TelemetryStart,
  type TelemetryStep,
} from './telemetry-events.js';
export {
  TELEMETRY_SCHEMAS,
  telemetryEndSchema,
  telemetryEvalSchema,
  telemetryItemEndSchema,
  telemetryOomSchema,
  telemetryStartSchema,
  telemetryStepSchema,
} from './telemetry-schema.js';

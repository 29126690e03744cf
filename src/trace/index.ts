export type { TraceEvent, TraceField, TraceHandler, TraceValue } from './event';
export { formatTraceEvent } from './format';
export { traceImports, decodedFunctions } from './wrap';

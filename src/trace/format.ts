// One trace event as one strace-style line:
//   path_open(3, "out.json", CREAT|TRUNC, ...) = 5 <12.3µs>
//   fd_renumber(4, 1) = EBADF <0.8µs>
import type { TraceEvent, TraceField } from './event';

function shown(fields: readonly TraceField[]): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (f.optional) continue;
    // Rights come in pairs: one `...` says it.
    if (f.text === '...' && out[out.length - 1] === '...') continue;
    out.push(f.text);
  }
  return out;
}

function duration(ms: number): string {
  const us = ms * 1000;
  if (us < 1000) return `${us.toFixed(1)}µs`;
  if (ms < 1000) return `${ms.toFixed(2)}ms`;
  return `${(ms / 1000).toFixed(3)}s`;
}

function outcome(event: TraceEvent): string {
  if (event.exitCode !== undefined) return `? (exit ${event.exitCode})`;
  if (event.errno === null) {
    const t = event.thrown;
    return `? (trap: ${t instanceof Error ? t.message : String(t)})`.replace(/\s*\n\s*/g, ' ');
  }
  if (event.errno !== 0) return event.errnoName ?? String(event.errno);
  const results = shown(event.results);
  if (results.length === 0) return '0';
  if (results.length === 1) return results[0];
  return `{${event.results.filter((f) => !f.optional && f.text !== '...').map((f) => (f.text.startsWith(`${f.name}=`) ? f.text : `${f.name}=${f.text}`)).join(', ')}}`;
}

/** The event as one line, without a newline. wasix_32v1 functions are prefixed `wasix:`. */
export function formatTraceEvent(event: TraceEvent): string {
  const prefix = event.module === 'wasi_snapshot_preview1' ? '' : event.module === 'wasix_32v1' ? 'wasix:' : `${event.module}:`;
  return `${prefix}${event.name}(${shown(event.args).join(', ')}) = ${outcome(event)} <${duration(event.durationMs)}>`;
}

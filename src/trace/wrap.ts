// The trace is a wrapper over the import object, made only when a trace handler is given: an
// untraced WASI keeps its import functions as they are, so tracing costs nothing when off.
import { ProcExit } from '../abi/errors';
import type { TraceEvent, TraceField, TraceHandler } from './event';
import { errnoName, type MemorySource } from './fields';
import { preview1Decoders, type Decoder, type Raw } from './preview1';
import { wasixDecoders } from './wasix';

type ImportFn = (...args: never[]) => number;

const DECODERS: Record<string, Record<string, Decoder>> = {
  wasi_snapshot_preview1: preview1Decoders,
  wasix_32v1: wasixDecoders,
};

/** Every raw argument as a number: what a function refwasi does not know how to decode shows. */
const rawOnly: Decoder = {
  args: (r) => r.map((v, i) => ({ name: `arg${i}`, value: v, text: String(v) })),
};

const now: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

function safely(f: () => TraceField[]): TraceField[] {
  try {
    return f();
  } catch {
    return [];
  }
}

function traced(module: string, name: string, fn: ImportFn, handler: TraceHandler, memory: MemorySource): ImportFn {
  const decoder = DECODERS[module]?.[name] ?? rawOnly;
  const call = fn as unknown as (...a: unknown[]) => number;
  return function (...rawArgs: unknown[]): number {
    const raw = rawArgs as unknown as Raw;
    const args = safely(() => decoder.args(raw, memory));
    const start = now();
    let errno: number;
    try {
      errno = call(...rawArgs);
    } catch (thrown) {
      const durationMs = now() - start;
      const base = { module, name, rawArgs: raw, args, errno: null, errnoName: null, results: [], durationMs };
      handler(thrown instanceof ProcExit ? { ...base, exitCode: thrown.code } : { ...base, thrown });
      throw thrown;
    }
    const durationMs = now() - start;
    const results = errno === 0 && decoder.results ? safely(() => decoder.results!(raw, memory)) : [];
    const event: TraceEvent = { module, name, rawArgs: raw, args, errno, errnoName: errno === 0 ? null : errnoName(errno), results, durationMs };
    handler(event);
    return errno;
  } as ImportFn;
}

/**
 * A copy of the import object whose every function reports to `handler` as it returns.
 * `memory` gives the guest memory at the time of the call (null before one is bound).
 */
export function traceImports<T extends Record<string, Record<string, ImportFn>>>(imports: T, handler: TraceHandler, memory: MemorySource): T {
  const out: Record<string, Record<string, ImportFn>> = {};
  for (const [module, family] of Object.entries(imports)) {
    const wrapped: Record<string, ImportFn> = {};
    for (const [name, fn] of Object.entries(family)) wrapped[name] = traced(module, name, fn, handler, memory);
    out[module] = wrapped;
  }
  return out as T;
}

/** The functions the trace decodes, by import module (for tests and documentation). */
export function decodedFunctions(): Record<string, string[]> {
  return Object.fromEntries(Object.entries(DECODERS).map(([module, table]) => [module, Object.keys(table)]));
}

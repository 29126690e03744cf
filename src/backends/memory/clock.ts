// Looked up once: every write stamps its file, and in Node `performance` is a lazy global
// whose lookup costs as much as the clock itself. timeOrigin is fixed for a process.
const perf = performance;
const origin = perf.timeOrigin;

/**
 * A timestamp as MemoryDirectory keeps it: a number is milliseconds since the epoch as the
 * clock gave it (stamping a write makes no BigInt); a bigint is an exact nanosecond value a
 * guest set. Either becomes nanoseconds only when someone asks (stat).
 */
export type Stamp = number | bigint;

/** Wall-clock time in milliseconds (fractional), from the best clock every platform has. */
export function nowMs(): number {
  return origin + perf.now();
}

/** A Stamp in nanoseconds since the epoch (a clock reading rounds to the nanosecond as before). */
export function stampNs(t: Stamp): bigint {
  return typeof t === 'bigint' ? t : BigInt(Math.round(t * 1e6));
}

/** Wall-clock time in nanoseconds. */
export function nowNs(): bigint {
  return stampNs(nowMs());
}

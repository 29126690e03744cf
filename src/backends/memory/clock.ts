// Looked up once: every write stamps its file, and in Node `performance` is a lazy global
// whose lookup costs as much as the clock itself. timeOrigin is fixed for a process.
const perf = performance;
const origin = perf.timeOrigin;


/** Wall-clock time in milliseconds (fractional), from the best clock every platform has. */
export function nowMs(): number {
  return origin + perf.now();
}

/** A clock reading (milliseconds) in nanoseconds since the epoch, rounded as it always was. */
export function stampNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}

/** Wall-clock time in nanoseconds. */
export function nowNs(): bigint {
  return stampNs(nowMs());
}

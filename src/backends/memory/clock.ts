// Looked up once: every write stamps its file, and in Node `performance` is a lazy global
// whose lookup costs as much as the clock itself. timeOrigin is fixed for a process.
const perf = performance;
const origin = perf.timeOrigin;

/** Wall-clock time in nanoseconds, from the best clock every platform has. */
export function nowNs(): bigint {
  return BigInt(Math.round((origin + perf.now()) * 1e6));
}

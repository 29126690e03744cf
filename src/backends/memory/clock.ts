/** Wall-clock time in nanoseconds, from the best clock every platform has. */
export function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

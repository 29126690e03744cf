import { Clockid, Errno } from '../abi/constants';
import { fail } from '../abi/errors';

interface HostProcess {
  hrtime?: { bigint(): bigint };
  cpuUsage?(): { user: number; system: number };
}
// Reached through globalThis so this file stays importable in a browser.
const hostProcess = (globalThis as { process?: HostProcess }).process;
const hrtime = hostProcess?.hrtime?.bigint ? () => hostProcess.hrtime!.bigint() : null;

/** Nanoseconds on the monotonic clock: hrtime where the host has it, performance.now() elsewhere. */
export function monotonicNs(): bigint {
  return hrtime ? hrtime() : BigInt(Math.round(performance.now() * 1e6));
}

/** Wall-clock nanoseconds since the epoch. */
export function realtimeNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

const processStart = monotonicNs();

/** CPU time of the process in nanoseconds where the host reports it; wall time since start elsewhere. */
function cputimeNs(): bigint {
  if (hostProcess?.cpuUsage) {
    const u = hostProcess.cpuUsage();
    return BigInt(u.user + u.system) * 1000n;
  }
  return monotonicNs() - processStart;
}

export function clockNow(id: number): bigint {
  switch (id) {
    case Clockid.REALTIME: return realtimeNs();
    case Clockid.MONOTONIC: return monotonicNs();
    case Clockid.PROCESS_CPUTIME_ID:
    case Clockid.THREAD_CPUTIME_ID: return cputimeNs();
    default: return fail(Errno.INVAL);
  }
}

/** The honest resolution of each clock, in nanoseconds. */
export function clockResolution(id: number): bigint {
  switch (id) {
    case Clockid.REALTIME: return 1000n; // performance.now() is microsecond-grained at best
    case Clockid.MONOTONIC: return hrtime ? 1n : 1000n;
    case Clockid.PROCESS_CPUTIME_ID:
    case Clockid.THREAD_CPUTIME_ID: return hostProcess?.cpuUsage ? 1000n : 1000n;
    default: return fail(Errno.INVAL);
  }
}

let sleepCell: Int32Array | null = null;

/**
 * Blocks for `ns` without burning CPU where Atomics.wait is allowed (Node, workers). A
 * browser's main thread forbids blocking, so there the wait spins on performance.now().
 */
export function sleepNs(ns: bigint): void {
  if (ns <= 0n) return;
  const ms = Number(ns) / 1e6;
  try {
    sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(sleepCell, 0, 0, ms);
    return;
  } catch {
    // No SharedArrayBuffer or no blocking allowed here: spin.
  }
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

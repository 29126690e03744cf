import { Clockid, Errno } from '../abi/constants';
import { fail } from '../abi/errors';

/**
 * The four preview1 clocks, from whatever the host has, reached through globalThis so this
 * file stays importable in a browser:
 *
 * - MONOTONIC: process.hrtime (nanoseconds) in Node; elsewhere performance.timeOrigin +
 *   performance.now() (in whole nanoseconds, the origin added exactly), whose granularity the
 *   browser coarsens (5 µs to 1 ms); clock_res_get reports the measured one.
 * - REALTIME: the monotonic clock anchored to the epoch, so it has the same resolution, and
 *   re-anchored to Date.now() whenever the system clock was stepped (it is a wall clock).
 * - PROCESS_CPUTIME_ID: process.cpuUsage() (microseconds) in Node. Without it (a browser):
 *   the time this agent spent not waiting in refwasi since it loaded, an upper bound.
 * - THREAD_CPUTIME_ID: process.threadCpuUsage() where Node has it (23.9+); otherwise the
 *   process clock, which also counts the host's other threads.
 */
export interface HostTime {
  hrtime?: () => bigint;
  /** The same clock as hrtime, as [seconds, nanoseconds] (process.hrtime()): no BigInt to make. */
  hrtimeParts?: () => [number, number];
  cpuUsage?: () => { user: number; system: number };
  threadCpuUsage?: () => { user: number; system: number };
  /** Milliseconds, monotonic. */
  performanceNow: () => number;
  /** Milliseconds since the epoch at which performanceNow() was 0. */
  timeOrigin: number;
  /** Milliseconds since the epoch, following the system clock. */
  dateNow: () => number;
  platform?: string;
  /** false: never block in Atomics.wait (as on a browser's main thread); default: try it. */
  blocking?: boolean;
}

interface HostProcess {
  hrtime?: { (): [number, number]; bigint?(): bigint };
  cpuUsage?(): { user: number; system: number };
  threadCpuUsage?(): { user: number; system: number };
  platform?: string;
}

/** The clocks of the environment refwasi runs in. */
export function defaultHostTime(): HostTime {
  const proc = (globalThis as { process?: HostProcess }).process;
  const hr = proc?.hrtime;
  return {
    hrtime: typeof hr?.bigint === 'function' ? () => hr.bigint!() : undefined,
    hrtimeParts: typeof hr === 'function' && typeof hr.bigint === 'function' ? () => hr() : undefined,
    cpuUsage: typeof proc?.cpuUsage === 'function' ? () => proc.cpuUsage!() : undefined,
    threadCpuUsage: typeof proc?.threadCpuUsage === 'function' ? () => proc.threadCpuUsage!() : undefined,
    performanceNow: () => performance.now(),
    timeOrigin: performance.timeOrigin,
    dateNow: () => Date.now(),
    platform: proc?.platform,
  };
}

const NS_PER_MS = 1_000_000n;

/** A cell to Atomics.wait on, or null where this thread may not block. */
function blockingCell(): Int32Array | null {
  try {
    const cell = new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(cell, 0, 0, 0);
    return cell;
  } catch {
    return null;
  }
}

/** Wall clock re-anchored when it and Date.now() disagree by more than this (the system clock was stepped). */
const REALTIME_SLACK_NS = 2n * NS_PER_MS;

export class Clocks {
  private readonly mono: () => bigint;
  private readonly origin: bigint;
  private realtimeAnchor: bigint;
  private monoAnchor: bigint;
  private monoRes: bigint | null = null;
  /** Nanoseconds spent blocked in sleep(), for the CPU-time estimate where the host has none. */
  private waited = 0n;
  private sleepCell: Int32Array | null | undefined = undefined;

  constructor(private readonly host: HostTime = defaultHostTime()) {
    const hr = host.hrtime;
    // performance.now() starts at 0 in every page and worker: counted from the time origin
    // instead, the clock is never near 0 (a deadline "now - 1 s" is not negative in a fresh
    // worker) and agrees across the workers of one program.
    const originNs = BigInt(Math.round(host.timeOrigin * 1e6));
    this.mono = hr ? hr : () => originNs + BigInt(Math.round(host.performanceNow() * 1e6));
    this.origin = this.mono();
    // performance.timeOrigin + now() is sub-millisecond accurate; Date.now() only to the ms.
    this.monoAnchor = this.mono();
    this.realtimeAnchor = BigInt(Math.round((host.timeOrigin + host.performanceNow()) * 1e6));
  }

  monotonic(): bigint {
    return this.mono();
  }

  /**
   * Stores monotonic() as a u64 at view[at]. With hrtime's [s, ns] form this makes no BigInt:
   * the value is exact as a double below 2^53 ns (104 days of uptime); past that, or without
   * that form, it goes through the BigInt.
   */
  storeMonotonic(view: DataView, at: number): void {
    const parts = this.host.hrtimeParts;
    if (parts !== undefined) {
      const t = parts();
      const ns = t[0] * 1e9 + t[1];
      if (ns <= Number.MAX_SAFE_INTEGER) {
        view.setUint32(at, ns >>> 0, true);
        view.setUint32(at + 4, Math.floor(ns / 0x100000000), true);
        return;
      }
    }
    view.setBigUint64(at, this.mono(), true);
  }

  realtime(): bigint {
    const m = this.mono();
    const t = this.realtimeAnchor + (m - this.monoAnchor);
    const wallMs = BigInt(this.host.dateNow());
    // Date.now() is t truncated to the millisecond when both agree.
    const low = wallMs * NS_PER_MS - REALTIME_SLACK_NS;
    const high = (wallMs + 1n) * NS_PER_MS + REALTIME_SLACK_NS;
    if (t >= low && t < high) return t;
    this.monoAnchor = m;
    this.realtimeAnchor = wallMs * NS_PER_MS + NS_PER_MS / 2n;
    return this.realtimeAnchor;
  }

  processCpu(): bigint {
    const u = this.host.cpuUsage?.();
    if (u) return BigInt(Math.round(u.user + u.system)) * 1000n;
    const busy = this.mono() - this.origin - this.waited;
    return busy > 0n ? busy : 0n;
  }

  threadCpu(): bigint {
    const u = this.host.threadCpuUsage?.();
    if (u) return BigInt(Math.round(u.user + u.system)) * 1000n;
    return this.processCpu();
  }

  /** The clock's current value; an unknown clock id is EINVAL. */
  now(id: number): bigint {
    switch (id) {
      case Clockid.REALTIME: return this.realtime();
      case Clockid.MONOTONIC: return this.monotonic();
      case Clockid.PROCESS_CPUTIME_ID: return this.processCpu();
      case Clockid.THREAD_CPUTIME_ID: return this.threadCpu();
      default: return fail(Errno.INVAL);
    }
  }

  /**
   * The granularity of the clock's values in nanoseconds: what clock_res_get reports.
   * hrtime is nanosecond-grained (100 ns on Windows, where it comes from the performance
   * counter); performance.now() is measured once, as the smallest step it takes.
   */
  resolution(id: number): bigint {
    switch (id) {
      case Clockid.REALTIME:
      case Clockid.MONOTONIC:
        return this.monotonicResolution();
      case Clockid.PROCESS_CPUTIME_ID:
        return this.host.cpuUsage ? 1000n : this.monotonicResolution();
      case Clockid.THREAD_CPUTIME_ID:
        return this.host.threadCpuUsage || this.host.cpuUsage ? 1000n : this.monotonicResolution();
      default:
        return fail(Errno.INVAL);
    }
  }

  private monotonicResolution(): bigint {
    if (this.monoRes !== null) return this.monoRes;
    if (this.host.hrtime) {
      this.monoRes = this.host.platform === 'win32' ? 100n : 1n;
      return this.monoRes;
    }
    // Watch performance.now() step a few times (at most 50 ms) and keep the smallest step.
    const now = this.host.performanceNow;
    const start = now();
    let last = start;
    let smallest = Infinity;
    let steps = 0;
    while (steps < 4) {
      const t = now();
      if (t !== last) {
        smallest = Math.min(smallest, t - last);
        last = t;
        steps++;
      }
      if (t - start > 50) break;
    }
    this.monoRes = Number.isFinite(smallest) ? BigInt(Math.max(1, Math.round(smallest * 1e6))) : NS_PER_MS;
    return this.monoRes;
  }

  /** True where this thread may block in Atomics.wait (Node, workers; not a browser's main thread). */
  canBlock(): boolean {
    if (this.sleepCell === undefined) this.sleepCell = this.host.blocking === false ? null : blockingCell();
    return this.sleepCell !== null;
  }

  /**
   * Blocks for `ns` nanoseconds. Where Atomics.wait is allowed (Node, workers) the thread
   * sleeps and burns no CPU. A browser's main thread may not block at all (and a page
   * without cross-origin isolation has no SharedArrayBuffer), so there the wait spins on
   * the clock: correct, but it keeps one core busy and the page frozen meanwhile.
   */
  sleep(ns: bigint): void {
    if (ns <= 0n) return;
    const before = this.mono();
    if (this.canBlock()) {
      Atomics.wait(this.sleepCell!, 0, 0, Number(ns) / 1e6);
    } else {
      const end = before + ns;
      while (this.mono() < end) { /* nothing else can run on this thread meanwhile */ }
    }
    this.waited += this.mono() - before;
  }
}

/** The clocks every WASI object uses unless given others. */
export const hostClocks = new Clocks();

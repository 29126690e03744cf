import {
  Clockid, Errno, Eventrwflags, Eventtype, Rights, SIZEOF_EVENT, SIZEOF_SUBSCRIPTION, Subclockflags,
} from '../abi/constants';
import { fail, WasiError } from '../abi/errors';
import type { Readiness } from '../backends/types';
import { descriptor, type Context } from './context';

/**
 * poll_oneoff. Every subscription is looked at in order; every one that is ready becomes an
 * event, in subscription order. If none is, the call sleeps until the earliest clock is due
 * (or, when some stream can be fed from outside this thread, re-checks in short slices).
 *
 * Where wasmtime fails the whole call, refwasi reports per event (the witx's `event.error`):
 * a bad or unsuitable fd is an event carrying EBADF (wasi-libc's poll() turns it into
 * POLLNVAL), a write to a pipe nobody reads carries EPIPE (POLLHUP). Malformed input (no
 * subscriptions, an unknown tag, clock id or clock flag) still fails the call with EINVAL.
 */

interface ClockSub {
  kind: 'clock';
  userdata: bigint;
  /** Nanoseconds until the subscription is due (<= 0: due). */
  left: () => bigint;
}
interface FdSub {
  kind: 'fd';
  userdata: bigint;
  type: Eventtype.FD_READ | Eventtype.FD_WRITE;
  fd: number;
}
type Sub = ClockSub | FdSub;

interface Event { userdata: bigint; error: Errno; type: Eventtype; nbytes: bigint; flags: number }

/** An fd subscription that is not ready; `external`: something other than this guest may make it ready. */
interface NotReady { external: boolean }

/** Longest single sleep while some stream may be fed from outside (ns); the slices start at 50 µs. */
const MAX_SLICE = 10_000_000n;
const FIRST_SLICE = 50_000n;

function fdEvent(sub: FdSub, error: Errno, nbytes = 0, flags = 0): Event {
  return { userdata: sub.userdata, error, type: sub.type, nbytes: BigInt(nbytes), flags };
}

/** The subscription's event if it is ready now (an error is ready too), else what it waits on. */
function checkFd(ctx: Context, sub: FdSub): Event | NotReady {
  const reading = sub.type === Eventtype.FD_READ;
  try {
    // The right to read (write) a descriptor includes the right to poll it for reading (writing).
    const d = descriptor(ctx, sub.fd, reading ? Rights.FD_READ : Rights.FD_WRITE);
    const desc = d.description;
    const h = desc.handle;
    if (h.kind === 'directory') return fdEvent(sub, Errno.BADF);
    if (h.kind === 'file') {
      // Regular files never block. Reading: what is left past the offset, and HANGUP at the
      // end (as wasmtime). Writing: at least a byte.
      if (!reading) return fdEvent(sub, Errno.SUCCESS, 1);
      const left = Math.max(0, h.size() - desc.offset);
      return fdEvent(sub, Errno.SUCCESS, left, left === 0 ? Eventrwflags.FD_READWRITE_HANGUP : 0);
    }
    const probe = reading ? h.readReadiness : h.writeReadiness;
    const r: Readiness = probe ? probe.call(h) : { ready: true, nbytes: 0, hangup: false };
    if (!reading && r.hangup) return fdEvent(sub, Errno.PIPE, 0, Eventrwflags.FD_READWRITE_HANGUP);
    if (!r.ready) return { external: r.external === true };
    // nbytes is what is known to move without blocking; a ready stream that can't say moves at least 1.
    const nbytes = r.nbytes > 0 ? r.nbytes : r.hangup ? 0 : 1;
    return fdEvent(sub, Errno.SUCCESS, nbytes, r.hangup ? Eventrwflags.FD_READWRITE_HANGUP : 0);
  } catch (e) {
    return fdEvent(sub, e instanceof WasiError ? e.errno : Errno.IO);
  }
}

/** Decodes a clock subscription into "time left" on the clock it names. */
function clockSub(clocks: Context['clocks'], userdata: bigint, id: number, timeout: bigint, flags: number): ClockSub {
  if (flags & ~Subclockflags.ABSTIME) fail(Errno.INVAL);
  const absolute = (flags & Subclockflags.ABSTIME) !== 0;
  switch (id) {
    case Clockid.MONOTONIC: {
      const deadline = absolute ? timeout : clocks.monotonic() + timeout;
      return { kind: 'clock', userdata, left: () => deadline - clocks.monotonic() };
    }
    case Clockid.REALTIME: {
      // An absolute wall-clock deadline follows the wall clock (it may be stepped meanwhile);
      // a relative one is a duration.
      if (absolute) return { kind: 'clock', userdata, left: () => timeout - clocks.realtime() };
      const deadline = clocks.monotonic() + timeout;
      return { kind: 'clock', userdata, left: () => deadline - clocks.monotonic() };
    }
    case Clockid.PROCESS_CPUTIME_ID:
    case Clockid.THREAD_CPUTIME_ID: {
      // A waiting guest uses no CPU, so its CPU clocks would never reach the deadline: the
      // CPU time still to go is waited for as real time (as node:wasi does; wasmtime refuses).
      const now = clocks.now(id);
      const wait = absolute ? (timeout > now ? timeout - now : 0n) : timeout;
      const deadline = clocks.monotonic() + wait;
      return { kind: 'clock', userdata, left: () => deadline - clocks.monotonic() };
    }
    default:
      return fail(Errno.INVAL);
  }
}

export function pollSyscalls(ctx: Context) {
  const clocks = ctx.clocks;

  return {
    poll_oneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
      const call = new PollCall(ctx, inPtr, outPtr, nsubs, neventsPtr);
      let slice = FIRST_SLICE;
      for (;;) {
        const wait = call.step(false);
        if (wait === null) return Errno.SUCCESS;
        let ns = wait.ns;
        if (wait.external) {
          if (ns === null || slice < ns) ns = slice;
          if (slice < MAX_SLICE) slice *= 2n;
        }
        clocks.sleep(ns!);
      }
    },
  };
}

/** What a poll that found nothing ready waits for: the earliest clock (ns), and whether something outside may feed a stream. */
export interface PollWait {
  ns: bigint | null;
  external: boolean;
}

/**
 * One poll_oneoff call, decoded once (so clock deadlines are fixed when the call is made)
 * and checked as often as needed: poll_oneoff checks and sleeps in a loop; a kernel serving
 * another thread's call checks again whenever something may have changed, without blocking.
 */
export class PollCall {
  private readonly subs: Sub[] = [];

  constructor(
    private readonly ctx: Context,
    inPtr: number,
    private readonly outPtr: number,
    nsubs: number,
    private readonly neventsPtr: number,
  ) {
    nsubs >>>= 0;
    // Sleeping forever on nothing is not a thing in preview1 (wasmtime: EINVAL too).
    if (nsubs === 0) fail(Errno.INVAL);
    const mem = ctx.mem;
    mem.check(inPtr, nsubs * SIZEOF_SUBSCRIPTION);
    mem.check(outPtr, nsubs * SIZEOF_EVENT);
    mem.check(neventsPtr, 4);
    for (let i = 0; i < nsubs; i++) {
      const p = (inPtr >>> 0) + i * SIZEOF_SUBSCRIPTION;
      const userdata = mem.u64(p);
      const tag = mem.u8(p + 8);
      if (tag === Eventtype.CLOCK) {
        this.subs.push(clockSub(ctx.clocks, userdata, mem.u32(p + 16), mem.u64(p + 24), mem.u16(p + 40)));
      } else if (tag === Eventtype.FD_READ || tag === Eventtype.FD_WRITE) {
        this.subs.push({ kind: 'fd', userdata, type: tag, fd: mem.u32(p + 16) });
      } else {
        fail(Errno.INVAL);
      }
    }
  }

  /**
   * Looks at every subscription once. If any is ready, writes the events and returns null;
   * else returns what to wait for. `threaded`: other threads may make any stream ready, so
   * a wait with no clock and no outside feeder is a wait, not the deadlock a lone thread has.
   */
  step(threaded: boolean): PollWait | null {
    let events: Event[] = [];
    let soonest: bigint | null = null;
    let external = false;
    for (const sub of this.subs) {
      if (sub.kind === 'clock') {
        const left = sub.left();
        if (left <= 0n) {
          events.push({ userdata: sub.userdata, error: Errno.SUCCESS, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 });
        } else if (soonest === null || left < soonest) {
          soonest = left;
        }
      } else {
        const r = checkFd(this.ctx, sub);
        if ('userdata' in r) events.push(r);
        else external ||= r.external;
      }
    }
    if (events.length === 0) {
      if (soonest !== null || external || threaded) return { ns: soonest, external };
      // Nothing can ever become ready: no clock, and every stream waits for data only this
      // guest could provide (a pipe whose write end it holds). POSIX would hang here forever,
      // and with it the host's thread; refwasi reports the deadlock on each subscription.
      events = this.subs.map((sub) => fdEvent(sub as FdSub, Errno.DEADLK));
    }
    const mem = this.ctx.mem;
    events.forEach((e, i) => {
      const p = (this.outPtr >>> 0) + i * SIZEOF_EVENT;
      mem.write(p, new Uint8Array(SIZEOF_EVENT));
      mem.setU64(p, e.userdata);
      mem.setU16(p + 8, e.error);
      mem.setU8(p + 10, e.type);
      mem.setU64(p + 16, e.nbytes);
      mem.setU16(p + 24, e.flags);
    });
    mem.setU32(this.neventsPtr, events.length);
    return null;
  }
}

import { Errno, Eventrwflags, Eventtype, SIZEOF_EVENT, SIZEOF_SUBSCRIPTION, Subclockflags } from '../abi/constants';
import { fail, WasiError } from '../abi/errors';
import type { Readiness } from '../backends/types';
import { clockNow, sleepNs } from './clock';
import type { Context } from './context';

interface ClockSub { userdata: bigint; deadline: bigint; clock: number }
interface FdSub { userdata: bigint; type: Eventtype; fd: number }
interface Event { userdata: bigint; error: Errno; type: Eventtype; nbytes: bigint; flags: number }

const READY: Readiness = { ready: true, nbytes: 0, hangup: false };

/** Readiness of one fd subscription right now; a bad fd is an event carrying EBADF. */
function fdEvent(ctx: Context, sub: FdSub): Event | null {
  let r: Readiness;
  let error = Errno.SUCCESS;
  try {
    const desc = ctx.table.get(sub.fd).description;
    const h = desc.handle;
    if (h.kind === 'file') {
      // Regular files are always ready; for reads, nbytes is what is left past the offset.
      const left = sub.type === Eventtype.FD_READ ? Math.max(0, h.size() - desc.offset) : 0;
      r = { ready: true, nbytes: left, hangup: false };
    } else if (h.kind === 'stream') {
      const f = sub.type === Eventtype.FD_READ ? h.readReadiness : h.writeReadiness;
      r = f ? f.call(h) : READY;
    } else {
      r = READY;
      error = Errno.BADF;
    }
  } catch (e) {
    r = READY;
    error = e instanceof WasiError ? e.errno : Errno.IO;
  }
  if (!r.ready) return null;
  return {
    userdata: sub.userdata, error, type: sub.type, nbytes: BigInt(r.nbytes),
    flags: r.hangup ? Eventrwflags.FD_READWRITE_HANGUP : 0,
  };
}

export function pollSyscalls(ctx: Context) {
  return {
    poll_oneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
      nsubs >>>= 0;
      if (nsubs === 0) fail(Errno.INVAL);
      const mem = ctx.mem;
      mem.check(inPtr, nsubs * SIZEOF_SUBSCRIPTION);
      mem.check(outPtr, nsubs * SIZEOF_EVENT);
      mem.check(neventsPtr, 4);

      const clocks: ClockSub[] = [];
      const fds: FdSub[] = [];
      const events: Event[] = [];
      for (let i = 0; i < nsubs; i++) {
        const p = inPtr + i * SIZEOF_SUBSCRIPTION;
        const userdata = mem.u64(p);
        const tag = mem.u8(p + 8);
        if (tag === Eventtype.CLOCK) {
          const clock = mem.u32(p + 16);
          const timeout = mem.u64(p + 24);
          const flags = mem.u16(p + 40);
          let now: bigint;
          try {
            now = clockNow(clock);
          } catch {
            events.push({ userdata, error: Errno.INVAL, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 });
            continue;
          }
          const deadline = flags & Subclockflags.ABSTIME ? timeout : now + timeout;
          clocks.push({ userdata, deadline, clock });
        } else if (tag === Eventtype.FD_READ || tag === Eventtype.FD_WRITE) {
          fds.push({ userdata, type: tag, fd: mem.u32(p + 16) });
        } else {
          fail(Errno.INVAL);
        }
      }

      const collectFds = () => {
        for (const sub of fds) {
          const e = fdEvent(ctx, sub);
          if (e) events.push(e);
        }
      };
      const collectClocks = () => {
        for (const c of clocks) {
          if (clockNow(c.clock) >= c.deadline) {
            events.push({ userdata: c.userdata, error: Errno.SUCCESS, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 });
          }
        }
      };

      collectFds();
      collectClocks();
      if (events.length === 0 && clocks.length > 0) {
        // Nothing is ready: sleep until the earliest clock is due. A pipe or stream can only
        // become ready meanwhile through another thread, so waiting is re-checked in slices.
        const first = clocks.reduce((a, b) => (b.deadline - clockNow(b.clock) < a.deadline - clockNow(a.clock) ? b : a));
        const slice = fds.length > 0 ? 10_000_000n : null;
        while (events.length === 0) {
          const left = first.deadline - clockNow(first.clock);
          sleepNs(slice !== null && slice < left ? slice : left);
          collectFds();
          collectClocks();
        }
      } else if (events.length === 0) {
        // Only fd subscriptions, none ready, in a single-threaded guest: report them ready so
        // the guest's next read answers EAGAIN instead of the program hanging forever.
        for (const sub of fds) events.push({ userdata: sub.userdata, error: Errno.SUCCESS, type: sub.type, nbytes: 0n, flags: 0 });
      }

      events.forEach((e, i) => {
        const p = outPtr + i * SIZEOF_EVENT;
        mem.write(p, new Uint8Array(SIZEOF_EVENT));
        mem.setU64(p, e.userdata);
        mem.setU16(p + 8, e.error);
        mem.setU8(p + 10, e.type);
        mem.setU64(p + 16, e.nbytes);
        mem.setU16(p + 24, e.flags);
      });
      mem.setU32(neventsPtr, events.length);
      return Errno.SUCCESS;
    },
  };
}

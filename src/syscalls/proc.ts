import { Clockid, Errno } from '../abi/constants';
import { fail, ProcExit, WasiTrap } from '../abi/errors';
import type { GuestMemory } from '../abi/memory';
import type { Context } from './context';
import { errnoFor, MEMORY_MOVED_RETRIES, selfGuarded } from './errno';

/** Writes a list of NUL-terminated strings and the pointer array to them (args_get, environ_get). */
function writeStrings(mem: GuestMemory, list: Uint8Array[], ptrs: number, buf: number): void {
  const total = list.reduce((n, s) => n + s.byteLength + 1, 0);
  mem.check(ptrs, list.length * 4);
  mem.check(buf, total);
  let at = buf >>> 0;
  list.forEach((s, i) => {
    mem.setU32(ptrs + i * 4, at);
    mem.write(at, s);
    mem.setU8(at + s.byteLength, 0);
    at += s.byteLength + 1;
  });
}

function writeSizes(mem: GuestMemory, list: Uint8Array[], countPtr: number, sizePtr: number): void {
  mem.check(countPtr, 4);
  mem.check(sizePtr, 4);
  mem.setU32(countPtr, list.length);
  mem.setU32(sizePtr, list.reduce((n, s) => n + s.byteLength + 1, 0));
}

const RANDOM_CHUNK = 65536; // Web Crypto refuses more per call.
/** The last preview1 signal number (SIGSYS); anything above is not a signal (EINVAL). */
const SIGNAL_MAX = 30;

export function procSyscalls(ctx: Context) {
  const clocks = ctx.clocks;
  return {
    args_get: (argv: number, buf: number) => (writeStrings(ctx.mem, ctx.args, argv, buf), Errno.SUCCESS),
    args_sizes_get: (c: number, s: number) => (writeSizes(ctx.mem, ctx.args, c, s), Errno.SUCCESS),
    environ_get: (env: number, buf: number) => (writeStrings(ctx.mem, ctx.env, env, buf), Errno.SUCCESS),
    environ_sizes_get: (c: number, s: number) => (writeSizes(ctx.mem, ctx.env, c, s), Errno.SUCCESS),

    clock_res_get(id: number, ptr: number): number {
      const res = ctx.clocks.resolution(id);
      ctx.mem.setU64(ptr, res);
      return Errno.SUCCESS;
    },

    // The precision argument is a hint; every reading is as precise as the clock gets.
    clock_time_get: selfGuarded((id: number, _precision: bigint, ptr: number): number => {
      try {
        const m = ctx.mem;
        ptr >>>= 0;
        if (id === Clockid.MONOTONIC) {
          if (ptr + 8 > m.bytes.length) m.check(ptr, 8);
          clocks.storeMonotonic(m.view, ptr);
          return Errno.SUCCESS;
        }
        // An unknown clock is EINVAL before the pointer is looked at.
        const now = clocks.now(id);
        if (ptr + 8 > m.bytes.length) m.check(ptr, 8);
        m.view.setBigUint64(ptr, now, true);
        return Errno.SUCCESS;
      } catch (e) {
        return errnoFor(e, MEMORY_MOVED_RETRIES);
      }
    }),

    random_get(buf: number, len: number): number {
      len >>>= 0;
      ctx.mem.check(buf, len);
      // Filled through a private buffer: getRandomValues takes at most 64 KiB a call and
      // refuses views of shared memory. Each chunk is copied in through a fresh view, so a
      // memory that grows meanwhile (another thread) is still written correctly.
      const chunk = new Uint8Array(Math.min(RANDOM_CHUNK, len));
      for (let at = 0; at < len; at += RANDOM_CHUNK) {
        const part = chunk.subarray(0, Math.min(RANDOM_CHUNK, len - at));
        crypto.getRandomValues(part);
        ctx.mem.write((buf >>> 0) + at, part);
      }
      return Errno.SUCCESS;
    },

    /** Exit statuses are 0..125 in WASI; wasmtime traps on anything else, and so does refwasi. */
    proc_exit(code: number): never {
      code >>>= 0;
      if (code >= 126) throw new WasiTrap(`proc_exit(${code}): exit status outside of [0, 126)`);
      throw new ProcExit(code);
    },

    /** Signals don't exist in preview1 hosts: NOTSUP for every valid signal (wasmtime too). */
    proc_raise(sig: number): number {
      if (sig >>> 0 > SIGNAL_MAX) fail(Errno.INVAL);
      return fail(Errno.NOTSUP);
    },

    /** One JS thread runs the guest, so there is nothing to yield to (wasmtime: a no-op too). */
    sched_yield(): number {
      return Errno.SUCCESS;
    },
  };
}

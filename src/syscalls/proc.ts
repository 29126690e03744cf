import { Errno } from '../abi/constants';
import { fail, ProcExit } from '../abi/errors';
import type { GuestMemory } from '../abi/memory';
import { clockNow, clockResolution } from './clock';
import type { Context } from './context';

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

export function procSyscalls(ctx: Context) {
  return {
    args_get: (argv: number, buf: number) => (writeStrings(ctx.mem, ctx.args, argv, buf), Errno.SUCCESS),
    args_sizes_get: (c: number, s: number) => (writeSizes(ctx.mem, ctx.args, c, s), Errno.SUCCESS),
    environ_get: (env: number, buf: number) => (writeStrings(ctx.mem, ctx.env, env, buf), Errno.SUCCESS),
    environ_sizes_get: (c: number, s: number) => (writeSizes(ctx.mem, ctx.env, c, s), Errno.SUCCESS),

    clock_res_get(id: number, ptr: number): number {
      const res = clockResolution(id);
      ctx.mem.setU64(ptr, res);
      return Errno.SUCCESS;
    },

    clock_time_get(id: number, _precision: bigint, ptr: number): number {
      const now = clockNow(id);
      ctx.mem.setU64(ptr, now);
      return Errno.SUCCESS;
    },

    random_get(buf: number, len: number): number {
      const out = ctx.mem.slice(buf, len >>> 0);
      // Filled through a private buffer: getRandomValues refuses views of shared memory.
      const chunk = new Uint8Array(Math.min(RANDOM_CHUNK, out.byteLength));
      for (let at = 0; at < out.byteLength; at += RANDOM_CHUNK) {
        const part = chunk.subarray(0, Math.min(RANDOM_CHUNK, out.byteLength - at));
        crypto.getRandomValues(part);
        out.set(part, at);
      }
      return Errno.SUCCESS;
    },

    proc_exit(code: number): never {
      throw new ProcExit(code >>> 0);
    },

    proc_raise(_sig: number): number {
      return fail(Errno.NOTSUP);
    },

    sched_yield(): number {
      return Errno.SUCCESS;
    },
  };
}

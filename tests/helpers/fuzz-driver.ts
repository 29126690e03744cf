// A seeded fuzzer for every import refwasi gives a guest (wasi_snapshot_preview1 and
// wasix_32v1). Each call gets random arguments, as a hostile guest would pass them (i32s
// signed, i64s as BigInt): descriptors open, closed and huge; pointers in bounds, unaligned,
// overlapping, straddling the end and far outside; huge lengths and iovec counts; every flag
// bit. Around each call the driver checks:
//
//   - nothing but an errno comes back (proc_exit's unwinding, and its trap for a status
//     >= 126, are the only exceptions, and only from proc_exit);
//   - guest memory outside the call's output regions is unchanged, byte for byte;
//   - descriptors the call does not name are unchanged (same descriptor, same description,
//     offset and status flags), and a call that fails changes no descriptor at all;
//   - the errno follows the documented order of checks: bad enum or flag values (EINVAL),
//     then each descriptor (EBADF if not open), then every pointer the call reads or writes
//     (EFAULT if out of bounds, EILSEQ for a path that is not UTF-8), then the operation;
//   - the descriptor calls (close, renumber, dup, F_DUPFD, pipe, path_open) do what POSIX
//     says when they succeed, and at the end of each run every host handle was closed once.
//
// Used by tests/fuzz.test.ts (a fixed set of seeds) and scripts/fuzz.ts (the long run).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Errno, FDFLAGS_ALL, Fdflags, Fstflags, FSTFLAGS_ALL, Oflags, OFLAGS_ALL, Rights } from '../../src/abi/constants';
import { ProcExit } from '../../src/abi/errors';
import { MemoryDirectory, type Tree } from '../../src/backends/memory';
import { NodeDirectory, NodeFileHandle } from '../../src/backends/node';
import type { OpenFileDescription } from '../../src/descriptors/description';
import type { Descriptor, RenumberMode } from '../../src/descriptors/table';
import { WASI } from '../../src/wasi';

// ---------------------------------------------------------------------------------------
// Random numbers: sfc32, seeded through splitmix32, so a seed names one exact run.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      out[i] = v & 0xff;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// What a call may do and must check, per import.

/** A byte range of guest memory [ptr, ptr + len), both as unsigned numbers. */
export interface Region {
  ptr: number;
  len: number;
}

/** One memory access the call makes before it changes anything, in the order it makes them. */
type MemCheck =
  | { kind: 'region'; ptr: number; len: number }
  | { kind: 'string'; ptr: number; len: number }
  | { kind: 'iovecs'; ptr: number; count: number };

/** What the driver knows about one descriptor before the call. */
export interface FdSnap {
  d: Descriptor;
  desc: OpenFileDescription;
  offset: number;
  flags: number;
  rightsBase: number;
  rightsInheriting: number;
  fdflags: number;
  preopen: string | null;
  kind: 'file' | 'stream' | 'directory';
  socket: boolean;
}
export type TableSnap = Map<number, FdSnap>;

/** The state a spec reads: the arguments, guest memory and the table before the call. */
interface Pre {
  a: (number | bigint)[];
  mem: Uint8Array;
  view: DataView;
  table: TableSnap;
  maxDescriptors: number;
  renumber: RenumberMode;
  argv: Uint8Array[];
  env: Uint8Array[];
}

/**
 * A descriptor argument and what the call needs of it. `unsuitable` returns null when the
 * descriptor is fit for the call, or the errnos the call may fail with because it is not
 * (after which the driver checks nothing more of the errno).
 */
interface FdUse {
  fd: number;
  /** The number may also be free (fd_renumber's `to` in permissive mode). */
  mayBeFree?: boolean;
  unsuitable?: (s: FdSnap) => Errno[] | null;
}

/** What a successful call that makes descriptors hands back: how many, and where it writes their numbers. */
interface NewFds {
  count: number;
  /** Out-pointers to read the new numbers from (those a later write did not overwrite). */
  ptrs: number[];
}

interface Spec {
  /** The wasm signature: which parameters are i64. */
  sig: ('i32' | 'i64')[];
  /** Fills in arguments (and plants structures in memory they point to). */
  gen(g: Gen): (number | bigint)[];
  /** Bad enum or flag values: the call must fail with EINVAL before looking at anything else. */
  badValue?(p: Pre): boolean;
  /** Descriptor arguments, in the order the call checks them. */
  fds?(p: Pre): FdUse[];
  /** Checks between the descriptors and memory (e.g. fd_prestat_dir_name's length). */
  afterFds?(p: Pre): Errno | null;
  /** Memory accesses, in the order the call makes them. */
  memory?(p: Pre): MemCheck[];
  /** Regions the call may write. */
  outputs?(p: Pre): Region[];
  /** Descriptors the call may change (default: those of fds()). */
  named?(p: Pre): number[];
  /** Calls that make descriptors: where their numbers go. */
  creates?(p: Pre): NewFds;
  /** A semantic check after a successful call; returns a problem or null. */
  after?(p: Pre, post: TableSnap, mem: Uint8Array): string | null;
}

const u = (v: number | bigint) => Number(v) >>> 0;
const s32 = (v: number | bigint) => Number(v) | 0;

/** Rights an fd must hold, else BADF (wrong access mode) or NOTCAPABLE. */
function needs(rights: number, extra?: (s: FdSnap) => Errno[] | null): (s: FdSnap) => Errno[] | null {
  return (s) => {
    const r = extra?.(s);
    if (r) return r;
    return (s.rightsBase & rights) === rights ? null : [Errno.BADF, Errno.NOTCAPABLE];
  };
}

/** A directory fd with `rights` (path_* calls): a file or stream is ENOTDIR. */
const dirNeeds = (rights: number) =>
  needs(rights, (s) => (s.kind !== 'directory' ? [Errno.NOTDIR, Errno.BADF, Errno.NOTCAPABLE] : null));

const seekable = (rights: number) =>
  needs(rights, (s) => (s.kind === 'stream' ? [Errno.SPIPE] : s.kind === 'directory' ? [Errno.BADF, Errno.NOTCAPABLE] : null));

/** Calls only a regular file can take (advise, allocate, set_size): any of these for anything else. */
const fileOp = (rights: number) =>
  needs(rights, (s) => (s.kind !== 'file' ? [Errno.SPIPE, Errno.INVAL, Errno.ISDIR, Errno.BADF, Errno.NOTCAPABLE] : null));

const socketOnly = (s: FdSnap): Errno[] | null => (s.socket ? null : [Errno.NOTSOCK]);

function iovecRegions(p: Pre, ptr: number, count: number): Region[] {
  const out: Region[] = [];
  if (ptr + count * 8 > p.mem.byteLength) return out;
  for (let i = 0; i < count; i++) {
    out.push({ ptr: p.view.getUint32(ptr + i * 8, true), len: p.view.getUint32(ptr + i * 8 + 4, true) });
  }
  return out;
}

const stringsSize = (list: Uint8Array[]) => list.reduce((n, s) => n + s.byteLength + 1, 0);

/** The lowest number >= min that is not open. */
function lowestFree(t: TableSnap, min: number): number {
  let fd = min;
  while (t.has(fd)) fd++;
  return fd;
}

function readU32(mem: Uint8Array, ptr: number): number {
  return new DataView(mem.buffer, mem.byteOffset, mem.byteLength).getUint32(ptr, true);
}

// ---------------------------------------------------------------------------------------
// Argument generation.

const PATHS: (string | number[])[] = [
  'hello.txt', 'empty', 'dir', 'dir/inner.txt', 'dir/sub', 'dir/sub/', 'new', 'new2', 'dir/new',
  'dir/sub/deep', 'link-hello', 'link-loop', 'link-out', 'link-abs', 'link-dir', 'link-dir/inner.txt',
  'link-dangling', '.', '..', '../outside', '../outside/secret.txt', '/etc/passwd', '', 'hello.txt/',
  'dir/../hello.txt', 'dir/../..', './new', 'new/', 'x'.repeat(256), 'd/'.repeat(2100), 'nul\0byte',
  [0xff, 0xfe, 0x41], [0x61, 0xc3], 'ü-file', 'big.bin', 'new/deeper', 'dir//inner.txt',
];

/** Names that exist, or can be made, in every world: what a sane open mostly asks for. */
const PLAIN_PATHS = ['hello.txt', 'empty', 'big.bin', 'dir/inner.txt', 'new', 'new2', 'dir/new', 'dir', '.'];

export class Gen {
  /** Pointers handed out for this call, so later ones can overlap them. */
  private used: number[] = [];
  constructor(
    readonly rng: Rng,
    private readonly bytes: () => Uint8Array,
    private readonly openFds: () => number[],
    private readonly dirFds: () => number[],
    readonly closedFds: number[],
    readonly maxDescriptors: number,
  ) {}

  reset(): void {
    this.used = [];
  }

  get memSize(): number {
    return this.bytes().byteLength;
  }

  /** A descriptor number: mostly open ones, else closed, small, or absurd. */
  fd(preferDir = false): number {
    const r = this.rng;
    const roll = r.int(100);
    if (preferDir && roll < 45) {
      const dirs = this.dirFds();
      if (dirs.length > 0) return r.pick(dirs);
    }
    if (roll < 60) {
      // Directories (the preopens among them) are spared most of the time: once they are all
      // closed or renumbered away, no path call can succeed for the rest of the world.
      const dirs = this.dirFds();
      let open = this.openFds();
      if (r.chance(0.85)) {
        const others = open.filter((fd) => !dirs.includes(fd));
        if (others.length > 0) open = others;
      }
      if (open.length > 0) return r.pick(open);
    }
    if (roll < 72 && this.closedFds.length > 0) return r.pick(this.closedFds);
    if (roll < 88) return r.range(0, 24);
    return r.pick([
      -1, 0x7fffffff, -0x80000000, 0xffff, 0x10000, this.maxDescriptors - 1, this.maxDescriptors,
      this.maxDescriptors + 1, r.u32() | 0, 1 << 20,
    ]);
  }

  /** An open directory fd, if there is one. */
  dirFd(): number {
    const dirs = this.dirFds();
    return dirs.length > 0 ? this.rng.pick(dirs) : this.fd(true);
  }

  /** A pointer to `size` bytes inside memory, aligned. */
  inBounds(size: number, align = 1): number {
    let p = this.rng.int(Math.max(1, this.memSize - size + 1));
    p -= p % align;
    this.used.push(p);
    return p;
  }

  /** A pointer to `size` bytes: usually inside memory, sometimes unaligned, overlapping, straddling or outside. */
  ptr(size: number, align = 1): number {
    const r = this.rng;
    const mem = this.memSize;
    const roll = r.int(100);
    let p: number;
    if (roll < 62) {
      p = r.int(Math.max(1, mem - size + 1));
      if (r.chance(0.6)) p -= p % align;
    } else if (roll < 74 && this.used.length > 0) {
      p = r.pick(this.used) + r.pick([0, 0, 1, 2, 4, -1]);
    } else if (roll < 84) {
      p = mem - size + r.range(1, Math.max(1, size));
    } else {
      p = r.pick([mem, mem + 1, mem + r.int(1 << 20), 0xffffffff, 0x80000000, 0xfffffffc, r.u32(), mem - 1]);
    }
    p >>>= 0;
    this.used.push(p);
    return p | 0;
  }

  /** A length for a buffer: small, zero, exactly fitting, one too many, or huge. */
  len(ptr: number, typical = 256): number {
    const r = this.rng;
    const room = this.memSize - (ptr >>> 0);
    const roll = r.int(100);
    if (roll < 55) return r.int(typical + 1);
    if (roll < 62) return 0;
    if (roll < 72 && room > 0) return room;
    if (roll < 80 && room >= 0) return room + 1;
    return r.pick([0xffffffff, 0x80000000, 0x7fffffff, r.u32(), 1 << 16, 1 << 20]) | 0;
  }

  /** A (pointer, length) pair for a caller's buffer. */
  buffer(typical = 256): [number, number] {
    const size = this.rng.int(typical + 1);
    const p = this.ptr(size);
    const l = this.rng.chance(0.7) ? size : this.len(p, typical);
    return [p, l | 0];
  }

  /** An iovec array planted in memory (mostly sound, sometimes with a bad entry), or garbage. */
  iovecs(): [number, number] {
    const r = this.rng;
    const roll = r.int(100);
    if (roll < 75) {
      const count = r.pick([0, 1, 1, 1, 2, 2, 3, 4, 6]);
      const arr = this.ptr(count * 8, 4);
      const bytes = this.bytes();
      const mem = bytes.byteLength;
      if ((arr >>> 0) + count * 8 <= mem) {
        const view = new DataView(bytes.buffer);
        for (let i = 0; i < count; i++) {
          let buf: number;
          let len: number;
          const e = r.int(100);
          if (e < 80) {
            len = r.pick([0, 1, 3, 8, 16, 64, 100, 257, r.int(2048)]);
            buf = r.chance(0.2) ? r.pick(this.used) >>> 0 : r.int(Math.max(1, mem - len + 1));
            if (buf + len > mem) len = Math.max(0, mem - buf);
          } else if (e < 90) {
            buf = mem - r.int(8);
            len = r.range(9, 64);
          } else {
            buf = r.u32();
            len = r.pick([r.u32(), 0, 0xffffffff, 1]);
          }
          view.setUint32((arr >>> 0) + i * 8, buf >>> 0, true);
          view.setUint32((arr >>> 0) + i * 8 + 4, len >>> 0, true);
        }
      }
      return [arr, r.chance(0.95) ? count : count + r.range(1, 3)];
    }
    const arr = this.ptr(16, 4);
    return [arr, r.pick([0, 1, 2, 0xffffffff, 0x20000000, 0x10000000, r.u32(), 8192, 8193]) | 0];
  }

  /** A path planted in memory (from a pool, so most calls get past parsing), or garbage. */
  path(plain = false): [number, number] {
    const r = this.rng;
    if (plain || r.chance(0.85)) {
      const item = plain ? r.pick(PLAIN_PATHS) : r.pick(PATHS);
      const enc = typeof item === 'string' ? new TextEncoder().encode(item) : Uint8Array.from(item);
      const p = this.ptr(enc.byteLength);
      const bytes = this.bytes();
      if ((p >>> 0) + enc.byteLength <= bytes.byteLength) bytes.set(enc, p >>> 0);
      const len = plain || r.chance(0.92) ? enc.byteLength : this.len(p, 16);
      return [p, len | 0];
    }
    const p = this.ptr(16);
    return [p, this.len(p, 32)];
  }

  /** An i64: small, boundary, negative (as u64, huge) or random. */
  i64(): bigint {
    const r = this.rng;
    const roll = r.int(100);
    const v =
      roll < 40 ? BigInt(r.int(5000))
      : roll < 50 ? 0n
      : roll < 75 ? r.pick([-1n, 1n << 63n, (1n << 63n) - 1n, 1n << 53n, (1n << 53n) + 1n, 1n << 32n, 1n << 40n, -4096n, 4096n, 1n << 31n])
      : r.u64();
    return BigInt.asIntN(64, v);
  }

  /** Flags: valid subsets mostly, else every bit or random bits. */
  flags(all: number): number {
    const r = this.rng;
    const roll = r.int(100);
    if (roll < 70) return r.u32() & all;
    if (roll < 80) return all;
    if (roll < 90) return 0;
    return r.pick([0xffffffff, 0xffff, all + 1, r.u32(), 1 << r.int(32)]) | 0;
  }

  /** An enum value: valid mostly, else just past the end or random. */
  enumValue(count: number): number {
    const r = this.rng;
    if (r.chance(0.8)) return r.int(count);
    return r.pick([count, count + 1, 0xff, 0xffff, -1, r.u32() | 0, 0x100]);
  }

  /** Subscriptions for poll_oneoff, planted so that no clock waits long. */
  subscriptions(): [number, number] {
    const r = this.rng;
    const nsubs = r.chance(0.85) ? r.range(1, 5) : r.pick([0, 0xffffffff, 1400, 1 << 20, r.u32()]);
    const inPtr = this.ptr(Math.min(nsubs, 2000) * 48, 8);
    const bytes = this.bytes();
    const view = new DataView(bytes.buffer);
    const mem = bytes.byteLength;
    if (nsubs <= 2000) {
      for (let i = 0; i < nsubs; i++) {
        const p = (inPtr >>> 0) + i * 48;
        if (p + 48 > mem) break;
        if (r.chance(0.85)) {
          view.setBigUint64(p, r.u64(), true);
          const tag = r.pick([0, 0, 1, 1, 2, 2, 3, 0xff]);
          view.setUint8(p + 8, tag);
          if (tag === 0) {
            view.setUint32(p + 16, this.enumValue(4), true);
            view.setBigUint64(p + 24, BigInt(r.int(2000)), true);
            view.setBigUint64(p + 32, r.u64(), true);
            view.setUint16(p + 40, r.chance(0.8) ? r.int(2) : r.u32() & 0xffff, true);
          } else {
            view.setUint32(p + 16, this.fd() >>> 0, true);
          }
        }
      }
    }
    return [inPtr, nsubs | 0];
  }
}

/** Keeps random memory from asking poll_oneoff for a long sleep: every clock subscription times out at once. */
function tameClocks(bytes: Uint8Array, inPtr: number, nsubs: number): void {
  const mem = bytes.byteLength;
  if (nsubs <= 0 || nsubs > 4096) return;
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < nsubs; i++) {
    const p = (inPtr >>> 0) + i * 48;
    if (p + 48 > mem) return;
    if (view.getUint8(p + 8) === 0) {
      const t = view.getBigUint64(p + 24, true);
      if (t > 2000n) view.setBigUint64(p + 24, t % 2000n, true);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The specs. The order of checks they encode is the one docs/robustness.md states.

const R = Rights;
const fdArg = (i: number, unsuitable?: FdUse['unsuitable']) => (p: Pre): FdUse[] => [{ fd: s32(p.a[i]), unsuitable }];

function pathRegions(p: Pre, ptrIdx: number, lenIdx: number): MemCheck {
  return { kind: 'string', ptr: u(p.a[ptrIdx]), len: u(p.a[lenIdx]) };
}

const SPECS: Record<string, Spec> = {
  // ---- process, clocks, random
  args_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.ptr(16, 4), g.ptr(32)],
    memory: (p) => [
      { kind: 'region', ptr: u(p.a[0]), len: p.argv.length * 4 },
      { kind: 'region', ptr: u(p.a[1]), len: stringsSize(p.argv) },
    ],
    outputs: (p) => [{ ptr: u(p.a[0]), len: p.argv.length * 4 }, { ptr: u(p.a[1]), len: stringsSize(p.argv) }],
  },
  args_sizes_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.ptr(4, 4), g.ptr(4, 4)],
    memory: (p) => [{ kind: 'region', ptr: u(p.a[0]), len: 4 }, { kind: 'region', ptr: u(p.a[1]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[0]), len: 4 }, { ptr: u(p.a[1]), len: 4 }],
  },
  environ_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.ptr(16, 4), g.ptr(32)],
    memory: (p) => [
      { kind: 'region', ptr: u(p.a[0]), len: p.env.length * 4 },
      { kind: 'region', ptr: u(p.a[1]), len: stringsSize(p.env) },
    ],
    outputs: (p) => [{ ptr: u(p.a[0]), len: p.env.length * 4 }, { ptr: u(p.a[1]), len: stringsSize(p.env) }],
  },
  environ_sizes_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.ptr(4, 4), g.ptr(4, 4)],
    memory: (p) => [{ kind: 'region', ptr: u(p.a[0]), len: 4 }, { kind: 'region', ptr: u(p.a[1]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[0]), len: 4 }, { ptr: u(p.a[1]), len: 4 }],
  },
  clock_res_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.enumValue(4), g.ptr(8, 8)],
    badValue: (p) => u(p.a[0]) > 3,
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: 8 }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: 8 }],
  },
  clock_time_get: {
    sig: ['i32', 'i64', 'i32'],
    gen: (g) => [g.enumValue(4), g.i64(), g.ptr(8, 8)],
    badValue: (p) => u(p.a[0]) > 3,
    memory: (p) => [{ kind: 'region', ptr: u(p.a[2]), len: 8 }],
    outputs: (p) => [{ ptr: u(p.a[2]), len: 8 }],
  },
  random_get: {
    sig: ['i32', 'i32'],
    gen: (g) => g.buffer(512),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[0]), len: u(p.a[1]) }],
    outputs: (p) => [{ ptr: u(p.a[0]), len: u(p.a[1]) }],
  },
  proc_exit: {
    sig: ['i32'],
    gen: (g) => [g.rng.pick([0, 1, 2, 125, 126, 255, -1, g.rng.u32() | 0])],
  },
  proc_raise: {
    sig: ['i32'],
    gen: (g) => [g.enumValue(31)],
    badValue: (p) => u(p.a[0]) > 30,
  },
  sched_yield: { sig: [], gen: () => [] },

  // ---- descriptors
  fd_advise: {
    sig: ['i32', 'i64', 'i64', 'i32'],
    gen: (g) => [g.fd(), g.i64(), g.i64(), g.enumValue(6)],
    badValue: (p) => u(p.a[3]) > 5,
    fds: fdArg(0, fileOp(R.FD_ADVISE)),
  },
  fd_allocate: {
    sig: ['i32', 'i64', 'i64'],
    gen: (g) => [g.fd(), g.i64(), g.rng.chance(0.5) ? BigInt(g.rng.int(3000)) : g.i64()],
    fds: fdArg(0, fileOp(R.FD_ALLOCATE)),
  },
  fd_close: {
    sig: ['i32'],
    gen: (g) => [g.fd()],
    fds: fdArg(0),
    after: (p, post) => (post.has(s32(p.a[0])) ? 'fd_close succeeded but the fd is still open' : null),
  },
  fd_datasync: { sig: ['i32'], gen: (g) => [g.fd()], fds: fdArg(0, needs(R.FD_DATASYNC)) },
  fd_sync: { sig: ['i32'], gen: (g) => [g.fd()], fds: fdArg(0, needs(R.FD_SYNC)) },
  fd_fdstat_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.ptr(24, 8)],
    fds: fdArg(0),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: 24 }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: 24 }],
  },
  fd_fdstat_set_flags: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.flags(FDFLAGS_ALL)],
    badValue: (p) => (s32(p.a[1]) & ~FDFLAGS_ALL) !== 0,
    fds: fdArg(0, needs(R.FD_FDSTAT_SET_FLAGS)),
  },
  fd_fdstat_set_rights: {
    sig: ['i32', 'i64', 'i64'],
    gen: (g) => [g.fd(), g.rng.chance(0.6) ? BigInt(g.rng.u32() & 0x3fffffff) : g.i64(), g.rng.chance(0.6) ? BigInt(g.rng.u32() & 0x3fffffff) : g.i64()],
    fds: fdArg(0),
  },
  fd_filestat_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.ptr(64, 8)],
    fds: fdArg(0, needs(R.FD_FILESTAT_GET)),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: 64 }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: 64 }],
  },
  fd_filestat_set_size: {
    sig: ['i32', 'i64'],
    gen: (g) => [g.fd(), g.rng.chance(0.6) ? BigInt(g.rng.int(5000)) : g.i64()],
    fds: fdArg(0, fileOp(R.FD_FILESTAT_SET_SIZE)),
  },
  fd_filestat_set_times: {
    sig: ['i32', 'i64', 'i64', 'i32'],
    gen: (g) => [g.fd(), g.i64(), g.i64(), g.flags(FSTFLAGS_ALL)],
    badValue: (p) => badFstflags(s32(p.a[3])),
    fds: fdArg(0, needs(R.FD_FILESTAT_SET_TIMES)),
  },
  fd_pread: {
    sig: ['i32', 'i32', 'i32', 'i64', 'i32'],
    gen: (g) => { const [v, n] = g.iovecs(); return [g.fd(), v, n, g.rng.chance(0.7) ? BigInt(g.rng.int(5000)) : g.i64(), g.ptr(4, 4)]; },
    fds: fdArg(0, seekable(R.FD_READ | R.FD_SEEK)),
    memory: (p) => [{ kind: 'iovecs', ptr: u(p.a[1]), count: u(p.a[2]) }, { kind: 'region', ptr: u(p.a[4]), len: 4 }],
    outputs: (p) => [...iovecRegions(p, u(p.a[1]), u(p.a[2])), { ptr: u(p.a[4]), len: 4 }],
  },
  fd_pwrite: {
    sig: ['i32', 'i32', 'i32', 'i64', 'i32'],
    gen: (g) => { const [v, n] = g.iovecs(); return [g.fd(), v, n, g.rng.chance(0.7) ? BigInt(g.rng.int(5000)) : g.i64(), g.ptr(4, 4)]; },
    fds: fdArg(0, seekable(R.FD_WRITE | R.FD_SEEK)),
    memory: (p) => [{ kind: 'iovecs', ptr: u(p.a[1]), count: u(p.a[2]) }, { kind: 'region', ptr: u(p.a[4]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[4]), len: 4 }],
  },
  fd_read: {
    sig: ['i32', 'i32', 'i32', 'i32'],
    gen: (g) => { const [v, n] = g.iovecs(); return [g.fd(), v, n, g.ptr(4, 4)]; },
    fds: fdArg(0, needs(R.FD_READ)),
    memory: (p) => [{ kind: 'iovecs', ptr: u(p.a[1]), count: u(p.a[2]) }, { kind: 'region', ptr: u(p.a[3]), len: 4 }],
    outputs: (p) => [...iovecRegions(p, u(p.a[1]), u(p.a[2])), { ptr: u(p.a[3]), len: 4 }],
  },
  fd_write: {
    sig: ['i32', 'i32', 'i32', 'i32'],
    gen: (g) => { const [v, n] = g.iovecs(); return [g.fd(), v, n, g.ptr(4, 4)]; },
    fds: fdArg(0, needs(R.FD_WRITE)),
    memory: (p) => [{ kind: 'iovecs', ptr: u(p.a[1]), count: u(p.a[2]) }, { kind: 'region', ptr: u(p.a[3]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[3]), len: 4 }],
  },
  fd_prestat_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(true), g.ptr(8, 4)],
    fds: fdArg(0, (s) => (s.preopen === null ? [Errno.BADF] : null)),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: 8 }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: 8 }],
  },
  fd_prestat_dir_name: {
    sig: ['i32', 'i32', 'i32'],
    gen: (g) => { const p = g.ptr(8); return [g.fd(true), p, g.rng.chance(0.6) ? g.rng.int(12) : g.len(p, 16)]; },
    fds: fdArg(0, (s) => (s.preopen === null ? [Errno.BADF, Errno.NOTDIR] : null)),
    afterFds: (p) => (u(p.a[2]) < new TextEncoder().encode(p.table.get(s32(p.a[0]))!.preopen!).byteLength ? Errno.NAMETOOLONG : null),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: u(p.a[2]) }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: u(p.a[2]) }],
  },
  fd_readdir: {
    sig: ['i32', 'i32', 'i32', 'i64', 'i32'],
    gen: (g) => { const [b, l] = g.buffer(400); return [g.fd(true), b, l, g.rng.chance(0.7) ? BigInt(g.rng.int(12)) : g.i64(), g.ptr(4, 4)]; },
    fds: fdArg(0, needs(R.FD_READDIR, (s) => (s.kind !== 'directory' ? [Errno.NOTDIR, Errno.BADF, Errno.NOTCAPABLE] : null))),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: u(p.a[2]) }, { kind: 'region', ptr: u(p.a[4]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: u(p.a[2]) }, { ptr: u(p.a[4]), len: 4 }],
  },
  fd_renumber: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.fd()],
    fds: (p) => {
      const from = s32(p.a[0]);
      const to = s32(p.a[1]);
      if (from === to || p.table.has(to)) return [{ fd: from }];
      // A free `to`: strict mode (wasmtime) refuses it; permissive takes it if it is a number an fd may have.
      const takes = p.renumber === 'permissive' && to >= 0 && to < p.maxDescriptors;
      return [{ fd: from }, { fd: to, mayBeFree: takes }];
    },
    named: (p) => [s32(p.a[0]), s32(p.a[1])],
    after: (p, post) => {
      const from = s32(p.a[0]);
      const to = s32(p.a[1]);
      if (from === to) return post.get(from)?.d === p.table.get(from)!.d ? null : 'renumber(fd, fd) changed fd';
      if (post.has(from)) return 'renumber left `from` open';
      if (post.get(to)?.d !== p.table.get(from)!.d) return 'renumber did not move the descriptor to `to`';
      return null;
    },
  },
  fd_seek: {
    sig: ['i32', 'i64', 'i32', 'i32'],
    gen: (g) => [g.fd(), g.rng.chance(0.6) ? BigInt(g.rng.range(-100, 5000)) : g.i64(), g.enumValue(3), g.ptr(8, 8)],
    badValue: (p) => u(p.a[2]) > 2,
    fds: (p) => {
      const tell = u(p.a[2]) === 1 && p.a[1] === 0n;
      return [{ fd: s32(p.a[0]), unsuitable: seekable(tell ? R.FD_TELL : R.FD_SEEK) }];
    },
    memory: (p) => [{ kind: 'region', ptr: u(p.a[3]), len: 8 }],
    outputs: (p) => [{ ptr: u(p.a[3]), len: 8 }],
  },
  fd_tell: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.ptr(8, 8)],
    fds: fdArg(0, seekable(R.FD_TELL)),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: 8 }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: 8 }],
  },

  // ---- paths
  path_create_directory: {
    sig: ['i32', 'i32', 'i32'],
    gen: (g) => [g.fd(true), ...g.path()],
    fds: fdArg(0, dirNeeds(R.PATH_CREATE_DIRECTORY)),
    memory: (p) => [pathRegions(p, 1, 2)],
  },
  path_filestat_get: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i32'],
    gen: (g) => [g.fd(true), g.flags(1), ...g.path(), g.ptr(64, 8)],
    badValue: (p) => badLookupflags(p.a[1]),
    fds: fdArg(0, dirNeeds(R.PATH_FILESTAT_GET)),
    memory: (p) => [pathRegions(p, 2, 3), { kind: 'region', ptr: u(p.a[4]), len: 64 }],
    outputs: (p) => [{ ptr: u(p.a[4]), len: 64 }],
  },
  path_filestat_set_times: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i64', 'i64', 'i32'],
    gen: (g) => [g.fd(true), g.flags(1), ...g.path(), g.i64(), g.i64(), g.flags(FSTFLAGS_ALL)],
    badValue: (p) => badLookupflags(p.a[1]) || badFstflags(s32(p.a[6])),
    fds: fdArg(0, dirNeeds(R.PATH_FILESTAT_SET_TIMES)),
    memory: (p) => [pathRegions(p, 2, 3)],
  },
  path_link: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
    gen: (g) => {
      // Half the time a link a program would make: an existing file to a plain new name.
      const sane = g.rng.chance(0.5);
      const [op, ol] = g.path(sane);
      const [np, nl] = g.path(sane);
      return sane ? [g.dirFd(), 0, op, ol, g.dirFd(), np, nl] : [g.fd(true), g.flags(1), op, ol, g.fd(true), np, nl];
    },
    badValue: (p) => badLookupflags(p.a[1]),
    fds: (p) => [
      { fd: s32(p.a[0]), unsuitable: dirNeeds(R.PATH_LINK_SOURCE) },
      { fd: s32(p.a[4]), unsuitable: dirNeeds(R.PATH_LINK_TARGET) },
    ],
    memory: (p) => [pathRegions(p, 2, 3), pathRegions(p, 5, 6)],
  },
  path_open: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i32', 'i64', 'i64', 'i32', 'i32'],
    gen: (g) => {
      const r = g.rng;
      const rights = () => (r.chance(0.5) ? BigInt.asIntN(64, 0xffffffffffffffffn) : r.chance(0.7) ? BigInt(r.u32() & 0x3fffffff) : g.i64());
      // Half the time what a libc would pass, so that opens also succeed and the table fills up.
      const sane = r.chance(0.5);
      const oflags = sane ? r.pick([0, 0, Oflags.CREAT, Oflags.CREAT | Oflags.TRUNC, Oflags.DIRECTORY]) : g.flags(OFLAGS_ALL);
      const fdflags = sane ? r.pick([0, 0, Fdflags.APPEND, Fdflags.NONBLOCK]) : g.flags(FDFLAGS_ALL);
      const fd = sane ? g.dirFd() : g.fd(true);
      const [pp, pl] = sane ? g.path(true) : g.path();
      return [fd, sane ? 1 : g.flags(1), pp, pl, oflags, rights(), rights(), fdflags, sane ? g.inBounds(4, 4) : g.ptr(4, 4)];
    },
    badValue: (p) => badLookupflags(p.a[1]) || (s32(p.a[4]) & ~OFLAGS_ALL) !== 0 || (s32(p.a[7]) & ~FDFLAGS_ALL) !== 0,
    // O_CREAT also needs the directory's PATH_CREATE_FILE (a right is a descriptor check).
    fds: (p) => [{ fd: s32(p.a[0]), unsuitable: dirNeeds(R.PATH_OPEN | (s32(p.a[4]) & Oflags.CREAT ? R.PATH_CREATE_FILE : 0)) }],
    memory: (p) => [pathRegions(p, 2, 3), { kind: 'region', ptr: u(p.a[8]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[8]), len: 4 }],
    creates: (p) => ({ count: 1, ptrs: [u(p.a[8])] }),
  },
  path_readlink: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
    gen: (g) => { const [pp, pl] = g.path(); const [b, bl] = g.buffer(64); return [g.fd(true), pp, pl, b, bl, g.ptr(4, 4)]; },
    fds: fdArg(0, dirNeeds(R.PATH_READLINK)),
    memory: (p) => [pathRegions(p, 1, 2), { kind: 'region', ptr: u(p.a[3]), len: u(p.a[4]) }, { kind: 'region', ptr: u(p.a[5]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[3]), len: u(p.a[4]) }, { ptr: u(p.a[5]), len: 4 }],
  },
  path_remove_directory: {
    sig: ['i32', 'i32', 'i32'],
    gen: (g) => [g.fd(true), ...g.path()],
    fds: fdArg(0, dirNeeds(R.PATH_REMOVE_DIRECTORY)),
    memory: (p) => [pathRegions(p, 1, 2)],
  },
  path_rename: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
    gen: (g) => { const [op, ol] = g.path(); const [np, nl] = g.path(); return [g.fd(true), op, ol, g.fd(true), np, nl]; },
    fds: (p) => [
      { fd: s32(p.a[0]), unsuitable: dirNeeds(R.PATH_RENAME_SOURCE) },
      { fd: s32(p.a[3]), unsuitable: dirNeeds(R.PATH_RENAME_TARGET) },
    ],
    memory: (p) => [pathRegions(p, 1, 2), pathRegions(p, 4, 5)],
  },
  path_symlink: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i32'],
    gen: (g) => { const [op, ol] = g.path(); const [np, nl] = g.path(); return [op, ol, g.fd(true), np, nl]; },
    fds: fdArg(2, dirNeeds(R.PATH_SYMLINK)),
    memory: (p) => [pathRegions(p, 0, 1), pathRegions(p, 3, 4)],
  },
  path_unlink_file: {
    sig: ['i32', 'i32', 'i32'],
    gen: (g) => [g.fd(true), ...g.path()],
    fds: fdArg(0, dirNeeds(R.PATH_UNLINK_FILE)),
    memory: (p) => [pathRegions(p, 1, 2)],
  },

  // ---- poll
  poll_oneoff: {
    sig: ['i32', 'i32', 'i32', 'i32'],
    gen: (g) => { const [i, n] = g.subscriptions(); return [i, g.ptr(Math.min(u(n), 2000) * 32, 8), n, g.ptr(4, 4)]; },
    badValue: (p) => u(p.a[2]) === 0,
    memory: (p) => [
      { kind: 'region', ptr: u(p.a[0]), len: u(p.a[2]) * 48 },
      { kind: 'region', ptr: u(p.a[1]), len: u(p.a[2]) * 32 },
      { kind: 'region', ptr: u(p.a[3]), len: 4 },
    ],
    outputs: (p) => [{ ptr: u(p.a[1]), len: u(p.a[2]) * 32 }, { ptr: u(p.a[3]), len: 4 }],
  },

  // ---- sockets: nothing in these tables is a socket, so past the values every fd is EBADF or ENOTSOCK.
  sock_accept: {
    sig: ['i32', 'i32', 'i32'],
    gen: (g) => [g.fd(), g.flags(FDFLAGS_ALL), g.ptr(4, 4)],
    badValue: (p) => (s32(p.a[1]) & ~FDFLAGS_ALL) !== 0,
    fds: fdArg(0, socketOnly),
    outputs: (p) => [{ ptr: u(p.a[2]), len: 4 }],
  },
  sock_recv: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
    gen: (g) => { const [v, n] = g.iovecs(); return [g.fd(), v, n, g.flags(3), g.ptr(4, 4), g.ptr(2, 2)]; },
    badValue: (p) => (s32(p.a[3]) & ~3) !== 0,
    fds: fdArg(0, socketOnly),
    outputs: (p) => [...iovecRegions(p, u(p.a[1]), u(p.a[2])), { ptr: u(p.a[4]), len: 4 }, { ptr: u(p.a[5]), len: 2 }],
  },
  sock_send: {
    sig: ['i32', 'i32', 'i32', 'i32', 'i32'],
    gen: (g) => { const [v, n] = g.iovecs(); return [g.fd(), v, n, g.flags(0), g.ptr(4, 4)]; },
    fds: fdArg(0, socketOnly),
    outputs: (p) => [{ ptr: u(p.a[4]), len: 4 }],
  },
  sock_shutdown: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.flags(3)],
    badValue: (p) => (s32(p.a[1]) & ~3) !== 0,
    fds: fdArg(0, socketOnly),
  },

  // ---- the dup extension (wasix_32v1)
  fd_dup: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.ptr(4, 4)],
    fds: fdArg(0),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: 4 }],
    creates: (p) => ({ count: 1, ptrs: [u(p.a[1])] }),
    after: (p, post, mem) => {
      const fd = readU32(mem, u(p.a[1]));
      if (fd !== lowestFree(p.table, 0)) return `fd_dup gave ${fd}, not the lowest free number`;
      const n = post.get(fd);
      if (n?.desc !== p.table.get(s32(p.a[0]))!.desc) return 'fd_dup did not share the description';
      if (n.fdflags !== 0) return 'fd_dup kept CLOEXEC';
      return null;
    },
  },
  fd_dup2: {
    sig: ['i32', 'i32', 'i32', 'i32'],
    gen: (g) => [g.fd(), g.rng.chance(0.7) ? g.rng.int(40) : g.fd(), g.rng.chance(0.85) ? g.rng.int(2) : g.enumValue(2), g.ptr(4, 4)],
    badValue: (p) => u(p.a[2]) > 1 || s32(p.a[1]) < 0 || s32(p.a[1]) >= p.maxDescriptors,
    fds: fdArg(0),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[3]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[3]), len: 4 }],
    creates: (p) => ({ count: 1, ptrs: [u(p.a[3])] }),
    after: (p, post, mem) => {
      const fd = readU32(mem, u(p.a[3]));
      if (fd !== lowestFree(p.table, s32(p.a[1]))) return `fd_dup2 gave ${fd}, not the lowest free number >= ${s32(p.a[1])}`;
      const n = post.get(fd);
      if (n?.desc !== p.table.get(s32(p.a[0]))!.desc) return 'fd_dup2 did not share the description';
      if (n.fdflags !== u(p.a[2])) return 'fd_dup2 set the wrong CLOEXEC';
      return null;
    },
  },
  fd_fdflags_get: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.ptr(2, 2)],
    fds: fdArg(0),
    memory: (p) => [{ kind: 'region', ptr: u(p.a[1]), len: 2 }],
    outputs: (p) => [{ ptr: u(p.a[1]), len: 2 }],
  },
  fd_fdflags_set: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.fd(), g.flags(1)],
    badValue: (p) => (s32(p.a[1]) & ~1) !== 0,
    fds: fdArg(0),
  },
  fd_pipe: {
    sig: ['i32', 'i32'],
    gen: (g) => [g.ptr(4, 4), g.ptr(4, 4)],
    memory: (p) => [{ kind: 'region', ptr: u(p.a[0]), len: 4 }, { kind: 'region', ptr: u(p.a[1]), len: 4 }],
    outputs: (p) => [{ ptr: u(p.a[0]), len: 4 }, { ptr: u(p.a[1]), len: 4 }],
    // The write end's number is stored last, so where the two pointers overlap only it survives.
    creates: (p) => ({ count: 2, ptrs: Math.abs(u(p.a[0]) - u(p.a[1])) < 4 ? [u(p.a[1])] : [u(p.a[0]), u(p.a[1])] }),
  },
};

/** lookupflags has one bit, SYMLINK_FOLLOW; any other is EINVAL (wasmtime's argument decoding). */
function badLookupflags(f: number | bigint): boolean {
  return (s32(f) & ~1) !== 0;
}

function badFstflags(f: number): boolean {
  if (f & ~FSTFLAGS_ALL) return true;
  if (f & Fstflags.ATIM && f & Fstflags.ATIM_NOW) return true;
  return (f & Fstflags.MTIM) !== 0 && (f & Fstflags.MTIM_NOW) !== 0;
}

/** Imports by module, as the driver knows them. */
export const WASIX_IMPORTS = ['fd_dup', 'fd_dup2', 'fd_fdflags_get', 'fd_fdflags_set', 'fd_pipe'];
export const KNOWN_IMPORTS = Object.keys(SPECS);

// ---------------------------------------------------------------------------------------
// Expectations.

type Expect = { one: Errno[]; why: string } | null;

const decoder = new TextDecoder('utf-8', { fatal: true });

function memoryFailure(c: MemCheck, p: Pre): Expect {
  const size = p.mem.byteLength;
  const oob = (ptr: number, len: number) => ptr + len > size;
  switch (c.kind) {
    case 'region':
      return oob(c.ptr, c.len) ? { one: [Errno.FAULT], why: `region ${c.ptr}+${c.len} out of bounds` } : null;
    case 'string':
      if (oob(c.ptr, c.len)) return { one: [Errno.FAULT], why: `string ${c.ptr}+${c.len} out of bounds` };
      try {
        decoder.decode(p.mem.subarray(c.ptr, c.ptr + c.len));
      } catch {
        return { one: [Errno.ILSEQ], why: 'path is not UTF-8' };
      }
      return null;
    case 'iovecs': {
      if (oob(c.ptr, c.count * 8)) return { one: [Errno.FAULT], why: `iovec array ${c.ptr}x${c.count} out of bounds` };
      for (const r of iovecRegions(p, c.ptr, c.count)) {
        if (oob(r.ptr, r.len)) return { one: [Errno.FAULT], why: `iovec buffer ${r.ptr}+${r.len} out of bounds` };
      }
      return null;
    }
  }
}

/** What the errno must be, from the checks that come before the operation; null: anything. */
function expectation(spec: Spec, p: Pre): Expect {
  if (spec.badValue?.(p)) return { one: [Errno.INVAL], why: 'bad enum or flag value' };
  for (const use of spec.fds?.(p) ?? []) {
    const snap = p.table.get(use.fd);
    if (snap === undefined) {
      if (use.mayBeFree) continue;
      return { one: [Errno.BADF], why: `fd ${use.fd} is not open` };
    }
    const bad = use.unsuitable?.(snap);
    if (bad) return { one: bad, why: `fd ${use.fd} does not fit the call` };
  }
  const extra = spec.afterFds?.(p);
  if (extra) return { one: [extra], why: 'argument check after the descriptors' };
  for (const c of spec.memory?.(p) ?? []) {
    const f = memoryFailure(c, p);
    if (f) return f;
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Snapshots.

function snapTable(wasi: WASI): TableSnap {
  const out: TableSnap = new Map();
  for (const fd of wasi.table.fds()) {
    const d = wasi.table.get(fd);
    const h = d.description.handle;
    out.set(fd, {
      d, desc: d.description, offset: d.description.offset, flags: d.description.flags,
      rightsBase: d.rightsBase, rightsInheriting: d.rightsInheriting, fdflags: d.fdflags, preopen: d.preopenPath,
      kind: h.kind, socket: h.kind === 'stream' && h.socket === true,
    });
  }
  return out;
}

function sameSnap(a: FdSnap, b: FdSnap, withDescriptionState: boolean): boolean {
  return a.d === b.d && a.desc === b.desc && a.rightsBase === b.rightsBase && a.rightsInheriting === b.rightsInheriting &&
    a.fdflags === b.fdflags && a.preopen === b.preopen &&
    (!withDescriptionState || (a.offset === b.offset && a.flags === b.flags));
}

/** Merges regions into sorted, disjoint in-bounds ranges. */
function allowed(regions: Region[], size: number): [number, number][] {
  const out: [number, number][] = [];
  for (const r of regions) {
    const start = r.ptr >>> 0;
    const end = Math.min(size, start + (r.len >>> 0));
    if (start < size && end > start) out.push([start, end]);
  }
  out.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** The first changed byte outside `ok`, or -1. */
function changedOutside(before: Uint8Array, after: Uint8Array, ok: [number, number][]): number {
  let at = 0;
  const bufA = Buffer.from(before.buffer, before.byteOffset, before.byteLength);
  const bufB = Buffer.from(after.buffer, after.byteOffset, after.byteLength);
  const gap = (from: number, to: number): number => {
    if (to <= from) return -1;
    if (bufA.subarray(from, to).equals(bufB.subarray(from, to))) return -1;
    for (let i = from; i < to; i++) if (bufA[i] !== bufB[i]) return i;
    return -1;
  };
  for (const [s, e] of ok) {
    const hit = gap(at, s);
    if (hit >= 0) return hit;
    at = e;
  }
  return gap(at, before.byteLength);
}

// ---------------------------------------------------------------------------------------
// The worlds a run happens in.

const TREE: Tree = {
  'hello.txt': 'hello, world\n',
  empty: '',
  dir: { 'inner.txt': 'inner\n', sub: {} },
  'link-hello': { symlink: 'hello.txt' },
  'link-loop': { symlink: 'link-loop' },
  'link-out': { symlink: '../outside' },
  'link-abs': { symlink: '/etc/passwd' },
  'link-dir': { symlink: 'dir/' },
  'link-dangling': { symlink: 'nothing-here' },
};

export type Backend = 'memory' | 'node';

interface World {
  preopens: Record<string, MemoryDirectory | NodeDirectory>;
  /** Problems once every descriptor is closed: leaks, double closes, anything changed outside. */
  finish(): string[];
}

function writeTree(dir: string, tree: Tree): void {
  for (const [name, value] of Object.entries(tree)) {
    const at = path.join(dir, name);
    if (typeof value === 'string' || value instanceof Uint8Array) fs.writeFileSync(at, value);
    else if ('symlink' in value && typeof value.symlink === 'string') fs.symlinkSync(value.symlink, at);
    else {
      fs.mkdirSync(at);
      writeTree(at, value as Tree);
    }
  }
}

function listOutside(root: string): string {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = path.join(rel, name);
      if (r === 'sandbox' || r === 'second') continue;
      const st = fs.lstatSync(path.join(root, r));
      lines.push(`${r} ${st.mode} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return lines.join('\n');
}

function makeWorld(backend: Backend, rng: Rng, maxBytes: number): World {
  const big = rng.bytes(4096);
  const tree: Tree = { ...TREE, 'big.bin': big };
  if (backend === 'memory') {
    const a = MemoryDirectory.from(tree, { maxBytes });
    const b = MemoryDirectory.from({ 'other.txt': 'other' }, { maxBytes });
    return {
      preopens: { '/sandbox': a, second: b },
      finish: () => {
        const problems: string[] = [];
        for (const d of [a, b]) {
          if (d.openHandles !== 0) problems.push(`${d.openHandles} memory handles left open`);
          if (d.doubleCloses !== 0) problems.push(`${d.doubleCloses} memory handles closed twice`);
        }
        return problems;
      },
    };
  }
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-fuzz-')));
  fs.mkdirSync(path.join(root, 'sandbox'));
  fs.mkdirSync(path.join(root, 'second'));
  fs.mkdirSync(path.join(root, 'outside'));
  fs.writeFileSync(path.join(root, 'outside', 'secret.txt'), 'secret');
  writeTree(path.join(root, 'sandbox'), tree);
  fs.writeFileSync(path.join(root, 'second', 'other.txt'), 'other');
  const outsideBefore = listOutside(root);
  const counters = { ...NodeFileHandle.counters };
  // Sometimes a low cap on host fds, so opens also meet ENFILE.
  const cap = NodeFileHandle.maxHostFds;
  if (rng.chance(0.5)) NodeFileHandle.maxHostFds = NodeFileHandle.hostFdsHeld + rng.range(0, 2);
  return {
    preopens: { '/sandbox': new NodeDirectory(path.join(root, 'sandbox')), second: new NodeDirectory(path.join(root, 'second')) },
    finish: () => {
      const problems: string[] = [];
      const c = NodeFileHandle.counters;
      if (c.opened - counters.opened !== c.closed - counters.closed) {
        problems.push(`host fds: ${c.opened - counters.opened} opened, ${c.closed - counters.closed} closed`);
      }
      if (c.doubleCloseAttempts !== counters.doubleCloseAttempts) problems.push('a host fd was closed twice');
      if (listOutside(root) !== outsideBefore) problems.push('something outside the preopens changed');
      NodeFileHandle.maxHostFds = cap;
      fs.rmSync(root, { recursive: true, force: true });
      return problems;
    },
  };
}

// ---------------------------------------------------------------------------------------
// The run.

export interface FuzzOptions {
  seed: number;
  calls: number;
  backend: Backend;
  /** Calls per WASI object before a fresh one (fresh table, files and memory). */
  callsPerWorld?: number;
  /** Wraps an import before it is called (lets a test prove the checks catch a broken one). */
  tamper?: (
    module: string, name: string, fn: (...a: (number | bigint)[]) => number, wasi: WASI, memory: WebAssembly.Memory,
  ) => (...a: (number | bigint)[]) => number;
  /** Stops at this many problems. */
  maxProblems?: number;
}

export interface FuzzReport {
  calls: number;
  worlds: number;
  /** Calls per import ("module.name"). */
  perImport: Record<string, number>;
  /** Successful calls per import. */
  successes: Record<string, number>;
  /** How often each errno came back, by name. */
  errnos: Record<string, number>;
  /** How often the driver knew the errno in advance, by the reason. */
  predicted: { inval: number; badf: number; fault: number; ilseq: number; other: number };
  problems: string[];
  ms: number;
}

const ERRNO_MAX = 76;

export function runFuzz(options: FuzzOptions): FuzzReport {
  // Most fuzzed calls fail, and each failure is a WasiError: without stack traces (nobody
  // reads them here) a run is several times faster. Restored when the run ends.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fuzz(options);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function fuzz(options: FuzzOptions): FuzzReport {
  const rng = new Rng(options.seed);
  const perWorld = options.callsPerWorld ?? 1000;
  const maxProblems = options.maxProblems ?? 20;
  const report: FuzzReport = {
    calls: 0, worlds: 0, perImport: {}, successes: {}, errnos: {},
    predicted: { inval: 0, badf: 0, fault: 0, ilseq: 0, other: 0 }, problems: [], ms: 0,
  };
  const started = performance.now();
  const problem = (msg: string) => {
    if (report.problems.length < maxProblems) report.problems.push(`seed ${options.seed} call ${report.calls}: ${msg}`);
  };

  while (report.calls < options.calls && report.problems.length < maxProblems) {
    report.worlds++;
    const maxDescriptors = rng.pick([12, 24, 64, 1024, 65536]);
    const renumber: RenumberMode = rng.chance(0.5) ? 'strict' : 'permissive';
    const world = makeWorld(options.backend, rng, rng.pick([1 << 16, 1 << 20, 4 << 20]));
    const throwingStdout = rng.chance(0.25);
    const wasi = new WASI({
      args: ['prog', 'arg one', 'ü'],
      env: { HOME: '/sandbox', EMPTY: '' },
      preopens: world.preopens,
      stdin: rng.bytes(rng.int(300)),
      stdout: (chunk) => {
        if (throwingStdout) throw new Error('embedder callback failed');
        void chunk;
      },
      stderr: () => {},
      renumber,
      maxDescriptors,
    });
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    wasi.setMemory(memory);
    // A view made once (and again only if the memory is replaced): a fresh view per use costs more than the call.
    let view = new Uint8Array(memory.buffer);
    const bytes = () => (view.buffer === memory.buffer ? view : (view = new Uint8Array(memory.buffer)));
    bytes().set(rng.bytes(bytes().byteLength));
    const argv = ['prog', 'arg one', 'ü'].map((s) => new TextEncoder().encode(s));
    const env = ['HOME=/sandbox', 'EMPTY='].map((s) => new TextEncoder().encode(s));
    const closed: number[] = [];
    // The table before the current call: what arguments are drawn from and checked against.
    let current: TableSnap = snapTable(wasi);
    let snapshot = new Uint8Array(0);
    let snapshotView = new DataView(snapshot.buffer);
    const gen = new Gen(
      rng, bytes, () => [...current.keys()],
      () => [...current].filter(([, s]) => s.kind === 'directory').map(([fd]) => fd),
      closed, maxDescriptors,
    );

    const imports = wasi.getImportObject() as unknown as Record<string, Record<string, (...a: (number | bigint)[]) => number>>;
    const names: [string, string, string][] = [];
    for (const [mod, fns] of Object.entries(imports)) {
      for (const name of Object.keys(fns)) {
        if (!SPECS[name] || (mod === 'wasix_32v1') !== WASIX_IMPORTS.includes(name)) {
          problem(`no fuzz spec for import ${mod}.${name}`);
          continue;
        }
        names.push([mod, name, `${mod}.${name}`]);
      }
    }

    const end = Math.min(options.calls, report.calls + perWorld);
    for (; report.calls < end && report.problems.length < maxProblems; report.calls++) {
      const [mod, name, key] = rng.pick(names);
      const spec = SPECS[name];
      report.perImport[key] = (report.perImport[key] ?? 0) + 1;
      gen.reset();
      const tableBefore = current;
      const args = spec.gen(gen);
      if (name === 'poll_oneoff') tameClocks(bytes(), u(args[0]), u(args[2]));
      // Convert as wasm would hand them over: i32 signed, i64 as a signed BigInt.
      const a = args.map((v, i) => (spec.sig[i] === 'i64' ? BigInt.asIntN(64, BigInt(v)) : Number(v) | 0));
      // One buffer for every call's snapshot: copying 64 KiB is cheap, allocating it each time is not.
      if (snapshot.byteLength !== bytes().byteLength) {
        snapshot = new Uint8Array(bytes().byteLength);
        snapshotView = new DataView(snapshot.buffer);
      }
      snapshot.set(bytes());
      const before = snapshot;
      const pre: Pre = {
        a, mem: before, view: snapshotView, table: tableBefore, maxDescriptors, renumber, argv, env,
      };
      const expect = expectation(spec, pre);
      let fn = imports[mod][name];
      if (options.tamper) fn = options.tamper(mod, name, fn, wasi, memory);

      let result: number | undefined;
      let thrown: unknown = undefined;
      let threw = false;
      try {
        result = fn(...a);
      } catch (e) {
        threw = true;
        thrown = e;
      }
      const call = () => `${key}(${a.map(String).join(', ')})`;

      if (threw) {
        const isExit = thrown instanceof ProcExit || (thrown instanceof Error && thrown.name === 'WasiTrap');
        if (!(name === 'proc_exit' && isExit)) {
          problem(`${call()} threw ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`);
          current = snapTable(wasi);
          continue;
        }
      } else if (name === 'proc_exit') {
        problem(`${call()} returned ${result}`);
      } else if (typeof result !== 'number' || !Number.isInteger(result) || result < 0 || result > ERRNO_MAX) {
        problem(`${call()} returned ${String(result)}, not an errno`);
        current = snapTable(wasi);
        continue;
      }
      const errno = threw ? -1 : (result as number);
      if (!threw) {
        const label = Errno[errno] ?? String(errno);
        report.errnos[label] = (report.errnos[label] ?? 0) + 1;
        if (errno === 0) report.successes[key] = (report.successes[key] ?? 0) + 1;
      }

      // The errno the order of checks decides.
      if (expect && !threw) {
        if (!expect.one.includes(errno)) {
          problem(`${call()} gave ${Errno[errno] ?? errno}, expected ${expect.one.map((e) => Errno[e]).join('|')} (${expect.why})`);
        } else {
          const k = expect.one.length === 1 ? expect.one[0] : -1;
          if (k === Errno.INVAL) report.predicted.inval++;
          else if (k === Errno.BADF) report.predicted.badf++;
          else if (k === Errno.FAULT) report.predicted.fault++;
          else if (k === Errno.ILSEQ) report.predicted.ilseq++;
          else report.predicted.other++;
        }
      }

      // Memory outside the output regions.
      const after = bytes();
      if (after.byteLength !== before.byteLength) {
        problem(`${call()} changed the memory size`);
      } else {
        const outputs = errno === 0 || errno === -1 ? (spec.outputs?.(pre) ?? []) : [];
        // A failed call writes nothing at all; a successful one only its outputs.
        const at = changedOutside(before, after, allowed(outputs, before.byteLength));
        if (at >= 0) problem(`${call()} -> ${Errno[errno] ?? errno} wrote byte ${at} outside its outputs`);
      }

      // Descriptors.
      const post = snapTable(wasi);
      current = post;
      if (errno !== 0) {
        for (const [fd, s] of pre.table) {
          const t = post.get(fd);
          if (!t || !sameSnap(s, t, true)) problem(`${call()} failed (${Errno[errno] ?? errno}) but changed fd ${fd}`);
        }
        for (const fd of post.keys()) if (!pre.table.has(fd)) problem(`${call()} failed but opened fd ${fd}`);
      } else {
        const named = new Set(spec.named?.(pre) ?? (spec.fds?.(pre) ?? []).map((x) => x.fd));
        const namedDescs = new Set([...named].map((fd) => pre.table.get(fd)?.desc).filter((d) => d !== undefined));
        for (const [fd, s] of pre.table) {
          if (named.has(fd)) continue;
          const t = post.get(fd);
          if (!t || !sameSnap(s, t, !namedDescs.has(s.desc))) problem(`${call()} changed fd ${fd}, which it does not name`);
        }
        const created = [...post.keys()].filter((fd) => !pre.table.has(fd) && !named.has(fd));
        const made = spec.creates?.(pre);
        if (created.length !== (made?.count ?? 0)) {
          problem(`${call()} succeeded and opened ${created.length} fds (${created.join(',')}), expected ${made?.count ?? 0}`);
        } else if (made) {
          const reported = made.ptrs.map((ptr) => readU32(after, ptr));
          if (reported.some((fd) => !created.includes(fd))) {
            problem(`${call()} opened fd(s) ${created.join(',')} but reported ${reported.join(',')}`);
          }
        }
        const msg = spec.after?.(pre, post, after);
        if (msg) problem(`${call()}: ${msg}`);
      }
      for (const [fd] of pre.table) if (!post.has(fd) && !closed.includes(fd)) closed.push(fd);
      // What a call wrote can depend on the host (random bytes, clocks, inode numbers), and
      // later calls may read it as arguments: overwritten with the seed's own bytes, so a
      // seed names one exact run and a problem can be replayed.
      for (const [start, end] of allowed(spec.outputs?.(pre) ?? [], after.byteLength)) after.fill(rng.u32() & 0xff, start, end);
    }

    // End of the world: closing everything must close every host handle exactly once.
    try {
      wasi.close();
    } catch (e) {
      problem(`close() threw ${String(e)}`);
    }
    for (const p of world.finish()) problem(p);
  }
  report.ms = performance.now() - started;
  return report;
}

import * as hostFs from 'node:fs';
import { Filetype } from '../../abi/constants';
import type { FileStat, TimeUpdate } from '../types';

/** What NodeDirectory reads of a stat: Node's BigIntStats, or one the native addon filled (NativeStats). */
export interface HostStats {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly nlink: bigint;
  readonly size: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}

const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFSOCK = -1 } = hostFs.constants;

/** A stat the native addon wrote into a buffer (dev, ino, mode, nlink, size, atime, mtime, ctime ns), copied out. */
export class NativeStats implements HostStats {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: number;
  readonly nlink: bigint;
  readonly size: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;

  constructor(b: BigInt64Array) {
    // dev and ino are unsigned on the host: read as such, so a large number stays positive.
    this.dev = BigInt.asUintN(64, b[0]!);
    this.ino = BigInt.asUintN(64, b[1]!);
    this.mode = Number(b[2]!);
    this.nlink = b[3]!;
    this.size = b[4]!;
    this.atimeNs = b[5]!;
    this.mtimeNs = b[6]!;
    this.ctimeNs = b[7]!;
  }

  private is(type: number): boolean {
    return (this.mode & S_IFMT) === type;
  }
  isFile(): boolean { return this.is(S_IFREG); }
  isDirectory(): boolean { return this.is(S_IFDIR); }
  isSymbolicLink(): boolean { return this.is(S_IFLNK); }
  isCharacterDevice(): boolean { return this.is(S_IFCHR); }
  isBlockDevice(): boolean { return this.is(S_IFBLK); }
  isSocket(): boolean { return this.is(S_IFSOCK); }
}

/**
 * WASI has no FIFO type; wasmtime reports FIFOs as UNKNOWN too. A socket can't be told
 * apart as stream or datagram from stat, and stream is by far the common case.
 */
export function filetypeOf(stats: HostStats): Filetype {
  if (stats.isFile()) return Filetype.REGULAR_FILE;
  if (stats.isDirectory()) return Filetype.DIRECTORY;
  if (stats.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (stats.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (stats.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (stats.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN;
}

export function toFileStat(stats: HostStats, filetype = filetypeOf(stats)): FileStat {
  return {
    dev: stats.dev,
    ino: stats.ino,
    filetype,
    nlink: stats.nlink,
    size: stats.size,
    atim: stats.atimeNs,
    mtim: stats.mtimeNs,
    ctim: stats.ctimeNs,
  };
}

/** What Node's utimes family accepts: seconds as a number, or a Date. */
type HostTime = number | Date;

const NS_PER_SECOND = 1_000_000_000n;

/**
 * A WASI time in nanoseconds → a time for Node's utimes family. Node has no UTIME_NOW or
 * UTIME_OMIT and takes seconds as a double, which libuv truncates to whole microseconds;
 * the half microsecond added here turns the double's rounding error plus that truncation
 * into rounding, so a time given to the microsecond survives exactly. Below that it is
 * lost, and 'leave unchanged' rewrites the current value at that precision. Node turns a
 * negative number into "now", so times before 1970 go as a Date, which keeps milliseconds.
 * 'now' is the wall clock, to the millisecond.
 */
function hostTime(ns: bigint): HostTime {
  if (ns < 0n) return new Date(Number(ns / 1_000_000n));
  return Number(ns / NS_PER_SECOND) + Number((ns % NS_PER_SECOND) + 500n) / 1e9;
}

/** Both times for a utimes call; the current stat is read once, and only if a time is to stay. */
export function hostTimes(
  atim: TimeUpdate,
  mtim: TimeUpdate,
  readCurrent: () => HostStats,
): [HostTime, HostTime] {
  const current = atim === null || mtim === null ? readCurrent() : null;
  const resolve = (update: TimeUpdate, kept: bigint | undefined): HostTime =>
    update === 'now' ? Date.now() / 1000 : hostTime(update ?? kept!);
  return [resolve(atim, current?.atimeNs), resolve(mtim, current?.mtimeNs)];
}

import { Errno } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { FileStat, TimeUpdate } from '../types';
import type { HostDir } from './host-dir';

/**
 * What a mutation of a read-only preopen fails with. wasmtime (`--dir host::guest` with
 * read-only permissions) answers NotPermitted, which its preview1 layer reports as EPERM,
 * for open with write/create/truncate, mkdir, rmdir, unlink, symlink, link, rename and
 * set_times; refwasi matches it rather than EROFS, which a guest would take as a host fact.
 */
export const READ_ONLY_ERRNO = Errno.PERM;

/**
 * One preopened host directory and everything reached below it. The object is also the
 * `fs` identity of its inodes: the core refuses rename and link between two trees (EXDEV),
 * so moving an entry between preopens can't smuggle it past a read-only one.
 */
export class NodeTree {
  /**
   * Times the guest set, to the nanosecond, by file (dev:ino): Node's utimes takes seconds as
   * a double, so the host keeps only about a microsecond of them. While the host still holds
   * the value it was given, stat reports the exact one, so a time set reads back as set.
   */
  private readonly setTimesExact = new Map<string, { atim?: [bigint, bigint]; mtim?: [bigint, bigint] }>();

  /** Descriptors holding a directory of this tree (HostDir pins); at 0 its host fds close. */
  users = 0;
  /** Directories of this tree whose host fd is open (fd mode). */
  readonly openDirs = new Set<HostDir>();
  /** Open directories by inode number, so a walk reuses the fd a directory already has. */
  readonly byIno = new Map<bigint, HostDir>();

  constructor(readonly readOnly: boolean) {}

  assertWritable(): void {
    if (this.readOnly) fail(READ_ONLY_ERRNO, 'read-only preopen');
  }

  /** The last descriptor is gone: every directory fd of the tree closes (they reopen if used again). */
  closeDirs(): void {
    for (const dir of [...this.openDirs]) dir.close();
  }

  /**
   * After a utimes: `before` is the stat the guest saw just before it (exact times), `after`
   * the host's now. A time set to a value is remembered exactly; so is a time left alone,
   * since the host rewrote it at its own precision; a time set to 'now' is the host's.
   */
  rememberTimes(before: FileStat, after: FileStat, atim: TimeUpdate, mtim: TimeUpdate): void {
    const key = `${after.dev}:${after.ino}`;
    const exact = (update: TimeUpdate, was: bigint, host: bigint): [bigint, bigint] | undefined =>
      update === 'now' ? undefined : [host, update ?? was];
    const entry = { atim: exact(atim, before.atim, after.atim), mtim: exact(mtim, before.mtim, after.mtim) };
    if (entry.atim === undefined && entry.mtim === undefined) this.setTimesExact.delete(key);
    else this.setTimesExact.set(key, entry);
  }

  /** `stat` with the exact times the guest set, where the host still holds them. */
  exactTimes(stat: FileStat): FileStat {
    // Most trees never had a time set: no key to build from two bigints on every stat.
    if (this.setTimesExact.size === 0) return stat;
    const entry = this.setTimesExact.get(`${stat.dev}:${stat.ino}`);
    if (entry === undefined) return stat;
    const atim = entry.atim !== undefined && entry.atim[0] === stat.atim ? entry.atim[1] : stat.atim;
    const mtim = entry.mtim !== undefined && entry.mtim[0] === stat.mtim ? entry.mtim[1] : stat.mtim;
    return { ...stat, atim, mtim };
  }
}

const WINDOWS = process.platform === 'win32';

/**
 * The core resolves paths and hands us single names, so one of these means a bug above
 * us. Defence in depth: a '/' or '..' would let the host walk out of the sandbox, and Node
 * throws a non-errno error on NUL. INVAL says "bad argument" without hinting at a permission
 * problem the guest could work around.
 */
export function checkName(name: string): void {
  const separator = name.includes('/') || (WINDOWS && name.includes('\\'));
  if (name === '' || name === '.' || name === '..' || separator || name.includes('\0')) {
    fail(Errno.INVAL, `not a single path component: ${JSON.stringify(name)}`);
  }
}

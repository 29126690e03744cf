import * as hostFs from 'node:fs';
import * as hostPath from 'node:path';
import { Errno } from '../../abi/constants';
import { fail } from '../../abi/errors';
import { hostCall } from './errno';
import { NodeFileHandle } from './file-handle';
import { addressing, dirFdCounters } from './host-dir-mode';
import { hostOps } from './host-ops';
import type { HostStats } from './stat';
import type { NodeTree } from './tree';

export { addressing, dirFdCounters };


/**
 * How many directory fds no descriptor holds may stay open as a cache, process-wide. Past it
 * the least recently used are closed at the start of the next operation (never during one, so
 * an fd number an operation is using can't be closed and reused under it).
 */
let maxCachedDirFds = 32;
let cachedDirFds = 0;
let useClock = 0;
const treesWithOpenDirs = new Set<NodeTree>();

/** Path mode: bumped by every change to a directory's entries made through any NodeDirectory. */
export const entries = { generation: 0 };

/** For tests: the cap on cached directory fds (default 32, within the 64 fds left to Node itself). */
export function setMaxCachedDirFds(n: number): void {
  maxCachedDirFds = Math.max(0, n);
}

/**
 * One host directory. In fd mode it holds a host fd (opened when first needed) and is found
 * again by (dev, ino) while that fd is open, so every walk through it reuses the fd; the fd
 * keeps meaning the directory itself wherever it is moved, as a POSIX directory fd does.
 * `parent` and `name` say where it was found, to open it again after its fd was closed
 * (it must then still be the same directory there, else ENOENT).
 */
export class HostDir {
  fd = -1;
  /** Descriptors (OpenDirectory) that hold this directory: while any does, its fd stays open. */
  private pins = 0;
  /** Held open for a descriptor (see pin), so never closed as a cache entry. */
  private held = false;
  /** When it was last used, for the cache's least-recently-used order. */
  lastUse = 0;
  /**
   * Path mode: the entries generation when `path` was last checked (see checkedPath). The
   * lookup (or the preopen's realpath) that makes a HostDir has just checked it.
   */
  private checkedAt = entries.generation;

  constructor(
    readonly tree: NodeTree,
    readonly parent: HostDir | null,
    readonly name: string,
    readonly dev: bigint,
    readonly ino: bigint,
    /** The host path where it was found (the preopen's real path for a root). */
    readonly path: string,
  ) {}

  /**
   * What names the entry `name` of this directory on the host: `/proc/self/fd/N/name` in fd
   * mode, the checked host path otherwise. Only valid until the operation ends.
   */
  child(name: string): string {
    return addressing.byFd ? `/proc/self/fd/${this.openFd()}/${name}` : hostPath.join(this.checkedPath(), name);
  }

  /** What names this directory itself (see child). */
  base(): string {
    return addressing.byFd ? `/proc/self/fd/${this.openFd()}` : this.checkedPath();
  }

  /** The directory's own stat, from the object itself (fd mode) or its checked path. */
  stat(): HostStats {
    if (addressing.byFd) return hostOps().dirStat(this);
    const path = this.checkedPath();
    return hostCall(() => hostFs.lstatSync(path, { bigint: true }));
  }

  /**
   * A descriptor now holds this directory: its fd stays open (so it keeps meaning this
   * directory wherever it moves) until the last such descriptor closes. It takes one fd of
   * the process's budget (NodeFileHandle.maxHostFds); when that is spent, the directory is
   * only cached instead: its fd may be closed and opened again by name, and it is ENOENT once
   * it has moved. A directory descriptor never fails for want of host fds.
   */
  pin(openNow = true): void {
    // Opened now, as path_open opens it: what the descriptor means is fixed from here on.
    // A directory gone since its lookup fails the open (ENOENT, ENOTDIR), as open(2) would.
    if (openNow && this.pins === 0 && addressing.byFd && this.fd < 0) this.openFd();
    if (this.pins++ > 0) return;
    this.tree.users++;
    this.held = addressing.byFd && NodeFileHandle.tryReserveHostFd();
    if (this.held && this.fd >= 0) cachedDirFds--;
  }

  unpin(): void {
    if (this.pins === 0) return;
    if (--this.pins > 0) return;
    if (this.held) {
      this.held = false;
      NodeFileHandle.releaseHostFd();
      if (this.fd >= 0) cachedDirFds++;
    }
    if (--this.tree.users === 0) this.tree.closeDirs();
  }

  get pinned(): boolean {
    return this.held;
  }

  /** The open host fd, opening it (again) if needed. */
  openFd(): number {
    if (this.fd >= 0) {
      this.lastUse = ++useClock;
      return this.fd;
    }
    const { fd, stats: st } = hostOps().openDir(this.parent, this.parent === null ? this.path : this.name);
    dirFdCounters.opened++;
    if (st.dev !== this.dev || st.ino !== this.ino) {
      closeDirFd(fd);
      fail(Errno.NOENT, 'the directory was moved or replaced since it was looked up');
    }
    this.adopt(fd);
    return fd;
  }

  /** Takes `fd` (a directory fd whose identity is this one's) as this directory's. */
  adopt(fd: number): void {
    this.fd = fd;
    this.lastUse = ++useClock;
    if (!this.held) cachedDirFds++;
    this.tree.openDirs.add(this);
    this.tree.byIno.set(this.ino, this);
    treesWithOpenDirs.add(this.tree);
  }

  /** Closes the fd (the object stays usable: it opens again when needed). */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    if (!this.held) cachedDirFds--;
    this.tree.openDirs.delete(this);
    if (this.tree.openDirs.size === 0) treesWithOpenDirs.delete(this.tree);
    if (this.tree.byIno.get(this.ino) === this) this.tree.byIno.delete(this.ino);
    closeDirFd(fd);
  }

  /**
   * Path mode: the host path, once it is known to still name this directory through real
   * directories only. A directory whose path now leads elsewhere (moved, or a parent swapped
   * for a symlink) is ENOENT; checked again after any change to any directory's entries made
   * through refwasi. A change made by another host process in between is not seen: that is
   * the race fd mode closes.
   */
  private checkedPath(): string {
    if (this.checkedAt !== entries.generation) {
      const real = hostCall(() => hostFs.realpathSync.native(this.path));
      const now = hostCall(() => hostFs.lstatSync(this.path, { bigint: true }));
      if (real !== this.path || !now.isDirectory() || now.dev !== this.dev || now.ino !== this.ino) {
        fail(Errno.NOENT, 'the directory was moved or replaced since it was opened');
      }
      this.checkedAt = entries.generation;
    }
    return this.path;
  }

  /**
   * Called at the start of every backend operation: closes the least recently used cached
   * directory fds past the cap. Nothing is closed in the middle of an operation.
   */
  static beginOperation(): void {
    if (cachedDirFds > maxCachedDirFds) trimCache();
  }
}

function closeDirFd(fd: number): void {
  dirFdCounters.closed++;
  try {
    hostOps().closeFd(fd);
  } catch {
    // Given up either way: the number is no longer ours.
  }
}

function trimCache(): void {
  const idle: HostDir[] = [];
  for (const tree of treesWithOpenDirs) {
    for (const dir of tree.openDirs) if (!dir.pinned) idle.push(dir);
    if (tree.openDirs.size === 0) treesWithOpenDirs.delete(tree);
  }
  idle.sort((a, b) => a.lastUse - b.lastUse);
  for (const dir of idle) {
    if (cachedDirFds <= maxCachedDirFds / 2) break;
    dir.close();
  }
}

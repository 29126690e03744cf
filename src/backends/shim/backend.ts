import { Advice, Errno, Filetype, Rights, Whence } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type {
  DirectoryHandle, DirEntry, DirectoryInode, FileHandle, FileInode, FileStat, Inode, OpenFileOptions,
  Readiness, StreamHandle, TimeUpdate,
} from '../types';
import { nowMs, stampNs } from '../memory/clock';
import { isShimDirectory, type ShimDirectoryInode, type ShimFd, type ShimFilestat, type ShimInode } from './types';

/**
 * browser_wasi_shim's in-memory inodes as a refwasi backend. The shim's `Directory.contents`
 * maps and `File.data` arrays are the storage, read and changed in place, so a program's
 * output is where a shim user looks for it. refwasi does the path walk (its sandboxed
 * resolver), the descriptor table and the offsets; files are read and written through the
 * `Fd` the inode's own `path_open` returns, so user subclasses keep their behaviour.
 *
 * What the shim has no place for is kept beside it, in refwasi's memory only: timestamps
 * (the shim reports 0) and link counts made by link/unlink through refwasi. Symlinks have
 * no shim inode, so `symlink` is EPERM (as Linux says for filesystems without them).
 */

const OFLAGS_TRUNC = 8;

function check(ret: number): void {
  if (ret !== 0) fail(ret as Errno);
}

/**
 * An inode's times as the clock gave them, in milliseconds: stamping a write or a create
 * allocates nothing (as in MemoryDirectory). A time the guest set exactly is kept in
 * nanoseconds beside it and wins until the clock stamps that field again.
 */
class Times {
  atimMs: number;
  mtimMs: number;
  ctimMs: number;
  atimSet: bigint | null = null;
  mtimSet: bigint | null = null;

  constructor(now: number) {
    this.atimMs = this.mtimMs = this.ctimMs = now;
  }

  modified(now: number): void {
    this.mtimMs = this.ctimMs = now;
    this.mtimSet = null;
  }

  get atim(): bigint {
    return this.atimSet ?? stampNs(this.atimMs);
  }
  get mtim(): bigint {
    return this.mtimSet ?? stampNs(this.mtimMs);
  }
  get ctim(): bigint {
    return stampNs(this.ctimMs);
  }
}

/** The times of what is no inode (an Fd without one): the epoch. */
const NO_TIMES = { atim: 0n, mtim: 0n, ctim: 0n };

/** State shared by every shim inode refwasi has seen: wrappers, times, link counts and close counts. */
export class ShimFs {
  readonly dev = 0x5348n;
  private readonly wrappers = new WeakMap<ShimInode, ShimDirectory | ShimFile>();
  private readonly times = new WeakMap<object, Times>();
  private readonly links = new WeakMap<object, number>();
  /** Handles (file Fds from path_open, stdio Fds) closed after they were already closed: 0 unless refwasi has a bug. */
  doubleCloses = 0;
  /** Fds refwasi opened or was given and has not closed yet. */
  openHandles = 0;

  wrap(inode: ShimInode): ShimDirectory | ShimFile {
    let w = this.wrappers.get(inode);
    if (w === undefined) {
      w = isShimDirectory(inode) ? new ShimDirectory(this, inode) : new ShimFile(this, inode);
      this.wrappers.set(inode, w);
    }
    return w;
  }

  timesOf(inode: object): Times {
    let t = this.times.get(inode);
    if (t === undefined) {
      t = new Times(nowMs());
      this.times.set(inode, t);
    }
    return t;
  }

  setTimes(inode: object, atim: TimeUpdate, mtim: TimeUpdate): void {
    const t = this.timesOf(inode);
    const now = nowMs();
    if (atim === 'now') {
      t.atimMs = now;
      t.atimSet = null;
    } else if (atim !== null) {
      t.atimSet = atim;
    }
    if (mtim === 'now') {
      t.mtimMs = now;
      t.mtimSet = null;
    } else if (mtim !== null) {
      t.mtimSet = mtim;
    }
    t.ctimMs = now;
  }

  touch(inode: object): void {
    this.timesOf(inode).modified(nowMs());
  }

  linkCount(inode: object): number {
    return this.links.get(inode) ?? 1;
  }

  addLinks(inode: object, delta: number): void {
    this.links.set(inode, Math.max(0, this.linkCount(inode) + delta));
    this.timesOf(inode).ctimMs = nowMs();
  }

  stat(inode: ShimInode | null, st: ShimFilestat | null, fallbackType: Filetype): FileStat {
    const t = inode !== null ? this.timesOf(inode) : NO_TIMES;
    return {
      dev: this.dev,
      ino: st?.ino ?? inode?.ino ?? 0n,
      filetype: (st?.filetype ?? fallbackType) as Filetype,
      nlink: BigInt(inode !== null ? this.linkCount(inode) : 1),
      size: st?.size ?? 0n,
      atim: t.atim, mtim: t.mtim, ctim: t.ctim,
    };
  }
}

/** The one ShimFs: shim inodes are plain objects, so every preopen of them is one filesystem. */
export const shimFs = new ShimFs();

abstract class ShimNode {
  constructor(readonly fs: ShimFs, readonly inode: ShimInode) {}
  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    this.fs.setTimes(this.inode, atim, mtim);
  }
}

/** A shim inode that is not a directory: a `File`, a `SyncOPFSFile`, or a user's own `Inode`. */
export class ShimFile extends ShimNode implements FileInode {
  readonly kind = 'file';
  stat(): FileStat {
    return this.fs.stat(this.inode, this.inode.stat(), Filetype.REGULAR_FILE);
  }
}

/** A shim `Directory` as a refwasi directory. */
export class ShimDirectory extends ShimNode implements DirectoryInode {
  readonly kind = 'directory';
  declare readonly inode: ShimDirectoryInode;

  constructor(fs: ShimFs, inode: ShimDirectoryInode) {
    super(fs, inode);
  }

  get contents(): Map<string, ShimInode> {
    return this.inode.contents;
  }

  stat(): FileStat {
    return this.fs.stat(this.inode, this.inode.stat(), Filetype.DIRECTORY);
  }

  lookup(name: string): Inode | null {
    const entry = this.contents.get(name);
    return entry === undefined ? null : this.fs.wrap(entry);
  }

  list(): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, entry] of this.contents) {
      const filetype = isShimDirectory(entry) ? Filetype.DIRECTORY : (entry.stat().filetype as Filetype);
      out.push({ name, filetype, ino: entry.ino });
    }
    return out;
  }

  /** A new empty File or Directory, made by the shim's own `create_entry_for_path`. */
  private create(name: string, isDir: boolean): ShimInode {
    const make = this.inode.create_entry_for_path;
    if (typeof make !== 'function') fail(Errno.NOTSUP, 'this shim directory has no create_entry_for_path');
    const { ret, entry } = make.call(this.inode, name, isDir);
    check(ret);
    if (entry === null) return fail(Errno.IO);
    if (this.contents.get(name) !== entry) this.contents.set(name, entry);
    if (isDir) setParent(entry, this.inode);
    this.fs.touch(this.inode);
    return entry;
  }

  openFile(name: string, options: OpenFileOptions): FileHandle {
    let entry = this.contents.get(name);
    if (entry === undefined) {
      if (!options.create) fail(Errno.NOENT);
      entry = this.create(name, false);
    } else if (options.create && options.exclusive) {
      fail(Errno.EXIST);
    }
    if (isShimDirectory(entry)) fail(Errno.ISDIR);
    const rights = BigInt((options.read ? Rights.FD_READ : 0) | (options.write ? Rights.FD_WRITE : 0));
    const { ret, fd_obj } = entry.path_open(options.truncate ? OFLAGS_TRUNC : 0, rights, 0);
    check(ret);
    if (fd_obj === null) return fail(Errno.IO);
    if (options.truncate) this.fs.touch(entry);
    return new ShimFileHandle(this.fs, fd_obj, entry);
  }

  mkdir(name: string): void {
    if (this.contents.has(name)) fail(Errno.EXIST);
    this.create(name, true);
  }

  rmdir(name: string): void {
    const entry = this.contents.get(name);
    if (entry === undefined) fail(Errno.NOENT);
    if (!isShimDirectory(entry)) fail(Errno.NOTDIR);
    if (entry.contents.size > 0) fail(Errno.NOTEMPTY);
    this.contents.delete(name);
    setParent(entry, null);
    this.fs.touch(this.inode);
  }

  unlink(name: string): void {
    const entry = this.contents.get(name);
    if (entry === undefined) fail(Errno.NOENT);
    if (isShimDirectory(entry)) fail(Errno.ISDIR);
    this.contents.delete(name);
    this.fs.addLinks(entry, -1);
    this.fs.touch(this.inode);
  }

  symlink(_target: string, name: string): void {
    if (this.contents.has(name)) fail(Errno.EXIST);
    fail(Errno.PERM, 'browser_wasi_shim has no symlink inode');
  }

  link(name: string, toDir: DirectoryInode, toName: string): void {
    const entry = this.contents.get(name);
    const dest = sameFs(toDir, this.fs);
    if (entry === undefined) fail(Errno.NOENT);
    if (isShimDirectory(entry)) fail(Errno.PERM);
    if (dest.contents.has(toName)) fail(Errno.EXIST);
    dest.contents.set(toName, entry);
    this.fs.addLinks(entry, +1);
    this.fs.touch(dest.inode);
  }

  rename(name: string, toDir: DirectoryInode, toName: string): void {
    const entry = this.contents.get(name);
    const dest = sameFs(toDir, this.fs);
    if (entry === undefined) fail(Errno.NOENT);
    const existing = dest.contents.get(toName);
    if (existing === entry) return;
    if (isShimDirectory(entry)) {
      if (contains(entry, dest.inode)) fail(Errno.INVAL);
      if (existing !== undefined) {
        if (!isShimDirectory(existing)) fail(Errno.NOTDIR);
        if (existing.contents.size > 0) fail(Errno.NOTEMPTY);
      }
    } else if (existing !== undefined && isShimDirectory(existing)) {
      fail(Errno.ISDIR);
    }
    this.contents.delete(name);
    dest.contents.set(toName, entry);
    if (existing !== undefined) {
      if (isShimDirectory(existing)) setParent(existing, null);
      else this.fs.addLinks(existing, -1);
    }
    if (isShimDirectory(entry)) setParent(entry, dest.inode);
    this.fs.touch(this.inode);
    this.fs.touch(dest.inode);
    this.fs.timesOf(entry).ctimMs = nowMs();
  }
}

/** The shim keeps a (private) parent pointer for '..' inode numbers; keep it right. */
function setParent(dir: ShimInode, parent: ShimInode | null): void {
  if ('parent' in dir) (dir as unknown as { parent: ShimInode | null }).parent = parent;
}

/** Is `target` `dir` itself or somewhere below it? */
function contains(dir: ShimDirectoryInode, target: ShimInode): boolean {
  if (dir === target) return true;
  for (const child of dir.contents.values()) if (isShimDirectory(child) && contains(child, target)) return true;
  return false;
}

function sameFs(dir: DirectoryInode, fs: ShimFs): ShimDirectory {
  if (!(dir instanceof ShimDirectory) || dir.fs !== fs) fail(Errno.XDEV);
  return dir;
}

/** Closes a shim Fd once and counts a second attempt instead of repeating it. */
class Closer {
  private closed = false;
  constructor(private readonly fs: ShimFs, private readonly fd: ShimFd) {
    fs.openHandles++;
  }
  close(): void {
    if (this.closed) {
      this.fs.doubleCloses++;
      return;
    }
    this.closed = true;
    this.fs.openHandles--;
    check(this.fd.fd_close());
  }
}

/**
 * A regular file behind a shim `Fd` (an `OpenFile`, an `OpenSyncOPFSFile`, a user's own):
 * read and written at refwasi's offsets with `fd_pread`/`fd_pwrite`, or, for an Fd that has
 * only sequential I/O, with `fd_seek` then `fd_read`/`fd_write` (its own position is then
 * scratch: the description holds the real offset).
 */
export class ShimFileHandle implements FileHandle {
  readonly kind = 'file';
  private readonly closer: Closer;

  constructor(readonly fs: ShimFs, readonly fd: ShimFd, readonly inode: ShimInode | null) {
    this.closer = new Closer(fs, fd);
  }

  read(into: Uint8Array, position: number): number {
    let r = this.fd.fd_pread(into.byteLength, BigInt(position));
    if (r.ret === Errno.NOTSUP) {
      check(this.fd.fd_seek(BigInt(position), Whence.SET).ret);
      r = this.fd.fd_read(into.byteLength);
    }
    check(r.ret);
    const n = Math.min(r.data.byteLength, into.byteLength);
    into.set(r.data.subarray(0, n));
    return n;
  }

  write(data: Uint8Array, position: number): number {
    // A copy: the shim (or a subclass) may keep what it is given, and `data` is guest memory.
    const copy = data.slice();
    let r = this.fd.fd_pwrite(copy, BigInt(position));
    if (r.ret === Errno.NOTSUP) {
      check(this.fd.fd_seek(BigInt(position), Whence.SET).ret);
      r = this.fd.fd_write(copy);
    }
    check(r.ret);
    if (this.inode !== null) this.fs.touch(this.inode);
    return r.nwritten;
  }

  private shimStat(): ShimFilestat | null {
    const r = this.fd.fd_filestat_get();
    if (r.ret === 0 && r.filestat !== null) return r.filestat;
    return this.inode?.stat() ?? null;
  }

  size(): number {
    const st = this.shimStat();
    if (st === null) return fail(Errno.NOTSUP);
    return Number(st.size);
  }

  stat(): FileStat {
    return this.fs.stat(this.inode, this.shimStat(), Filetype.REGULAR_FILE);
  }

  truncate(size: number): void {
    check(this.fd.fd_filestat_set_size(BigInt(size)));
    if (this.inode !== null) this.fs.touch(this.inode);
  }

  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    if (this.inode === null) fail(Errno.NOTSUP);
    this.fs.setTimes(this.inode, atim, mtim);
  }

  sync(): void {
    check(this.fd.fd_sync());
  }

  datasync(): void {
    check(this.fd.fd_sync());
  }

  allocate(offset: number, length: number): void {
    if (offset + length <= this.size()) return;
    check(this.fd.fd_allocate(BigInt(offset), BigInt(length)));
  }

  advise(_offset: number, _length: number, _advice: Advice): void {}

  close(): void {
    this.closer.close();
  }
}

/** A shim `Fd` that is a stream (`ConsoleStdout`, a user's stdin): `fd_read` / `fd_write` at its own position. */
export class ShimStream implements StreamHandle {
  readonly kind = 'stream';
  private readonly closer: Closer;

  constructor(readonly fs: ShimFs, readonly fd: ShimFd, readonly filetype: Filetype) {
    this.closer = new Closer(fs, fd);
  }

  read(into: Uint8Array): number {
    const r = this.fd.fd_read(into.byteLength);
    check(r.ret);
    const n = Math.min(r.data.byteLength, into.byteLength);
    into.set(r.data.subarray(0, n));
    return n;
  }

  write(data: Uint8Array): number {
    const r = this.fd.fd_write(data.slice());
    check(r.ret);
    return r.nwritten;
  }

  readReadiness(): Readiness {
    return { ready: true, nbytes: 0, hangup: false };
  }

  writeReadiness(): Readiness {
    return { ready: true, nbytes: 0, hangup: false };
  }

  stat(): FileStat {
    const r = this.fd.fd_filestat_get();
    return this.fs.stat(null, r.ret === 0 ? r.filestat : null, this.filetype);
  }

  sync(): void {
    check(this.fd.fd_sync());
  }

  close(): void {
    this.closer.close();
  }
}

/** A shim directory `Fd` (`OpenDirectory`, `PreopenDirectory`): its `dir` inode, and `fd_close` once at the end. */
export class ShimDirectoryHandle implements DirectoryHandle {
  readonly kind = 'directory';
  private readonly closer: Closer;

  constructor(readonly fs: ShimFs, readonly fd: ShimFd, readonly dir: ShimDirectory) {
    this.closer = new Closer(fs, fd);
  }

  stat(): FileStat {
    return this.dir.stat();
  }

  close(): void {
    this.closer.close();
  }
}

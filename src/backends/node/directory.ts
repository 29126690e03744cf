import * as hostFs from 'node:fs';
import * as hostPath from 'node:path';
import { Errno, type Filetype } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { DirEntry, DirectoryInode, FileHandle, FileStat, Inode, OpenFileOptions, TimeUpdate } from '../types';
import { NodeFileHandle } from './file-handle';
import { addressing, entries, HostDir } from './host-dir';
import { hostOps } from './host-ops';
import { NodeFileInode, NodeSymlinkInode } from './inodes';
import { nativeOps } from './native-ops';
import { filetypeOf, toFileStat, type HostStats } from './stat';
import { checkName, NodeTree } from './tree';

export interface NodeDirectoryOptions {
  /** Every mutation below this directory fails with READ_ONLY_ERRNO (EPERM, as wasmtime). */
  readOnly?: boolean;
}

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC } = hostFs.constants;
// Never follow: the core resolves symlinks itself, inside the sandbox. NONBLOCK keeps
// open() of a FIFO from blocking the thread until a peer shows up; it changes nothing for
// regular files. Both are absent on Windows.
const O_NOFOLLOW = hostFs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = hostFs.constants.O_NONBLOCK ?? 0;

function openFlags(options: OpenFileOptions): number {
  let flags = O_NOFOLLOW | O_NONBLOCK;
  if (options.read && options.write) flags |= O_RDWR;
  else if (options.write) flags |= O_WRONLY;
  else flags |= O_RDONLY;
  if (options.create) flags |= O_CREAT | (options.exclusive ? O_EXCL : 0);
  if (options.truncate) flags |= O_TRUNC;
  return flags;
}

/**
 * The preopen's root, resolved once, here: the embedder named it by path, and a missing
 * preopen is reported now, not as ENOENT to the guest.
 */
function preopenRoot(tree: NodeTree, hostDirectory: string): HostDir {
  const root = hostFs.realpathSync(hostPath.resolve(hostDirectory));
  const st = hostFs.statSync(root, { bigint: true });
  if (!st.isDirectory()) throw new Error(`NodeDirectory: ${root} is not a directory`);
  return new HostDir(tree, null, '', st.dev, st.ino, root);
}

/**
 * A host directory. `new NodeDirectory('/tmp/x')` is a preopen (the root of its own tree);
 * directories looked up below it share the root's tree.
 *
 * Every call names its target as one entry of a directory object (HostDir): on Linux
 * `/proc/self/fd/N/name`, which the kernel resolves inside the directory fd N holds, as
 * `*at(N, name)` does, with the last component never followed. The core walks paths one
 * component at a time through lookup, so no host walk ever crosses a symlink or `..`, and no
 * rename or symlink swap by another process can move an operation out of the tree. Elsewhere
 * directories are addressed by path (see HostDir.checkedPath).
 */
export class NodeDirectory implements DirectoryInode {
  readonly kind = 'directory';
  readonly fs: NodeTree;
  readonly host: HostDir;
  /** The lstat lookup just took of this directory: the first stat() answers from it. */
  private fresh: HostStats | undefined;

  constructor(hostDirectory: string | HostDir, options: NodeDirectoryOptions = {}, fresh?: HostStats) {
    if (hostDirectory instanceof HostDir) {
      this.host = hostDirectory;
      this.fs = hostDirectory.tree;
    } else {
      this.fs = new NodeTree(options.readOnly ?? false);
      this.host = preopenRoot(this.fs, hostDirectory);
    }
    this.fresh = fresh;
  }

  /**
   * Whether host calls go through refwasi's native addon (Linux, built at install, not
   * disabled by REFWASI_NATIVE=0) rather than Node's fs. Both hold the same sandbox.
   */
  static get usesNativeAddon(): boolean {
    return hostOps() === nativeOps;
  }

  /** The host path where this directory was found (the preopen's real path for a root). */
  get hostPath(): string {
    return this.host.path;
  }

  /** A descriptor holds this directory (OpenDirectory): its host fd stays open until release. */
  retain(): void {
    if (this.host.parent !== null) return this.host.pin();
    // A preopen being installed: a root gone since the embedder named it is the guest's
    // ENOENT on first use, not an exception out of the WASI constructor.
    try {
      this.host.pin();
    } catch {
      this.host.pin(false);
    }
  }

  release(): void {
    this.host.unpin();
  }

  stat(): FileStat {
    HostDir.beginOperation();
    const stats = this.fresh ?? this.host.stat();
    this.fresh = undefined;
    return this.fs.exactTimes(toFileStat(stats));
  }

  /** On the directory object itself (fd mode: utimes through its /proc/self/fd link, which is followed to it). */
  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    this.fs.assertWritable();
    const before = this.stat();
    hostOps().setDirTimes(this.host, atim, mtim);
    this.fs.rememberTimes(before, toFileStat(this.host.stat()), atim, mtim);
  }

  private checkWritable(name: string): void {
    checkName(name);
    this.fs.assertWritable();
  }

  lookup(name: string): Inode | null {
    HostDir.beginOperation();
    checkName(name);
    const stats = hostOps().lstat(this.host, name);
    if (stats === undefined) return null;
    if (stats.isDirectory()) return new NodeDirectory(this.childDir(name, stats), {}, stats);
    if (stats.isSymbolicLink()) return new NodeSymlinkInode(this.host, name, this.fs, stats);
    return new NodeFileInode(this.host, name, this.fs, stats);
  }

  /**
   * The directory `name` whose lstat is `stats`: one whose fd is already open (the same dev
   * and ino, held open, so it is that very directory) is shared; else a new one, opened when
   * first used and checked then to still be the directory lstat saw.
   */
  private childDir(name: string, stats: HostStats): HostDir {
    if (addressing.byFd) {
      const known = this.fs.byIno.get(stats.ino);
      if (known !== undefined && known.dev === stats.dev && known.fd >= 0) return known;
    }
    return new HostDir(this.fs, this.host, name, stats.dev, stats.ino, hostPath.join(this.host.path, name));
  }

  /** Sorted by name (code units) so cookies mean the same entry from one call to the next. */
  list(): DirEntry[] {
    HostDir.beginOperation();
    return hostOps().list(this.host).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  openFile(name: string, options: OpenFileOptions): FileHandle {
    HostDir.beginOperation();
    checkName(name);
    if (options.write || options.create || options.truncate) this.fs.assertWritable();
    // The process's fds are the host's, not the guest's: past refwasi's cap, ENFILE.
    NodeFileHandle.assertRoom();
    // Linux opens a directory read-only without complaint (here only if the name became
    // one since lookup); a file handle on it would be a lie.
    const fd = hostOps().openFile(this.host, name, openFlags(options), !options.write);
    return new NodeFileHandle(fd, this.fs);
  }

  /**
   * path_open of an existing file without the lookups' lstats: the open (O_NOFOLLOW; a path
   * of several names only through the addon's openat2, which refuses every symlink on the
   * way and never leaves this directory) and an fstat of what it opened say what it is.
   * Anything but a file (nothing there, a symlink, a directory), a write open of a read-only
   * preopen, no fd left in the budget, or any error is null, for the core's usual walk.
   */
  openExisting(path: string, options: OpenFileOptions): { handle: FileHandle; filetype: Filetype } | null {
    HostDir.beginOperation();
    // The path is plain (isPlainPath): the syscall layer asks only for such paths.
    if ((options.write && this.fs.readOnly) || !NodeFileHandle.hasRoom()) return null;
    const opened = hostOps().openExisting(this.host, path, openFlags(options));
    if (opened === null) return null;
    return { handle: new NodeFileHandle(opened.fd, this.fs), filetype: filetypeOf(opened.stats) };
  }

  mkdir(name: string): void {
    HostDir.beginOperation();
    this.checkWritable(name);
    hostOps().mkdir(this.host, name);
    entries.generation++;
  }

  rmdir(name: string): void {
    HostDir.beginOperation();
    this.checkWritable(name);
    hostOps().rmdir(this.host, name);
    entries.generation++;
  }

  /** unlink(2) itself answers EISDIR for a directory on Linux (EPERM on macOS). */
  unlink(name: string): void {
    HostDir.beginOperation();
    this.checkWritable(name);
    hostOps().unlink(this.host, name);
    entries.generation++;
  }

  symlink(target: string, name: string): void {
    HostDir.beginOperation();
    this.checkWritable(name);
    if (target.includes('\0')) fail(Errno.INVAL);
    hostOps().symlink(target, this.host, name);
    entries.generation++;
  }

  /** link(2) on Linux does not follow a symlink source: the link itself is linked. */
  link(name: string, toDir: DirectoryInode, toName: string): void {
    HostDir.beginOperation();
    const to = this.sameTree(toDir);
    this.checkWritable(name);
    to.checkWritable(toName);
    hostOps().link(this.host, name, to.host, toName);
    entries.generation++;
  }

  rename(name: string, toDir: DirectoryInode, toName: string): void {
    HostDir.beginOperation();
    const to = this.sameTree(toDir);
    this.checkWritable(name);
    to.checkWritable(toName);
    hostOps().rename(this.host, name, to.host, toName);
    entries.generation++;
  }

  /** The core checks `fs` before link and rename; checked again because a host path crosses anything. */
  private sameTree(dir: DirectoryInode): NodeDirectory {
    if (!(dir instanceof NodeDirectory) || dir.fs !== this.fs) fail(Errno.XDEV);
    return dir;
  }
}

import * as hostFs from 'node:fs';
import * as hostPath from 'node:path';
import { Errno, Filetype } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { DirEntry, DirectoryInode, FileHandle, FileStat, Inode, OpenFileOptions, TimeUpdate } from '../types';
import { hostCall } from './errno';
import { NodeFileHandle } from './file-handle';
import { NodeFileInode, NodePathInode, NodeSymlinkInode } from './inodes';
import { filetypeOf } from './stat';
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
 * The root is resolved once, here, so lstat and lutimes below never meet a symlink the
 * embedder chose; and a missing preopen is reported now, not as ENOENT to the guest.
 */
function preopenRoot(hostDirectory: string): string {
  const root = hostFs.realpathSync(hostPath.resolve(hostDirectory));
  if (!hostFs.statSync(root).isDirectory()) throw new Error(`NodeDirectory: ${root} is not a directory`);
  return root;
}

/**
 * Bumped by every change to a directory's entries (mkdir, rmdir, unlink, symlink, link,
 * rename) made through any NodeDirectory: all preopens share it, since two may overlap. A
 * directory checked since the last change needs no new check (see NodeDirectory.here).
 */
let entriesGeneration = 0;

/**
 * A host directory, addressed by its path. `new NodeDirectory('/tmp/x')` is a preopen (the
 * root of its own tree); directories looked up below it share the root's tree. Passing a
 * NodeTree instead of options is how lookup makes those; embedders pass options.
 */
export class NodeDirectory extends NodePathInode implements DirectoryInode {
  readonly kind = 'directory';
  /** Which directory the path named when this was made; checked again by here(). */
  private readonly identity: { dev: bigint; ino: bigint };
  private checkedAt = entriesGeneration;

  /** `identity`: the directory's stat, when the caller has just taken it (lookup). */
  constructor(hostDirectory: string, options: NodeDirectoryOptions | NodeTree = {}, identity?: { dev: bigint; ino: bigint }) {
    if (options instanceof NodeTree) super(hostDirectory, options);
    else {
      const root = preopenRoot(hostDirectory);
      super(root, new NodeTree(options.readOnly ?? false, root));
    }
    const { dev, ino } = identity ?? hostCall(() => hostFs.statSync(this.hostPath, { bigint: true }));
    this.identity = { dev, ino };
  }

  /**
   * The host path, once it is known to still name this directory through real directories
   * only. Node has no openat, so a directory is addressed by its path: a directory fd whose
   * directory the guest has since renamed away (or a parent of it), with a symlink put in its
   * place (a relative target that climbs out is allowed), would lead wherever the link does.
   * Checked again after any change to any directory's entries; a directory that moved or
   * went away is ENOENT from then on (POSIX would follow it to its new place).
   */
  private here(): string {
    if (this.checkedAt !== entriesGeneration) {
      const real = hostCall(() => hostFs.realpathSync.native(this.hostPath));
      const now = hostCall(() => hostFs.lstatSync(this.hostPath, { bigint: true }));
      if (real !== this.hostPath || !now.isDirectory() || now.dev !== this.identity.dev || now.ino !== this.identity.ino) {
        fail(Errno.NOENT, 'the directory was moved or replaced since it was opened');
      }
      this.checkedAt = entriesGeneration;
    }
    return this.hostPath;
  }

  override stat(): FileStat {
    this.here();
    return super.stat();
  }

  override setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    this.here();
    super.setTimes(atim, mtim);
  }

  private child(name: string): string {
    checkName(name);
    return hostPath.join(this.here(), name);
  }

  private writableChild(name: string): string {
    const path = this.child(name);
    this.fs.assertWritable();
    return path;
  }

  lookup(name: string): Inode | null {
    const path = this.child(name);
    const stats = hostCall(() => hostFs.lstatSync(path, { bigint: true, throwIfNoEntry: false }));
    if (stats === undefined) return null;
    if (stats.isDirectory()) return new NodeDirectory(path, this.fs, stats);
    if (stats.isSymbolicLink()) return new NodeSymlinkInode(path, this.fs, stats);
    return new NodeFileInode(path, this.fs, stats);
  }

  /** Sorted by name (code units) so cookies mean the same entry from one call to the next. */
  list(): DirEntry[] {
    const dir = this.here();
    const names = hostCall(() => hostFs.readdirSync(dir));
    const entries: DirEntry[] = [];
    for (const name of names.sort()) {
      const stats = hostCall(() =>
        hostFs.lstatSync(hostPath.join(dir, name), { bigint: true, throwIfNoEntry: false }),
      );
      // Gone since readdir: the listing is a snapshot, and the entry is no longer in it.
      if (stats !== undefined) entries.push({ name, filetype: filetypeOf(stats), ino: stats.ino });
    }
    return entries;
  }

  openFile(name: string, options: OpenFileOptions): FileHandle {
    const path = this.child(name);
    if (options.write || options.create || options.truncate) this.fs.assertWritable();
    // The process's fds are the host's, not the guest's: past refwasi's cap, ENFILE.
    NodeFileHandle.assertRoom();
    const fd = hostCall(() => hostFs.openSync(path, openFlags(options), 0o666));
    const handle = new NodeFileHandle(fd, this.fs);
    try {
      this.fs.assertOpenedInside(fd);
      // Linux opens a directory read-only without complaint; a file handle on it would be a lie.
      if (!options.write && handle.stat().filetype === Filetype.DIRECTORY) fail(Errno.ISDIR);
      return handle;
    } catch (error) {
      handle.close();
      throw error;
    }
  }

  mkdir(name: string): void {
    const path = this.writableChild(name);
    hostCall(() => hostFs.mkdirSync(path, 0o777));
    entriesGeneration++;
  }

  rmdir(name: string): void {
    const path = this.writableChild(name);
    hostCall(() => hostFs.rmdirSync(path));
    entriesGeneration++;
  }

  /** unlink(2) itself answers EISDIR for a directory on Linux (EPERM on macOS). */
  unlink(name: string): void {
    const path = this.writableChild(name);
    hostCall(() => hostFs.unlinkSync(path));
    entriesGeneration++;
  }

  symlink(target: string, name: string): void {
    const path = this.writableChild(name);
    if (target.includes('\0')) fail(Errno.INVAL);
    hostCall(() => hostFs.symlinkSync(target, path));
    entriesGeneration++;
  }

  /** link(2) on Linux does not follow a symlink source: the link itself is linked. */
  link(name: string, toDir: DirectoryInode, toName: string): void {
    const from = this.writableChild(name);
    const to = this.sameTree(toDir).child(toName);
    hostCall(() => hostFs.linkSync(from, to));
    entriesGeneration++;
  }

  rename(name: string, toDir: DirectoryInode, toName: string): void {
    const from = this.writableChild(name);
    const to = this.sameTree(toDir).child(toName);
    hostCall(() => hostFs.renameSync(from, to));
    entriesGeneration++;
  }

  /** The core checks `fs` before link and rename; checked again because a host path crosses anything. */
  private sameTree(dir: DirectoryInode): NodeDirectory {
    if (!(dir instanceof NodeDirectory) || dir.fs !== this.fs) fail(Errno.XDEV);
    return dir;
  }
}

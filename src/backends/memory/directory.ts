import { Errno, Filetype } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { DirEntry, DirectoryInode, FileHandle, FileStat, Inode, OpenFileOptions, TimeUpdate } from '../types';
import { encodeListing, type EncodedListing } from '../../abi/dirent';
import { MemoryFile, MemoryInode } from './file';
import { MemoryFs } from './fs';

export class MemorySymlink extends MemoryInode {
  readonly kind = 'symlink';
  /** The target's bytes count against the filesystem's byte budget while the link exists. */
  readonly size: number;
  constructor(fs: MemoryFs, readonly target: string) {
    super(fs);
    this.size = new TextEncoder().encode(target).byteLength;
    fs.charge(this.size);
  }
  readlink(): string {
    return this.target;
  }
  stat(): FileStat {
    return this.statAs(Filetype.SYMBOLIC_LINK, this.size);
  }
}

export type MemoryNode = MemoryFile | MemorySymlink | MemoryDir;

const filetypeOf = (n: MemoryNode): Filetype =>
  n.kind === 'file' ? Filetype.REGULAR_FILE : n.kind === 'directory' ? Filetype.DIRECTORY : Filetype.SYMBOLIC_LINK;

/** A directory of the in-memory filesystem: a Map from name to inode, in insertion order. */
export class MemoryDir extends MemoryInode implements DirectoryInode {
  readonly kind = 'directory';
  readonly entries = new Map<string, MemoryNode>();
  /** The directory holding this one; null for a root or a removed directory. */
  parent: MemoryDir | null = null;
  /** Removed from the tree (rmdir, or replaced by rename): nothing may be created in it. */
  removed = false;
  /** fd_readdir's encoding of the entries, kept until they next change (add, drop). */
  private encoded: EncodedListing | null = null;

  constructor(fs: MemoryFs) {
    super(fs);
    this.nlink = 2;
  }

  stat(): FileStat {
    return this.statAs(Filetype.DIRECTORY, this.entries.size);
  }

  lookup(name: string): Inode | null {
    return this.entries.get(name) ?? null;
  }

  list(): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, node] of this.entries) out.push({ name, filetype: filetypeOf(node), ino: node.ino });
    return out;
  }

  encodedListing(): EncodedListing {
    return (this.encoded ??= encodeListing(this.ino, this.list()));
  }

  /** ENOENT for a creation in a removed directory, as Linux gives. */
  private checkLive(): void {
    if (this.removed) fail(Errno.NOENT, 'directory was removed');
  }

  private touch(): void {
    this.modified();
  }

  /**
   * Adds an entry (the name is known to be free). A new entry counts against the entry budget
   * (ENOSPC before anything changes); one `moving` here from elsewhere was counted already.
   * Public for MemoryDirectory.from, which builds trees through it.
   */
  add(name: string, node: MemoryNode, moving = false): void {
    if (!moving) this.fs.countEntries(1);
    this.entries.set(name, node);
    this.encoded = null;
    if (node instanceof MemoryDir) {
      node.parent = this;
      this.nlink++;
    }
    this.touch();
  }

  private drop(name: string, node: MemoryNode, moving = false): void {
    if (!moving) this.fs.countEntries(-1);
    this.entries.delete(name);
    this.encoded = null;
    if (node instanceof MemoryDir) {
      node.parent = null;
      this.nlink--;
    }
    this.touch();
  }

  openFile(name: string, options: OpenFileOptions): FileHandle {
    let node = this.entries.get(name);
    if (node === undefined) {
      if (!options.create) fail(Errno.NOENT);
      this.checkLive();
      this.fs.countEntries(1); // ENOSPC before a file exists
      node = new MemoryFile(this.fs);
      this.add(name, node, true);
    } else if (options.create && options.exclusive) {
      fail(Errno.EXIST);
    }
    if (node.kind === 'directory') fail(Errno.ISDIR);
    if (node.kind === 'symlink') fail(Errno.LOOP);
    if (options.truncate && node.size > 0) node.resize(0);
    return node.open();
  }

  mkdir(name: string): void {
    if (this.entries.has(name)) fail(Errno.EXIST);
    this.checkLive();
    this.add(name, new MemoryDir(this.fs));
  }

  rmdir(name: string): void {
    const node = this.entries.get(name);
    if (node === undefined) fail(Errno.NOENT);
    if (node.kind !== 'directory') fail(Errno.NOTDIR);
    if (node.entries.size > 0) fail(Errno.NOTEMPTY);
    this.drop(name, node);
    node.removed = true;
  }

  unlink(name: string): void {
    const node = this.entries.get(name);
    if (node === undefined) fail(Errno.NOENT);
    if (node.kind === 'directory') fail(Errno.ISDIR);
    this.drop(name, node);
    unlinked(node);
  }

  symlink(target: string, name: string): void {
    if (this.entries.has(name)) fail(Errno.EXIST);
    this.checkLive();
    this.fs.countEntries(1);
    let link: MemorySymlink;
    try {
      link = new MemorySymlink(this.fs, target);
    } catch (e) {
      this.fs.countEntries(-1);
      throw e;
    }
    this.add(name, link, true);
  }

  link(name: string, toDir: DirectoryInode, toName: string): void {
    const node = this.entries.get(name);
    const dest = asMemoryDir(toDir, this.fs);
    if (node === undefined) fail(Errno.NOENT);
    if (node.kind === 'directory') fail(Errno.PERM);
    if (dest.entries.has(toName)) fail(Errno.EXIST);
    dest.checkLive();
    dest.add(toName, node);
    node.nlink++;
    node.changed();
  }

  rename(name: string, toDir: DirectoryInode, toName: string): void {
    const node = this.entries.get(name);
    const dest = asMemoryDir(toDir, this.fs);
    if (node === undefined) fail(Errno.NOENT);
    const existing = dest.entries.get(toName);
    if (existing === node) return; // Same inode: POSIX says do nothing.
    dest.checkLive();
    if (node instanceof MemoryDir) {
      // A directory cannot move below itself.
      for (let d: MemoryDir | null = dest; d !== null; d = d.parent) if (d === node) fail(Errno.INVAL);
      if (existing !== undefined) {
        if (!(existing instanceof MemoryDir)) fail(Errno.NOTDIR);
        if (existing.entries.size > 0) fail(Errno.NOTEMPTY);
      }
    } else if (existing instanceof MemoryDir) {
      fail(Errno.ISDIR);
    }
    if (existing !== undefined) {
      dest.drop(toName, existing);
      unlinked(existing);
      if (existing instanceof MemoryDir) existing.removed = true;
    }
    this.drop(name, node, true);
    dest.add(toName, node, true);
    node.changed();
  }
}

function asMemoryDir(dir: DirectoryInode, fs: MemoryFs): MemoryDir {
  if (!(dir instanceof MemoryDir) || dir.fs !== fs) fail(Errno.XDEV);
  return dir;
}

/** Bookkeeping when a name goes away: a file's bytes go with its last link and last handle. */
function unlinked(node: MemoryNode): void {
  if (node.kind === 'directory') return;
  node.nlink--;
  node.changed();
  if (node instanceof MemoryFile && node.nlink === 0 && node.handles === 0) node.release();
  if (node instanceof MemorySymlink && node.nlink === 0) node.fs.charge(-node.size);
}

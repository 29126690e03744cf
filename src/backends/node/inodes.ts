import type { FileStat, FileInode, SymlinkInode, TimeUpdate } from '../types';
import { fail } from '../../abi/errors';
import { Errno } from '../../abi/constants';
import { HostDir } from './host-dir';
import { hostOps } from './host-ops';
import { toFileStat, type HostStats } from './stat';
import type { NodeTree } from './tree';

/**
 * An entry that is not a directory, addressed as `name` inside the directory it was looked
 * up in (`dir`), never by a path from the root: like an `*at(dirfd, name)` call, what it
 * names can only be in that directory, wherever the directory is now. Each call acts on what
 * the name holds then, and never follows it if it has become a symlink.
 */
export abstract class NodeEntryInode {
  /**
   * The lstat that the lookup making this inode has just taken. The first stat() answers
   * from it: path_filestat_get and path_open stat what they looked up within the same
   * call, and a second lstat there would cost a host call and tell nothing new.
   */
  private fresh: HostStats | undefined;

  constructor(
    readonly dir: HostDir,
    readonly name: string,
    readonly fs: NodeTree,
    fresh?: HostStats,
  ) {
    this.fresh = fresh;
  }

  /** The host path where it was found (for messages and tests; calls never use it). */
  get hostPath(): string {
    return `${this.dir.path}/${this.name}`;
  }

  protected lstat(): HostStats {
    return hostOps().lstat(this.dir, this.name) ?? fail(Errno.NOENT);
  }

  stat(): FileStat {
    HostDir.beginOperation();
    const stats = this.fresh ?? this.lstat();
    this.fresh = undefined;
    return this.fs.exactTimes(toFileStat(stats));
  }

  /** lutimes, so a name that became a symlink since lookup is never followed. */
  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    this.fs.assertWritable();
    const before = this.stat();
    hostOps().setEntryTimes(this.dir, this.name, atim, mtim);
    this.fs.rememberTimes(before, toFileStat(this.lstat()), atim, mtim);
  }
}

/** A regular file, or a FIFO, socket or device reported with its own filetype by stat(). */
export class NodeFileInode extends NodeEntryInode implements FileInode {
  readonly kind = 'file';
}

export class NodeSymlinkInode extends NodeEntryInode implements SymlinkInode {
  readonly kind = 'symlink';

  readlink(): string {
    HostDir.beginOperation();
    return hostOps().readlink(this.dir, this.name);
  }
}

import * as hostFs from 'node:fs';
import type { BigIntStats } from 'node:fs';
import type { FileStat, FileInode, SymlinkInode, TimeUpdate } from '../types';
import { hostCall } from './errno';
import { hostTimes, toFileStat } from './stat';
import type { NodeTree } from './tree';

/**
 * An entry addressed by its host path. Node has no *at() calls, so an inode is a path:
 * it follows the name, not the object, if something renames it underneath us. The same gap
 * means a host process that swaps a directory on the path for a symlink between the core's
 * lookup and our call could redirect that call. The guest itself cannot: every symlink it
 * makes is resolved by the core, and a directory it holds open across such a swap is checked
 * again before use (NodeDirectory.here).
 */
export abstract class NodePathInode {
  /**
   * The lstat that the lookup making this inode has just taken. The first stat() answers
   * from it: path_filestat_get and path_open stat what they looked up within the same
   * call, and a second lstat there would cost a host call and tell nothing new.
   */
  private fresh: BigIntStats | undefined;

  constructor(
    readonly hostPath: string,
    readonly fs: NodeTree,
    fresh?: BigIntStats,
  ) {
    this.fresh = fresh;
  }

  stat(): FileStat {
    const stats = this.fresh ?? hostCall(() => hostFs.lstatSync(this.hostPath, { bigint: true }));
    this.fresh = undefined;
    return this.fs.exactTimes(toFileStat(stats));
  }

  /** lutimes, so a name that became a symlink since lookup is never followed. */
  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    this.fs.assertWritable();
    const before = this.stat();
    hostCall(() => {
      const [a, m] = hostTimes(atim, mtim, () => hostFs.lstatSync(this.hostPath, { bigint: true }));
      hostFs.lutimesSync(this.hostPath, a, m);
    });
    this.fs.rememberTimes(before, toFileStat(hostCall(() => hostFs.lstatSync(this.hostPath, { bigint: true }))), atim, mtim);
  }
}

/** A regular file, or a FIFO, socket or device reported with its own filetype by stat(). */
export class NodeFileInode extends NodePathInode implements FileInode {
  readonly kind = 'file';
}

export class NodeSymlinkInode extends NodePathInode implements SymlinkInode {
  readonly kind = 'symlink';

  readlink(): string {
    return hostCall(() => hostFs.readlinkSync(this.hostPath, 'utf8'));
  }
}

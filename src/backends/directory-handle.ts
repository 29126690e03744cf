import type { DirectoryHandle, DirectoryInode, FileStat } from './types';

/**
 * An opened directory: the description holds its inode, and the inode's backend keeps what it
 * needs for it (a host directory fd) from here to close, which the description calls once.
 */
export class OpenDirectory implements DirectoryHandle {
  readonly kind = 'directory';
  constructor(readonly dir: DirectoryInode) {
    dir.retain?.();
  }
  stat(): FileStat {
    return this.dir.stat();
  }
  // The description calls this once, after its last descriptor lets go.
  close(): void {
    this.dir.release?.();
  }
}

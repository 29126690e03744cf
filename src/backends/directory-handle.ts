import type { DirectoryHandle, DirectoryInode, FileStat } from './types';

/** An opened directory. Backends address directories by inode, so there is no host resource to close. */
export class OpenDirectory implements DirectoryHandle {
  readonly kind = 'directory';
  constructor(readonly dir: DirectoryInode) {}
  stat(): FileStat {
    return this.dir.stat();
  }
  close(): void {}
}

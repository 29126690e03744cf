import { Errno } from '../../abi/constants';
import { fail } from '../../abi/errors';

export interface MemoryFsOptions {
  /** Most bytes all files (and symlink targets) together may hold; a write past it is ENOSPC. */
  maxBytes?: number;
  /**
   * Most directory entries (files, directories, symlinks, hard links) the filesystem may hold;
   * one more is ENOSPC, as a disk out of inodes. Empty files and directories hold no bytes,
   * so without this a guest could fill the host's memory with names.
   */
  maxEntries?: number;
}

export const DEFAULT_MAX_BYTES = 1 << 30;
export const DEFAULT_MAX_ENTRIES = 1 << 20;

/**
 * State shared by every inode of one in-memory filesystem: inode numbers, the byte budget,
 * and counts of open handles that tests use to prove nothing leaks or closes twice.
 */
export class MemoryFs {
  readonly dev = 1n;
  /** A number, not a bigint: one heap object less per inode (they become bigints when stat'd). */
  private nextIno = 1;
  readonly maxBytes: number;
  readonly maxEntries: number;
  bytesUsed = 0;
  entries = 0;
  openHandles = 0;
  handlesOpened = 0;
  doubleCloses = 0;

  constructor(options: MemoryFsOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  allocIno(): number {
    return this.nextIno++;
  }

  /** Accounts for a file growing (or shrinking, with a negative delta); ENOSPC past the budget. */
  charge(delta: number): void {
    if (delta > 0 && this.bytesUsed + delta > this.maxBytes) fail(Errno.NOSPC);
    this.bytesUsed += delta;
  }

  /** Accounts for entries made (or removed, negative); ENOSPC past the entry budget. */
  countEntries(delta: number): void {
    if (delta > 0 && this.entries + delta > this.maxEntries) fail(Errno.NOSPC);
    this.entries += delta;
  }
}

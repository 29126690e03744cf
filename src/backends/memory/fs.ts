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
/** Bytes of freed file chunks kept for reuse (see MemoryFs.takeChunk). */
export const SPARE_BYTES = 64 << 20;
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

  /** Full-size chunks freed by truncation or the last unlink, kept for the next writes. */
  private readonly spare: Uint8Array[] = [];

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

  /**
   * A zeroed chunk of `size` bytes. Fresh memory costs a page fault per page on first touch,
   * which made writing a big file several times slower than copying the same bytes; a chunk
   * freed earlier is already touched, so it is reused (zeroed: a hole must read as zeros).
   */
  takeChunk(size: number): Uint8Array {
    const c = this.spare.pop();
    if (c === undefined || c.length !== size) return new Uint8Array(size);
    return c.fill(0);
  }

  /** Gives back a chunk nothing refers to any more; beyond SPARE_BYTES it is left to the GC. */
  giveBack(c: Uint8Array | undefined): void {
    if (c !== undefined && (this.spare.length + 1) * c.length <= SPARE_BYTES) this.spare.push(c);
  }

  /** Accounts for entries made (or removed, negative); ENOSPC past the entry budget. */
  countEntries(delta: number): void {
    if (delta > 0 && this.entries + delta > this.maxEntries) fail(Errno.NOSPC);
    this.entries += delta;
  }
}

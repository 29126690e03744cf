import { Errno } from '../../abi/constants';
import { fail } from '../../abi/errors';

export interface MemoryFsOptions {
  /** Most bytes all files together may hold; a write past it is ENOSPC. */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 1 << 30;

/**
 * State shared by every inode of one in-memory filesystem: inode numbers, the byte budget,
 * and counts of open handles that tests use to prove nothing leaks or closes twice.
 */
export class MemoryFs {
  readonly dev = 1n;
  private nextIno = 1n;
  readonly maxBytes: number;
  bytesUsed = 0;
  openHandles = 0;
  handlesOpened = 0;
  doubleCloses = 0;

  constructor(options: MemoryFsOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  allocIno(): bigint {
    return this.nextIno++;
  }

  /** Accounts for a file growing (or shrinking, with a negative delta); ENOSPC past the budget. */
  charge(delta: number): void {
    if (delta > 0 && this.bytesUsed + delta > this.maxBytes) fail(Errno.NOSPC);
    this.bytesUsed += delta;
  }
}

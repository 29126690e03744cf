import { Errno, Fdflags, Filetype } from '../abi/constants';
import { fail } from '../abi/errors';
import type { EncodedListing } from '../abi/dirent';
import type { Handle } from '../backends/types';

/**
 * An open file description: what open() creates and dup() shares. It owns one host
 * handle and closes it exactly once, when the last descriptor referring to it lets go.
 */
export class OpenFileDescription<H extends Handle = Handle> {
  /** File offset for regular files (see offset). */
  private at = 0;
  /** The offset is where the handle's last appendFrom ended, not yet asked (FileHandle.appendedEnd). */
  private atAppendEnd = false;
  /** Directory listing snapshot for fd_readdir; taken again when a pass starts at cookie 0. */
  listing: EncodedListing | null = null;
  private refs = 0;
  private closed = false;

  constructor(
    readonly handle: H,
    /** Known when the description is made, so fd_fdstat_get never asks the host. */
    readonly filetype: Filetype,
    /** Status flags (APPEND, NONBLOCK, DSYNC, RSYNC, SYNC): shared by every dup. */
    public flags: number = 0,
    /** The access mode the description was opened with; rights can narrow, never widen it. */
    readonly readable = true,
    readonly writable = true,
    /** Called once, after the handle is closed (lets tests and pipes observe the last close). */
    private readonly onClose?: () => void,
  ) {}

  /** File offset for regular files, shared by every dup. */
  get offset(): number {
    if (this.atAppendEnd) {
      this.atAppendEnd = false;
      this.at = (this.handle as { appendedEnd?(): number }).appendedEnd?.() ?? this.at;
    }
    return this.at;
  }

  set offset(value: number) {
    this.at = value;
    this.atAppendEnd = false;
  }

  /** After an APPEND write through appendFrom: the offset is where it ended, asked when needed. */
  offsetAtAppendEnd(): void {
    this.atAppendEnd = true;
  }

  get refCount(): number {
    return this.refs;
  }

  retain(): this {
    if (this.closed) fail(Errno.BADF, 'description already closed');
    this.refs++;
    return this;
  }

  /** Drops one reference; the last one closes the handle. Host errors on close are reported once. */
  release(): void {
    if (this.refs <= 0 || this.closed) return;
    if (--this.refs > 0) return;
    this.closed = true;
    this.listing = null;
    try {
      this.handle.close();
    } finally {
      this.onClose?.();
    }
  }
}

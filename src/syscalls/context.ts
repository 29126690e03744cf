import { Errno, RIGHTS_DIR, RIGHTS_FILE, RIGHTS_SOCKET, RIGHTS_STREAM, Rights } from '../abi/constants';
import { fail } from '../abi/errors';
import type { GuestMemory } from '../abi/memory';
import type { Handle } from '../backends/types';
import type { Descriptor, DescriptorTable, RenumberMode } from '../descriptors/table';
import type { Clocks } from './clock';

/** Everything a syscall may touch: one per WASI object, shared by all its instances (threads). */
export interface Context {
  /** Guest memory; throws EFAULT before a memory is bound. */
  readonly mem: GuestMemory;
  readonly table: DescriptorTable;
  readonly args: Uint8Array[];
  readonly env: Uint8Array[];
  readonly renumber: RenumberMode;
  /** The clocks (clock_*_get, poll_oneoff's timeouts and its sleeping). */
  readonly clocks: Clocks;
}

/** Every right a descriptor of each kind can hold. */
const KIND_RIGHTS: Record<Handle['kind'], number> = { file: RIGHTS_FILE, directory: RIGHTS_DIR, stream: RIGHTS_SOCKET };
/** Rights that only a description open for writing ever gets. */
const WRITE_RIGHTS = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE;

/**
 * The descriptor at fd, which must hold `rights`. Reading a write-only fd (or writing a
 * read-only one) is EBADF as in POSIX; any other missing right was dropped on purpose
 * (fd_fdstat_set_rights, path_open's rights) and is ENOTCAPABLE. A right this kind of
 * descriptor never has (seeking a pipe, listing a file) is no capability question: the
 * descriptor is returned and the syscall's own kind check answers (ESPIPE, ENOTDIR, ...).
 */
export function descriptor(ctx: Context, fd: number, rights = 0): Descriptor {
  return withRights(ctx.table.get(fd), rights);
}

/** `d` itself, once it is known to hold `rights` (the errnos of `descriptor`). */
export function withRights(d: Descriptor, rights: number): Descriptor {
  const missing = rights & ~d.rightsBase;
  if (missing !== 0) {
    const desc = d.description;
    if ((missing & Rights.FD_READ && !desc.readable) || (missing & WRITE_RIGHTS && !desc.writable)) fail(Errno.BADF);
    if (missing & KIND_RIGHTS[d.handle.kind]) fail(Errno.NOTCAPABLE);
  }
  return d;
}

export interface NewRights {
  readonly base: number;
  readonly inheriting: number;
}

function computeRights(kind: Handle['kind'], readable: boolean, writable: boolean): NewRights {
  if (kind === 'directory') return { base: RIGHTS_DIR, inheriting: RIGHTS_DIR | RIGHTS_FILE };
  let base = kind === 'file' ? RIGHTS_FILE : RIGHTS_STREAM;
  if (!readable) base &= ~Rights.FD_READ;
  if (!writable) base &= ~WRITE_RIGHTS;
  return { base, inheriting: 0 };
}

/** Every answer of rightsFor, made once (an open asks for one). */
const RIGHTS_TABLE: Record<Handle['kind'], NewRights[]> = {
  file: [0, 1, 2, 3].map((i) => computeRights('file', (i & 1) !== 0, (i & 2) !== 0)),
  directory: [0, 1, 2, 3].map((i) => computeRights('directory', (i & 1) !== 0, (i & 2) !== 0)),
  stream: [0, 1, 2, 3].map((i) => computeRights('stream', (i & 1) !== 0, (i & 2) !== 0)),
};

/** Rights a new descriptor starts with, by what it is and how it was opened. */
export function rightsFor(kind: Handle['kind'], readable: boolean, writable: boolean): NewRights {
  return RIGHTS_TABLE[kind][(readable ? 1 : 0) | (writable ? 2 : 0)];
}

/** u64 rights from the guest as refwasi's 30-bit numbers (unknown high bits are dropped). */
export function rightsFromU64(v: bigint): number {
  return Number(BigInt.asUintN(30, v));
}

/** A guest u64 offset or length as an exact JS number, or the given errno if it cannot be one. */
export function toNumber(v: bigint, errno: Errno = Errno.INVAL): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) fail(errno);
  return Number(v);
}

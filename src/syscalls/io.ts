import { Errno, Fdflags } from '../abi/constants';
import { fail } from '../abi/errors';
import type { FileHandle, StreamHandle } from '../backends/types';
import type { OpenFileDescription } from '../descriptors/description';

/**
 * Reads and writes over iovec lists, at the description's shared offset or at an explicit
 * position. A failure after some bytes moved returns the count so far (POSIX), and the
 * shared offset still moves past them, so nothing that was transferred is ever reported as
 * lost. (Byte counts come from `length`, which V8 inlines for a Uint8Array, not
 * `byteLength`, which it does not on Node 20.)
 */
function transfer(desc: OpenFileDescription, iovs: Uint8Array[], position: number | undefined, write: boolean): number {
  const h = desc.handle;
  if (h.kind === 'directory') fail(Errno.ISDIR);
  const stream = h.kind === 'stream';
  if (stream && position !== undefined) fail(Errno.SPIPE);
  // APPEND lives in the description, so every dup of an appending fd appends.
  const append = write && position === undefined && (desc.flags & Fdflags.APPEND) !== 0;
  let pos = stream ? 0 : position ?? (append ? (h as FileHandle).size() : desc.offset);
  let total = 0;
  try {
    for (const iov of iovs) {
      if (iov.length === 0) continue;
      const n = stream
        ? (write ? (h as StreamHandle).write(iov) : (h as StreamHandle).read(iov))
        : (write ? (h as FileHandle).write(iov, pos) : (h as FileHandle).read(iov, pos));
      total += n;
      pos += n;
      if (n < iov.length) break;
    }
  } catch (e) {
    if (total === 0) throw e;
  }
  if (!stream && position === undefined) desc.offset = pos;
  return total;
}

export function readv(desc: OpenFileDescription, iovs: Uint8Array[], position?: number): number {
  if (!desc.readable) fail(Errno.BADF);
  return transfer(desc, iovs, position, false);
}

export function writev(desc: OpenFileDescription, iovs: Uint8Array[], position?: number): number {
  if (!desc.writable) fail(Errno.BADF);
  return transfer(desc, iovs, position, true);
}

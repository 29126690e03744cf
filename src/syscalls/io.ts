import { Errno, Fdflags } from '../abi/constants';
import { fail } from '../abi/errors';
import type { Handle } from '../backends/types';
import type { OpenFileDescription } from '../descriptors/description';

/**
 * Reads and writes over iovec lists, at the description's shared offset or at an explicit
 * position. A failure after some bytes moved returns the count so far (POSIX), so nothing
 * that was transferred is ever reported as lost. (Byte counts come from `length`, which V8
 * inlines for a Uint8Array, not `byteLength`, which it does not on Node 20.)
 */

function partial(total: number, e: unknown): number {
  if (total > 0) return total;
  throw e;
}

export function readv(desc: OpenFileDescription, iovs: Uint8Array[], position?: number): number {
  if (!desc.readable) fail(Errno.BADF);
  const h = desc.handle;
  if (h.kind === 'directory') fail(Errno.ISDIR);
  let total = 0;
  if (h.kind === 'stream') {
    if (position !== undefined) fail(Errno.SPIPE);
    for (const iov of iovs) {
      if (iov.length === 0) continue;
      let n: number;
      try {
        n = h.read(iov);
      } catch (e) {
        return partial(total, e);
      }
      total += n;
      if (n < iov.length) break;
    }
    return total;
  }
  let pos = position ?? desc.offset;
  for (const iov of iovs) {
    if (iov.length === 0) continue;
    let n: number;
    try {
      n = h.read(iov, pos);
    } catch (e) {
      return partial(total, e);
    }
    total += n;
    pos += n;
    if (n < iov.length) break;
  }
  if (position === undefined) desc.offset = pos;
  return total;
}

export function writev(desc: OpenFileDescription, iovs: Uint8Array[], position?: number): number {
  if (!desc.writable) fail(Errno.BADF);
  const h: Handle = desc.handle;
  if (h.kind === 'directory') fail(Errno.ISDIR);
  let total = 0;
  if (h.kind === 'stream') {
    if (position !== undefined) fail(Errno.SPIPE);
    for (const iov of iovs) {
      if (iov.length === 0) continue;
      let n: number;
      try {
        n = h.write(iov);
      } catch (e) {
        return partial(total, e);
      }
      total += n;
      if (n < iov.length) break;
    }
    return total;
  }
  // APPEND lives in the description, so every dup of an appending fd appends.
  const append = position === undefined && (desc.flags & Fdflags.APPEND) !== 0;
  let pos = position ?? (append ? h.size() : desc.offset);
  for (const iov of iovs) {
    if (iov.length === 0) continue;
    let n: number;
    try {
      n = h.write(iov, pos);
    } catch (e) {
      if (position === undefined && total > 0) desc.offset = pos;
      return partial(total, e);
    }
    total += n;
    pos += n;
    if (n < iov.length) break;
  }
  if (position === undefined) desc.offset = pos;
  return total;
}

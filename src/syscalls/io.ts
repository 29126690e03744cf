import { Errno, Fdflags } from '../abi/constants';
import { fail } from '../abi/errors';
import type { GuestMemory } from '../abi/memory';
import type { FileHandle, StreamHandle } from '../backends/types';
import type { OpenFileDescription } from '../descriptors/description';

/** One transfer between guest bytes [at, at+len) and a handle. */
function move(h: FileHandle | StreamHandle, bytes: Uint8Array, at: number, len: number, pos: number, write: boolean): number {
  if (h.kind === 'stream') {
    if (write) return h.writeFrom ? h.writeFrom(bytes, at, len) : h.write(bytes.subarray(at, at + len));
    return h.readInto ? h.readInto(bytes, at, len) : h.read(bytes.subarray(at, at + len));
  }
  if (write) return h.writeFrom ? h.writeFrom(bytes, at, len, pos) : h.write(bytes.subarray(at, at + len), pos);
  return h.readInto ? h.readInto(bytes, at, len, pos) : h.read(bytes.subarray(at, at + len), pos);
}

/**
 * Reads or writes over the guest's iovec array at `iovs` (already checked whole with
 * checkIovecs), at the description's shared offset or at an explicit position. Each iovec
 * is read from memory as it comes (see below for when that is the same), so no array of
 * views is made. A failure after some bytes
 * moved returns the count so far (POSIX), and the shared offset still moves past them, so
 * nothing that was transferred is ever reported as lost.
 */
export function transferGuest(
  desc: OpenFileDescription, mem: GuestMemory, iovs: number, count: number, position: number, write: boolean,
): number {
  const h = desc.handle;
  if (h.kind === 'directory') fail(Errno.ISDIR);
  if (!(write ? desc.writable : desc.readable)) fail(Errno.BADF);
  const explicit = position >= 0;
  // Several iovecs that a read could overwrite (or a callback could change) are decoded up
  // front, as they were when the call began; one iovec, or a write to a handle that copies
  // without calling out, reads the same values either way.
  if (count !== 1 && !(write && h.writeFrom)) return transfer(desc, mem.iovecs(iovs, count), explicit ? position : undefined, write);
  const stream = h.kind === 'stream';
  if (stream && explicit) fail(Errno.SPIPE);
  // APPEND lives in the description, so every dup of an appending fd appends.
  const append = write && !stream && !explicit && (desc.flags & Fdflags.APPEND) !== 0;
  const appendFrom = append ? (h as FileHandle).appendFrom : undefined;
  // (appendFrom places the bytes itself: the offset is not even read, so it is not asked of the host.)
  let pos = stream || appendFrom !== undefined ? 0 : explicit ? position : append ? (h as FileHandle).size() : desc.offset;
  let total = 0;
  try {
    for (let i = 0, base = iovs >>> 0; i < count; i++, base += 8) {
      // A host callback in an earlier iovec may have grown memory: check (and re-view) again.
      let bytes = mem.bytes;
      if (base + 8 > bytes.length) bytes = mem.check(base, 8);
      const at = mem.view.getUint32(base, true);
      const len = mem.view.getUint32(base + 4, true);
      if (len === 0) continue;
      if (at + len > bytes.length) bytes = mem.check(at, len);
      const n = appendFrom !== undefined ? appendFrom.call(h, bytes, at, len) : move(h, bytes, at, len, pos, write);
      total += n;
      pos += n;
      if (n < len) break;
    }
  } catch (e) {
    if (total === 0) throw e;
  }
  if (appendFrom !== undefined) {
    // The offset is now the end of file where the host put the bytes: asked of the host only
    // if the guest needs it (fd_tell, a seek from it, a write after APPEND is cleared), so an
    // append costs the one host call. An append of nothing leaves it at the end too.
    if (total > 0) desc.offsetAtAppendEnd();
    else desc.offset = (h as FileHandle).size();
    return total;
  }
  if (!stream && !explicit) desc.offset = pos;
  return total;
}

/**
 * The same over iovecs given as views (sockets' calls). Byte counts come from `length`, which
 * V8 inlines for a Uint8Array, not `byteLength`, which it does not on Node 20.
 */
function transfer(desc: OpenFileDescription, iovs: Uint8Array[], position: number | undefined, write: boolean): number {
  const h = desc.handle;
  if (h.kind === 'directory') fail(Errno.ISDIR);
  const stream = h.kind === 'stream';
  if (stream && position !== undefined) fail(Errno.SPIPE);
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

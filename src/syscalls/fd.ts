import {
  Advice, Errno, FDFLAGS_ALL, Fstflags, FSTFLAGS_ALL, Rights, Whence,
} from '../abi/constants';
import { encodeListing } from '../abi/dirent';
import { fail } from '../abi/errors';
import { encodeString, storeU64, type GuestMemory } from '../abi/memory';
import type { FileStat, TimeUpdate } from '../backends/types';
import type { OpenFileDescription } from '../descriptors/description';
import { descriptor, rightsFromU64, toNumber, withRights, type Context } from './context';
import { errnoFor, MEMORY_MOVED_RETRIES, RETRY, selfGuarded } from './errno';
import { transferGuest } from './io';

/** Writes a filestat struct (64 bytes) at ptr. */
export function writeFilestat(mem: GuestMemory, ptr: number, st: FileStat): void {
  mem.check(ptr, 64);
  mem.setU64(ptr, st.dev);
  mem.setU64(ptr + 8, st.ino);
  // The u8 filetype and its 7 bytes of padding as one u64, so all 64 bytes are written
  // without zeroing them first.
  mem.setU64(ptr + 16, st.filetype);
  mem.setU64(ptr + 24, st.nlink);
  mem.setU64(ptr + 32, st.size);
  mem.setU64(ptr + 40, st.atim);
  mem.setU64(ptr + 48, st.mtim);
  mem.setU64(ptr + 56, st.ctim);
}

/** Decodes set_times arguments; both a value and NOW for one time, or unknown bits, are EINVAL. */
export function timeUpdates(atim: bigint, mtim: bigint, flags: number): [TimeUpdate, TimeUpdate] {
  if (flags & ~FSTFLAGS_ALL) fail(Errno.INVAL);
  if ((flags & Fstflags.ATIM) && (flags & Fstflags.ATIM_NOW)) fail(Errno.INVAL);
  if ((flags & Fstflags.MTIM) && (flags & Fstflags.MTIM_NOW)) fail(Errno.INVAL);
  const a: TimeUpdate = flags & Fstflags.ATIM_NOW ? 'now' : flags & Fstflags.ATIM ? BigInt.asUintN(64, atim) : null;
  const m: TimeUpdate = flags & Fstflags.MTIM_NOW ? 'now' : flags & Fstflags.MTIM ? BigInt.asUintN(64, mtim) : null;
  return [a, m];
}

function fileOf(desc: OpenFileDescription) {
  const h = desc.handle;
  if (h.kind === 'stream') fail(Errno.SPIPE);
  if (h.kind === 'directory') fail(Errno.ISDIR);
  return h;
}

/**
 * fd_seek and fd_tell. Like every syscall, checks argument values first (a bad whence), then
 * the fd, then memory (the out-pointer, before the offset moves), then the operation (a
 * negative or too large target). The hot path makes no BigInt work beyond reading `offset`
 * (a tell, offset 0n, not even that) and stores the result as two u32 halves.
 */
function seek(ctx: Context, fd: number, offset: bigint, whence: number, ptr: number, tellOnly: boolean): number {
  if (whence !== Whence.SET && whence !== Whence.CUR && whence !== Whence.END) return fail(Errno.INVAL);
  const d = ctx.table.get(fd);
  const desc = d.description;
  const h = desc.handle;
  // What the fd is decides first: a directory has no offset to move (EBADF, as wasmtime and
  // the official directory_seek test expect), whatever rights it was asked to carry.
  if (h.kind === 'stream') return fail(Errno.SPIPE);
  if (h.kind === 'directory') return fail(Errno.BADF);
  // Only "where am I" is a tell; anything else needs the seek right.
  const zero = offset === 0n;
  const right = tellOnly || (whence === Whence.CUR && zero) ? Rights.FD_TELL : Rights.FD_SEEK;
  if ((d.rightsBase & right) === 0) withRights(d, right);
  const m = ctx.mem;
  ptr >>>= 0;
  if (ptr + 8 > m.bytes.length) m.check(ptr, 8);
  // In doubles: a sum that should be at most 2^53 - 1 is exact, and an offset past +-2^53
  // rounds but stays past, so both checks still hold.
  // An i64 from wasm is a signed BigInt already; only a JS caller can pass the unsigned
  // form (>= 2^63), which is reinterpreted. (BigInt.asIntN on every call costs a runtime call.)
  let delta = zero ? 0 : Number(offset);
  if (delta >= 2 ** 63) delta = Number(BigInt.asIntN(64, offset));
  const target = (whence === Whence.CUR ? desc.offset : whence === Whence.END ? h.size() : 0) + delta;
  if (target < 0) return fail(Errno.INVAL);
  if (target > Number.MAX_SAFE_INTEGER) return fail(Errno.OVERFLOW);
  desc.offset = target;
  storeU64(m.view, ptr, target);
  return Errno.SUCCESS;
}

/** fd_read, fd_write, and with a position (>= 0) fd_pread, fd_pwrite: the count goes to outPtr. */
function io(ctx: Context, fd: number, iovs: number, iovsLen: number, outPtr: number, write: boolean, offset: bigint | null): number {
  const d = ctx.table.get(fd);
  let rights = write ? Rights.FD_WRITE : Rights.FD_READ;
  if (offset !== null) {
    // A pipe or stdio has no positions: ESPIPE (POSIX), before any question of rights.
    if (d.description.handle.kind === 'stream') fail(Errno.SPIPE);
    rights |= Rights.FD_SEEK;
  }
  if ((d.rightsBase & rights) !== rights) withRights(d, rights);
  const m = ctx.mem;
  m.check(outPtr, 4);
  m.checkIovecs(iovs, iovsLen);
  const position = offset === null ? -1 : toNumber(offset);
  const n = transferGuest(d.description, m, iovs, iovsLen >>> 0, position, write);
  // The transfer may have run host callbacks that grew memory: checked again.
  m.setU32(outPtr, n);
  return Errno.SUCCESS;
}

export function fdSyscalls(ctx: Context) {
  const mem = () => ctx.mem;
  const table = ctx.table;

  return {
    fd_read: selfGuarded((fd: number, iovs: number, iovsLen: number, nreadPtr: number): number => {
      for (let attempt = 0; ; attempt++) {
        try {
          return io(ctx, fd, iovs, iovsLen, nreadPtr, false, null);
        } catch (e) {
          const errno = errnoFor(e, attempt);
          if (errno !== RETRY) return errno;
        }
      }
    }),
    fd_write: selfGuarded((fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number => {
      for (let attempt = 0; ; attempt++) {
        try {
          return io(ctx, fd, iovs, iovsLen, nwrittenPtr, true, null);
        } catch (e) {
          const errno = errnoFor(e, attempt);
          if (errno !== RETRY) return errno;
        }
      }
    }),
    fd_pread: (fd: number, iovs: number, iovsLen: number, offset: bigint, nreadPtr: number): number =>
      io(ctx, fd, iovs, iovsLen, nreadPtr, false, offset),
    fd_pwrite: (fd: number, iovs: number, iovsLen: number, offset: bigint, nwrittenPtr: number): number =>
      io(ctx, fd, iovs, iovsLen, nwrittenPtr, true, offset),

    fd_seek: selfGuarded((fd: number, offset: bigint, whence: number, newOffsetPtr: number): number => {
      try {
        return seek(ctx, fd, offset, whence, newOffsetPtr, false);
      } catch (e) {
        return errnoFor(e, MEMORY_MOVED_RETRIES);
      }
    }),

    fd_tell: selfGuarded((fd: number, offsetPtr: number): number => {
      try {
        return seek(ctx, fd, 0n, Whence.CUR, offsetPtr, true);
      } catch (e) {
        return errnoFor(e, MEMORY_MOVED_RETRIES);
      }
    }),

    fd_close: selfGuarded((fd: number): number => {
      try {
        table.close(fd);
        return Errno.SUCCESS;
      } catch (e) {
        return errnoFor(e, MEMORY_MOVED_RETRIES);
      }
    }),

    fd_renumber: selfGuarded((from: number, to: number): number => {
      try {
        table.renumber(from, to, ctx.renumber);
        return Errno.SUCCESS;
      } catch (e) {
        return errnoFor(e, MEMORY_MOVED_RETRIES);
      }
    }),

    fd_fdstat_get: selfGuarded((fd: number, ptr: number): number => {
      try {
        const d = table.get(fd);
        const m = ctx.mem;
        ptr >>>= 0;
        if (ptr + 24 > m.bytes.length) m.check(ptr, 24);
        const v = m.view;
        const desc = d.description;
        // u8 filetype, a pad byte, u16 flags and 4 pad bytes: every byte written. Rights are
        // refwasi's 30-bit numbers, so their high halves are 0.
        v.setUint32(ptr, desc.filetype | (desc.flags << 16), true);
        v.setUint32(ptr + 4, 0, true);
        v.setUint32(ptr + 8, d.rightsBase, true);
        v.setUint32(ptr + 12, 0, true);
        v.setUint32(ptr + 16, d.rightsInheriting, true);
        v.setUint32(ptr + 20, 0, true);
        return Errno.SUCCESS;
      } catch (e) {
        return errnoFor(e, MEMORY_MOVED_RETRIES);
      }
    }),

    fd_fdstat_set_flags(fd: number, flags: number): number {
      if (flags & ~FDFLAGS_ALL) fail(Errno.INVAL);
      const d = descriptor(ctx, fd, Rights.FD_FDSTAT_SET_FLAGS);
      // Status flags belong to the description: every dup sees the change.
      d.description.flags = flags;
      return Errno.SUCCESS;
    },

    fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint): number {
      const d = ctx.table.get(fd);
      const b = rightsFromU64(base);
      const i = rightsFromU64(inheriting);
      if ((b & ~d.rightsBase) !== 0 || (i & ~d.rightsInheriting) !== 0) fail(Errno.NOTCAPABLE);
      d.rightsBase = b;
      d.rightsInheriting = i;
      return Errno.SUCCESS;
    },

    fd_filestat_get(fd: number, ptr: number): number {
      const d = descriptor(ctx, fd, Rights.FD_FILESTAT_GET);
      mem().check(ptr, 64);
      writeFilestat(mem(), ptr, d.handle.stat());
      return Errno.SUCCESS;
    },

    fd_filestat_set_size(fd: number, size: bigint): number {
      const d = descriptor(ctx, fd, Rights.FD_FILESTAT_SET_SIZE);
      const h = d.handle;
      if (h.kind !== 'file') fail(h.kind === 'directory' ? Errno.ISDIR : Errno.INVAL);
      if (!d.description.writable) fail(Errno.BADF);
      h.truncate(toNumber(size, Errno.FBIG));
      return Errno.SUCCESS;
    },

    fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, flags: number): number {
      const [a, m] = timeUpdates(atim, mtim, flags);
      const d = descriptor(ctx, fd, Rights.FD_FILESTAT_SET_TIMES);
      const h = d.handle;
      if (h.kind === 'file') h.setTimes(a, m);
      else if (h.kind === 'directory') h.dir.setTimes(a, m);
      else fail(Errno.BADF);
      return Errno.SUCCESS;
    },

    fd_advise(fd: number, offset: bigint, len: bigint, advice: number): number {
      if (advice < Advice.NORMAL || advice > Advice.NOREUSE) fail(Errno.INVAL);
      const d = descriptor(ctx, fd, Rights.FD_ADVISE);
      const h = fileOf(d.description);
      h.advise(toNumber(offset), toNumber(len), advice);
      return Errno.SUCCESS;
    },

    fd_allocate(fd: number, offset: bigint, len: bigint): number {
      const d = descriptor(ctx, fd, Rights.FD_ALLOCATE);
      const h = fileOf(d.description);
      if (!d.description.writable) fail(Errno.BADF);
      const o = toNumber(offset);
      const l = toNumber(len);
      if (l === 0) fail(Errno.INVAL);
      if (o + l > Number.MAX_SAFE_INTEGER) fail(Errno.FBIG);
      h.allocate(o, l);
      return Errno.SUCCESS;
    },

    fd_sync(fd: number): number {
      const h = descriptor(ctx, fd, Rights.FD_SYNC).handle;
      if (h.kind === 'file') h.sync();
      else if (h.kind === 'stream') {
        if (!h.sync) fail(Errno.INVAL);
        h.sync();
      }
      return Errno.SUCCESS;
    },

    fd_datasync(fd: number): number {
      const h = descriptor(ctx, fd, Rights.FD_DATASYNC).handle;
      if (h.kind === 'file') h.datasync();
      else if (h.kind === 'stream') {
        if (!h.sync) fail(Errno.INVAL);
        h.sync();
      }
      return Errno.SUCCESS;
    },

    fd_prestat_get(fd: number, ptr: number): number {
      const d = ctx.table.get(fd);
      // wasi-libc's start-up scan stops at the first EBADF: a non-preopen must give exactly that.
      if (d.preopenPath === null) fail(Errno.BADF);
      const m = mem();
      m.check(ptr, 8);
      m.setU32(ptr, 0);
      m.setU32(ptr + 4, encodeString(d.preopenPath).byteLength);
      return Errno.SUCCESS;
    },

    fd_prestat_dir_name(fd: number, pathPtr: number, pathLen: number): number {
      const d = ctx.table.get(fd);
      if (d.preopenPath === null) fail(Errno.NOTDIR);
      const name = encodeString(d.preopenPath);
      if (pathLen >>> 0 < name.byteLength) fail(Errno.NAMETOOLONG);
      // The buffer the guest declared is checked whole, as every buffer is.
      mem().check(pathPtr, pathLen >>> 0);
      mem().write(pathPtr, name);
      return Errno.SUCCESS;
    },

    fd_readdir: selfGuarded((fd: number, buf: number, bufLen: number, cookie: bigint, bufusedPtr: number): number => {
      try {
        const d = descriptor(ctx, fd, Rights.FD_READDIR);
        const desc = d.description;
        const h = desc.handle;
        if (h.kind !== 'directory') fail(Errno.NOTDIR);
        const m = ctx.mem;
        m.check(bufusedPtr, 4);
        bufLen >>>= 0;
        const bytes = m.check(buf, bufLen);
        // One snapshot per pass: a pass starts at cookie 0, and later cookies index into it,
        // so a whole listing costs O(entries) and cookies stay stable while it is read.
        if (cookie === 0n || desc.listing === null) {
          const dir = h.dir;
          desc.listing = dir.encodedListing ? dir.encodedListing() : encodeListing(dir.stat().ino, dir.list());
        }
        const listing = desc.listing;
        const count = listing.count;
        // A u64 cookie; one past the end (or any larger, or "negative" as i64) lists nothing.
        const c = cookie === 0n ? 0 : Number(BigInt.asUintN(64, cookie));
        const from = listing.starts[c < count ? c : count];
        const to = Math.min(listing.starts[count], from + bufLen);
        bytes.set(listing.bytes.subarray(from, to), buf >>> 0);
        m.view.setUint32(bufusedPtr >>> 0, to - from, true);
        return Errno.SUCCESS;
      } catch (e) {
        return errnoFor(e, MEMORY_MOVED_RETRIES);
      }
    }),
  };
}

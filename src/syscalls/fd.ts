import {
  Advice, Errno, FDFLAGS_ALL, Fdflags, Filetype, Fstflags, FSTFLAGS_ALL, Rights, SIZEOF_DIRENT, Whence,
} from '../abi/constants';
import { fail } from '../abi/errors';
import { encodeString, type GuestMemory } from '../abi/memory';
import type { FileStat, TimeUpdate } from '../backends/types';
import type { OpenFileDescription } from '../descriptors/description';
import { descriptor, rightsFromU64, toNumber, withRights, type Context } from './context';
import { readv, writev } from './io';

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

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function fileOf(desc: OpenFileDescription) {
  const h = desc.handle;
  if (h.kind === 'stream') fail(Errno.SPIPE);
  if (h.kind === 'directory') fail(Errno.ISDIR);
  return h;
}

/**
 * fd_seek and fd_tell. Like every syscall, checks the fd first, then memory (the out-pointer,
 * before the offset moves), then the operation (a negative or too large target).
 */
function seek(ctx: Context, fd: number, offset: bigint, whence: number, rights: number, outPtr: number): number {
  // What the fd is decides first: a directory has no offset to move (EBADF, as wasmtime and
  // the official directory_seek test expect), whatever rights it was asked to carry.
  const d = ctx.table.get(fd);
  const h = d.handle;
  if (h.kind === 'stream') fail(Errno.SPIPE);
  if (h.kind === 'directory') return fail(Errno.BADF);
  const desc = withRights(d, rights).description;
  ctx.mem.check(outPtr, 8);
  let base: number;
  switch (whence) {
    case Whence.SET: base = 0; break;
    case Whence.CUR: base = desc.offset; break;
    case Whence.END: base = h.size(); break;
    default: return fail(Errno.INVAL);
  }
  // In doubles, without BigInt arithmetic: a sum that should be at most 2^53 - 1 is exact,
  // and an offset past +-2^53 rounds but stays past, so both checks still hold.
  const target = base + Number(BigInt.asIntN(64, offset));
  if (target < 0) fail(Errno.INVAL);
  if (target > Number.MAX_SAFE_INTEGER) fail(Errno.OVERFLOW);
  desc.offset = target;
  return target;
}

export function fdSyscalls(ctx: Context) {
  const mem = () => ctx.mem;

  /** fd_read, fd_write, and with an offset fd_pread, fd_pwrite: the count goes to outPtr. */
  function io(fd: number, iovs: number, iovsLen: number, outPtr: number, write: boolean, offset?: bigint): number {
    const d = ctx.table.get(fd);
    let rights = write ? Rights.FD_WRITE : Rights.FD_READ;
    if (offset !== undefined) {
      // A pipe or stdio has no positions: ESPIPE (POSIX), before any question of rights.
      if (d.handle.kind === 'stream') fail(Errno.SPIPE);
      rights |= Rights.FD_SEEK;
    }
    const desc = withRights(d, rights).description;
    const m = mem();
    m.check(outPtr, 4);
    const buffers = m.iovecs(iovs, iovsLen);
    const position = offset === undefined ? undefined : toNumber(offset);
    m.setU32(outPtr, write ? writev(desc, buffers, position) : readv(desc, buffers, position));
    return Errno.SUCCESS;
  }

  return {
    fd_read: (fd: number, iovs: number, iovsLen: number, nreadPtr: number): number =>
      io(fd, iovs, iovsLen, nreadPtr, false),
    fd_write: (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number =>
      io(fd, iovs, iovsLen, nwrittenPtr, true),
    fd_pread: (fd: number, iovs: number, iovsLen: number, offset: bigint, nreadPtr: number): number =>
      io(fd, iovs, iovsLen, nreadPtr, false, offset),
    fd_pwrite: (fd: number, iovs: number, iovsLen: number, offset: bigint, nwrittenPtr: number): number =>
      io(fd, iovs, iovsLen, nwrittenPtr, true, offset),

    fd_seek(fd: number, offset: bigint, whence: number, newOffsetPtr: number): number {
      // A bad whence is EINVAL before the fd is looked at (argument values come first).
      if (whence !== Whence.SET && whence !== Whence.CUR && whence !== Whence.END) fail(Errno.INVAL);
      // Only "where am I" is a tell; anything else needs the seek right.
      const isTell = whence === Whence.CUR && offset === 0n;
      mem().setU64(newOffsetPtr, seek(ctx, fd, offset, whence, isTell ? Rights.FD_TELL : Rights.FD_SEEK, newOffsetPtr));
      return Errno.SUCCESS;
    },

    fd_tell(fd: number, offsetPtr: number): number {
      mem().setU64(offsetPtr, seek(ctx, fd, 0n, Whence.CUR, Rights.FD_TELL, offsetPtr));
      return Errno.SUCCESS;
    },

    fd_close(fd: number): number {
      ctx.table.close(fd);
      return Errno.SUCCESS;
    },

    fd_renumber(from: number, to: number): number {
      ctx.table.renumber(from, to, ctx.renumber);
      return Errno.SUCCESS;
    },

    fd_fdstat_get(fd: number, ptr: number): number {
      const d = ctx.table.get(fd);
      const m = mem();
      m.check(ptr, 24);
      // u8 filetype, a pad byte, u16 flags and 4 pad bytes as one u64: every byte written.
      m.setU64(ptr, d.description.filetype + d.description.flags * 0x10000);
      m.setU64(ptr + 8, d.rightsBase);
      m.setU64(ptr + 16, d.rightsInheriting);
      return Errno.SUCCESS;
    },

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

    fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, bufusedPtr: number): number {
      const d = descriptor(ctx, fd, Rights.FD_READDIR);
      const desc = d.description;
      const h = desc.handle;
      if (h.kind !== 'directory') fail(Errno.NOTDIR);
      const m = mem();
      m.check(bufusedPtr, 4);
      const out = m.slice(buf, bufLen >>> 0);
      // One snapshot per pass: a pass starts at cookie 0, and later cookies index into it,
      // so a whole listing costs O(entries) and cookies stay stable while it is read.
      if (cookie === 0n || desc.listing === null) {
        const self = h.dir.stat().ino;
        desc.listing = [
          { name: '.', filetype: Filetype.DIRECTORY, ino: self },
          { name: '..', filetype: Filetype.DIRECTORY, ino: self },
          ...h.dir.list(),
        ];
      }
      const entries = desc.listing;
      const start = BigInt.asUintN(64, cookie);
      const size = out.length;
      const view = new DataView(out.buffer, out.byteOffset, size);
      let used = 0;
      for (let i = start > BigInt(entries.length) ? entries.length : Number(start); i < entries.length && used < size; i++) {
        const e = entries[i];
        // An ASCII name (the usual kind) goes straight into the buffer, without TextEncoder.
        const ascii = isAscii(e.name);
        const name = ascii ? null : encodeString(e.name);
        const nameLength = name === null ? e.name.length : name.length;
        const whole = used + SIZEOF_DIRENT + nameLength <= size;
        const header = whole ? view : new DataView(new ArrayBuffer(SIZEOF_DIRENT));
        const at = whole ? used : 0;
        header.setUint32(at, i + 1, true); // d_next, a u64: i + 1 < 2^32
        header.setUint32(at + 4, 0, true);
        header.setBigUint64(at + 8, e.ino, true);
        header.setUint32(at + 16, nameLength, true);
        header.setUint32(at + 20, e.filetype, true);
        if (whole) {
          used += SIZEOF_DIRENT;
          if (name !== null) out.set(name, used);
          else for (let k = 0; k < nameLength; k++) out[used + k] = e.name.charCodeAt(k);
          used += nameLength;
          continue;
        }
        // The last entry is cut to fit; the guest sees a full buffer and asks again with its cookie.
        const h1 = Math.min(SIZEOF_DIRENT, size - used);
        out.set(new Uint8Array(header.buffer, 0, h1), used);
        used += h1;
        const bytes = name ?? encodeString(e.name);
        const n1 = Math.min(bytes.length, size - used);
        out.set(bytes.subarray(0, n1), used);
        used += n1;
      }
      m.setU32(bufusedPtr, used);
      return Errno.SUCCESS;
    },
  };
}

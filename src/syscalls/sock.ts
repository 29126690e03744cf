import { Errno, FDFLAGS_ALL, Fdflags, Riflags, Rights, Sdflags } from '../abi/constants';
import { fail } from '../abi/errors';
import type { StreamHandle } from '../backends/types';
import { OpenFileDescription } from '../descriptors/description';
import { descriptor, rightsFor, type Context } from './context';
import { readv, writev } from './io';

/**
 * The socket calls. refwasi never creates a socket itself (preview1 has no socket() or
 * connect()), so on everything refwasi makes they answer as wasmtime's do: EBADF for a
 * descriptor that is not open, ENOTSOCK for one that is. An embedder can still hand the
 * guest a socket: any StreamHandle with `socket: true` in the table, which these then drive.
 *
 * Arguments are checked in wasmtime's order: malformed flags are EINVAL before the fd is looked at.
 */
function socketAt(ctx: Context, fd: number, rights = 0): { desc: OpenFileDescription; h: StreamHandle } {
  const d = ctx.table.get(fd);
  const h = d.handle;
  if (h.kind !== 'stream' || !h.socket) fail(Errno.NOTSOCK);
  descriptor(ctx, fd, rights);
  return { desc: d.description, h };
}

const SDFLAGS_ALL = Sdflags.RD | Sdflags.WR;
const RIFLAGS_ALL = Riflags.RECV_PEEK | Riflags.RECV_WAITALL;

export function sockSyscalls(ctx: Context) {
  return {
    sock_accept(fd: number, flags: number, fdPtr: number): number {
      if (flags & ~FDFLAGS_ALL) fail(Errno.INVAL);
      const { h } = socketAt(ctx, fd, Rights.SOCK_ACCEPT);
      // Only NONBLOCK means anything for an accepted connection (wasi-libc passes nothing else).
      if (flags & ~Fdflags.NONBLOCK) fail(Errno.INVAL);
      if (!h.accept) fail(Errno.NOTSUP);
      ctx.mem.check(fdPtr, 4);
      const conn = h.accept();
      const rights = rightsFor('stream', true, true);
      const desc = new OpenFileDescription(conn, conn.filetype, flags & Fdflags.NONBLOCK, true, true);
      let newFd: number;
      try {
        newFd = ctx.table.insert(desc, rights.base | Rights.SOCK_SHUTDOWN, 0);
      } catch (e) {
        conn.close();
        throw e;
      }
      ctx.mem.setU32(fdPtr, newFd);
      return Errno.SUCCESS;
    },

    sock_recv(fd: number, iovs: number, iovsLen: number, riFlags: number, lenPtr: number, flagsPtr: number): number {
      if (riFlags & ~RIFLAGS_ALL) fail(Errno.INVAL);
      const { desc } = socketAt(ctx, fd, Rights.FD_READ);
      // Peeking needs the data to stay queued, which a plain stream handle can't promise.
      if (riFlags & Riflags.RECV_PEEK) fail(Errno.NOTSUP);
      const mem = ctx.mem;
      mem.check(lenPtr, 4);
      mem.check(flagsPtr, 2);
      const bufs = mem.iovecs(iovs, iovsLen);
      let n = readv(desc, bufs);
      if (riFlags & Riflags.RECV_WAITALL) {
        // Keep reading until the buffers are full or the peer is done.
        const want = bufs.reduce((sum, b) => sum + b.byteLength, 0);
        while (n > 0 && n < want) {
          let more: number;
          try {
            more = readv(desc, remaining(bufs, n));
          } catch {
            break; // what arrived so far is the result; the error comes back on the next call
          }
          if (more === 0) break;
          n += more;
        }
      }
      mem.setU32(lenPtr, n);
      mem.setU16(flagsPtr, 0);
      return Errno.SUCCESS;
    },

    sock_send(fd: number, iovs: number, iovsLen: number, _siFlags: number, lenPtr: number): number {
      // siflags has no flags defined: any value is accepted, as in wasmtime.
      const { desc } = socketAt(ctx, fd, Rights.FD_WRITE);
      ctx.mem.check(lenPtr, 4);
      ctx.mem.setU32(lenPtr, writev(desc, ctx.mem.iovecs(iovs, iovsLen)));
      return Errno.SUCCESS;
    },

    sock_shutdown(fd: number, how: number): number {
      if (how & ~SDFLAGS_ALL) fail(Errno.INVAL);
      const { h } = socketAt(ctx, fd, Rights.SOCK_SHUTDOWN);
      if (how === 0) fail(Errno.INVAL);
      if (!h.shutdown) fail(Errno.NOTSUP);
      h.shutdown(how);
      return Errno.SUCCESS;
    },
  };
}

/** The part of `bufs` after the first `skip` bytes. */
function remaining(bufs: Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of bufs) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    out.push(b.subarray(skip));
    skip = 0;
  }
  return out;
}

import { Errno, Rights } from '../abi/constants';
import { fail } from '../abi/errors';
import type { StreamHandle } from '../backends/types';
import { descriptor, type Context } from './context';
import { readv, writev } from './io';

/** The socket at fd: EBADF if fd is not open, ENOTSOCK if it is open but not a socket. */
function socketAt(ctx: Context, fd: number, rights = 0) {
  const d = descriptor(ctx, fd, 0);
  const h = d.handle;
  if (h.kind !== 'stream' || !h.socket) fail(Errno.NOTSOCK);
  if ((d.rightsBase & rights) !== rights) fail(Errno.NOTCAPABLE);
  return { d, h: h as StreamHandle };
}

export function sockSyscalls(ctx: Context) {
  return {
    sock_accept(fd: number, _flags: number, _fdPtr: number): number {
      socketAt(ctx, fd, Rights.SOCK_ACCEPT);
      // No listening sockets are ever handed to the guest, so there is nothing to accept.
      return fail(Errno.NOTSUP);
    },

    sock_recv(fd: number, iovs: number, iovsLen: number, riFlags: number, lenPtr: number, flagsPtr: number): number {
      const { d } = socketAt(ctx, fd, Rights.FD_READ);
      if (riFlags & ~3) fail(Errno.INVAL);
      ctx.mem.check(lenPtr, 4);
      ctx.mem.check(flagsPtr, 2);
      const n = readv(d.description, ctx.mem.iovecs(iovs, iovsLen));
      ctx.mem.setU32(lenPtr, n);
      ctx.mem.setU16(flagsPtr, 0);
      return Errno.SUCCESS;
    },

    sock_send(fd: number, iovs: number, iovsLen: number, _siFlags: number, lenPtr: number): number {
      const { d } = socketAt(ctx, fd, Rights.FD_WRITE);
      ctx.mem.check(lenPtr, 4);
      ctx.mem.setU32(lenPtr, writev(d.description, ctx.mem.iovecs(iovs, iovsLen)));
      return Errno.SUCCESS;
    },

    sock_shutdown(fd: number, how: number): number {
      const { h } = socketAt(ctx, fd, Rights.SOCK_SHUTDOWN);
      if (how < 1 || how > 3) fail(Errno.INVAL);
      if (!h.shutdown) fail(Errno.NOTSUP);
      h.shutdown(how);
      return Errno.SUCCESS;
    },
  };
}

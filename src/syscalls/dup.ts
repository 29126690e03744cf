import { DescriptorFlags, Errno, Filetype } from '../abi/constants';
import { fail } from '../abi/errors';
import { Pipe } from '../backends/pipe';
import { OpenFileDescription } from '../descriptors/description';
import { rightsFor, type Context } from './context';
import { errnoFor, MEMORY_MOVED_RETRIES, selfGuarded } from './errno';

/**
 * The dup extension, in the WASIX ABI (import module `wasix_32v1`), with POSIX meaning:
 * dup clears CLOEXEC and shares the description (offset and status flags).
 * Checks come in the order every refwasi syscall keeps: argument values (EINVAL), then the
 * descriptor (EBADF), then out-pointers (EFAULT), all before anything is created, so a bad
 * pointer never leaks an fd.
 */
export function dupSyscalls(ctx: Context) {
  return {
    fd_dup: selfGuarded((fd: number, retPtr: number): number => {
      try {
        const table = ctx.table;
        table.get(fd);
        const m = ctx.mem;
        retPtr >>>= 0;
        if (retPtr + 4 > m.bytes.length) m.check(retPtr, 4);
        m.view.setUint32(retPtr, table.dup(fd), true);
        return Errno.SUCCESS;
      } catch (e) {
        return errnoFor(e, MEMORY_MOVED_RETRIES);
      }
    }),

    /**
     * fcntl(F_DUPFD / F_DUPFD_CLOEXEC): lowest free fd >= min. Not POSIX dup2, despite the name.
     * A min no fd can have (negative, or at or past maxDescriptors) is EINVAL, as Linux gives
     * for F_DUPFD at or past RLIMIT_NOFILE.
     */
    fd_dup2(fd: number, min: number, cloexec: number, retPtr: number): number {
      if (cloexec !== 0 && cloexec !== 1) fail(Errno.INVAL);
      if (min < 0 || min >= ctx.table.maxDescriptors) fail(Errno.INVAL);
      ctx.table.get(fd);
      ctx.mem.check(retPtr, 4);
      ctx.mem.setU32(retPtr, ctx.table.dup(fd, min, cloexec === 1));
      return Errno.SUCCESS;
    },

    fd_fdflags_get(fd: number, retPtr: number): number {
      const d = ctx.table.get(fd);
      ctx.mem.setU16(retPtr, d.fdflags);
      return Errno.SUCCESS;
    },

    fd_fdflags_set(fd: number, flags: number): number {
      if (flags & ~DescriptorFlags.CLOEXEC) fail(Errno.INVAL);
      const d = ctx.table.get(fd);
      d.fdflags = flags;
      return Errno.SUCCESS;
    },

    fd_pipe(readPtr: number, writePtr: number): number {
      ctx.mem.check(readPtr, 4);
      ctx.mem.check(writePtr, 4);
      const pipe = new Pipe();
      const r = new OpenFileDescription(pipe.readEnd, Filetype.UNKNOWN, 0, true, false);
      const w = new OpenFileDescription(pipe.writeEnd, Filetype.UNKNOWN, 0, false, true);
      const rfd = ctx.table.insert(r, rightsFor('stream', true, false).base, 0);
      let wfd: number;
      try {
        wfd = ctx.table.insert(w, rightsFor('stream', false, true).base, 0);
      } catch (e) {
        ctx.table.close(rfd);
        throw e;
      }
      ctx.mem.setU32(readPtr, rfd);
      ctx.mem.setU32(writePtr, wfd);
      return Errno.SUCCESS;
    },
  };
}

import { constants as osConstants } from 'node:os';
import { Filetype } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { DirEntry, TimeUpdate } from '../types';
import { errnoFromNumber, nativeResult } from './errno';
import type { FileOps, HostOps } from './host-ops';
import { nativeAddon, type NativeAddon } from './native';
import { NativeStats } from './stat';

const { ENOENT, ENOSYS } = osConstants.errno;
/** Whether openat2 works here (the addon answers ENOSYS once if not). */
const beneath = { available: true };
const AT_FDCWD = -100;
const NS = 1_000_000_000n;

/** The addon's *at() calls on each directory's own fd, with single names: no path is walked by the host. */
function makeOps(addon: NativeAddon): { ops: HostOps; fileOps: FileOps } {
  const c = addon.constants();
  // One buffer per thread for stats (calls are synchronous), copied out at once.
  const statBuf = new BigInt64Array(8);
  const timesBuf = new BigInt64Array(4);
  const filetypes = new Map<number, Filetype>([
    [c.DT_REG, Filetype.REGULAR_FILE],
    [c.DT_DIR, Filetype.DIRECTORY],
    [c.DT_LNK, Filetype.SYMBOLIC_LINK],
    [c.DT_CHR, Filetype.CHARACTER_DEVICE],
    [c.DT_BLK, Filetype.BLOCK_DEVICE],
    [c.DT_SOCK, Filetype.SOCKET_STREAM],
  ]);

  /** A WASI time for utimensat: UTIME_OMIT (leave it), UTIME_NOW, or seconds and nanoseconds, exact. */
  function times(atim: TimeUpdate, mtim: TimeUpdate): BigInt64Array {
    const put = (u: TimeUpdate, i: number): void => {
      if (u === null || u === 'now') {
        timesBuf[i] = 0n;
        timesBuf[i + 1] = BigInt(u === null ? c.UTIME_OMIT : c.UTIME_NOW);
        return;
      }
      let s = u / NS;
      let n = u % NS;
      if (n < 0n) {
        n += NS;
        s -= 1n;
      }
      timesBuf[i] = s;
      timesBuf[i + 1] = n;
    };
    put(atim, 0);
    put(mtim, 2);
    return timesBuf;
  }

  const stats = (r: number, what: string): NativeStats => {
    nativeResult(r, what);
    return new NativeStats(statBuf);
  };

  const ops: HostOps = {
    openDir(parent, name) {
      const fd = nativeResult(addon.openDir(parent === null ? AT_FDCWD : parent.openFd(), name, statBuf), 'openat');
      return { fd, stats: new NativeStats(statBuf) };
    },
    closeFd: (fd) => void nativeResult(addon.close(fd), 'close'),
    dirStat: (dir) => stats(addon.fstat(dir.openFd(), statBuf), 'fstat'),
    lstat(dir, name) {
      const r = addon.fstatat(dir.openFd(), name, statBuf);
      return r === -ENOENT ? undefined : stats(r, 'fstatat');
    },
    /** One call: readdir's d_ino and d_type, so no entry needs an lstat of its own. */
    list(dir) {
      const r = addon.readdir(dir.openFd());
      if (typeof r === 'number') fail(errnoFromNumber(-r), 'readdir');
      const [joined, inos, types] = r;
      const out: DirEntry[] = [];
      if (inos.length === 0) return out;
      const names = joined.split('/');
      for (let i = 0; i < names.length; i++) {
        out.push({ name: names[i]!, filetype: filetypes.get(types[i]!) ?? Filetype.UNKNOWN, ino: inos[i]! });
      }
      return out;
    },
    openExisting(dir, path, flags) {
      const several = path.includes('/');
      if (several && !beneath.available) return null;
      const fd = addon.openEntry(dir.openFd(), path, flags, statBuf);
      // No openat2 here (old kernel, seccomp): paths are walked the long way from now on.
      if (fd === -ENOSYS && several) beneath.available = false;
      return fd < 0 ? null : { fd, stats: new NativeStats(statBuf) };
    },
    openFile: (dir, name, flags, rejectDir) => nativeResult(addon.openFile(dir.openFd(), name, flags, rejectDir ? 1 : 0), 'openat'),
    mkdir: (dir, name) => void nativeResult(addon.mkdirat(dir.openFd(), name, 0o777), 'mkdirat'),
    rmdir: (dir, name) => void nativeResult(addon.unlinkat(dir.openFd(), name, 1), 'unlinkat'),
    unlink: (dir, name) => void nativeResult(addon.unlinkat(dir.openFd(), name, 0), 'unlinkat'),
    symlink: (target, dir, name) => void nativeResult(addon.symlinkat(target, dir.openFd(), name), 'symlinkat'),
    link: (dir, name, toDir, toName) => void nativeResult(addon.linkat(dir.openFd(), name, toDir.openFd(), toName), 'linkat'),
    rename: (dir, name, toDir, toName) => void nativeResult(addon.renameat(dir.openFd(), name, toDir.openFd(), toName), 'renameat'),
    readlink(dir, name) {
      const r = addon.readlinkat(dir.openFd(), name);
      return typeof r === 'string' ? r : fail(errnoFromNumber(-r), 'readlinkat');
    },
    setEntryTimes: (dir, name, atim, mtim) => void nativeResult(addon.utimensat(dir.openFd(), name, times(atim, mtim), 0), 'utimensat'),
    /** Through the fd's /proc/self/fd link, followed to the object: utimensat can't take an O_PATH fd itself. */
    setDirTimes: (dir, atim, mtim) => void nativeResult(addon.utimensat(AT_FDCWD, `/proc/self/fd/${dir.openFd()}`, times(atim, mtim), 1), 'utimensat'),
  };

  const fileOps: FileOps = {
    read: (fd, bytes, at, length, position) => nativeResult(addon.pread(fd, bytes, at, length, position), 'pread'),
    write: (fd, bytes, at, length, position) => nativeResult(addon.pwrite(fd, bytes, at, length, position), 'pwrite'),
    append: (fd, bytes, at, length) => nativeResult(addon.append(fd, bytes, at, length), 'append'),
    tell: (fd) => nativeResult(addon.tell(fd), 'lseek'),
    size: (fd) => nativeResult(addon.fsize(fd), 'fstat'),
    stat: (fd) => stats(addon.fstat(fd, statBuf), 'fstat'),
    setTimes: (fd, atim, mtim) => void nativeResult(addon.futimens(fd, times(atim, mtim)), 'futimens'),
    close: (fd) => void nativeResult(addon.close(fd), 'close'),
  };
  return { ops, fileOps };
}

const made = nativeAddon === null ? null : makeOps(nativeAddon);
export const nativeOps: HostOps | null = made?.ops ?? null;
export const nativeFileOps: FileOps | null = made?.fileOps ?? null;

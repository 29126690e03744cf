import * as hostFs from 'node:fs';
import { Errno } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { DirEntry } from '../types';
import { hostCall } from './errno';
import type { HostDir } from './host-dir';
import { addressing, dirFdCounters } from './host-dir-mode';
import type { FileOps, HostOps } from './host-ops';
import { filetypeOf, hostTimes } from './stat';

const { O_DIRECTORY = 0, O_NOFOLLOW = 0, O_RDONLY } = hostFs.constants;
/**
 * O_PATH: an fd that names the directory without opening it for reading, so a directory the
 * guest may only search (x, not r) can still be walked through, as openat would. Its value
 * is the generic one, which every architecture Node runs on uses.
 */
const O_PATH = process.platform === 'linux' ? 0o10000000 : 0;
const DIR_FLAGS = (O_PATH || O_RDONLY) | O_DIRECTORY | O_NOFOLLOW;
const big = { bigint: true } as const;

/** Node's fs: each name as `/proc/self/fd/N/name` (fd mode) or a checked host path (HostDir.child). */
export const jsOps: HostOps = {
  openDir(parent, name) {
    const where = parent === null ? name : `/proc/self/fd/${parent.openFd()}/${name}`;
    const fd = hostCall(() => hostFs.openSync(where, DIR_FLAGS));
    try {
      return { fd, stats: hostCall(() => hostFs.fstatSync(fd, big)) };
    } catch (error) {
      // Opened and closed again: counted, so tests see that it was given up.
      dirFdCounters.opened++;
      dirFdCounters.closed++;
      hostFs.closeSync(fd);
      throw error;
    }
  },
  closeFd: (fd) => hostCall(() => hostFs.closeSync(fd)),
  dirStat(dir) {
    const fd = dir.openFd();
    return hostCall(() => hostFs.fstatSync(fd, big));
  },
  lstat(dir, name) {
    const at = dir.child(name);
    return hostCall(() => hostFs.lstatSync(at, { bigint: true, throwIfNoEntry: false }));
  },
  /** Node's readdir has no inode numbers: one lstat per entry gives them. */
  list(dir) {
    const self = dir.base();
    const out: DirEntry[] = [];
    for (const name of hostCall(() => hostFs.readdirSync(self))) {
      const stats = hostCall(() => hostFs.lstatSync(`${self}/${name}`, { bigint: true, throwIfNoEntry: false }));
      // Gone since readdir: the listing is a snapshot, and the entry is no longer in it.
      if (stats !== undefined) out.push({ name, filetype: filetypeOf(stats), ino: stats.ino });
    }
    return out;
  },
  /** One name only: Node's open would follow symlinks in the directories of a longer path. */
  openExisting(dir, name, flags) {
    if (name.includes('/')) return null;
    let fd: number;
    try {
      fd = hostFs.openSync(dir.child(name), flags, 0o666);
    } catch {
      return null;
    }
    try {
      const stats = hostFs.fstatSync(fd, big);
      if (!stats.isDirectory()) return { fd, stats };
    } catch {
      // Answered the long way, as any failure here.
    }
    hostFs.closeSync(fd);
    return null;
  },
  openFile(dir, name, flags, rejectDir) {
    const at = dir.child(name);
    const fd = hostCall(() => hostFs.openSync(at, flags, 0o666));
    try {
      if (rejectDir && hostCall(() => hostFs.fstatSync(fd)).isDirectory()) fail(Errno.ISDIR);
    } catch (error) {
      hostFs.closeSync(fd);
      throw error;
    }
    return fd;
  },
  mkdir: (dir, name) => hostCall(() => hostFs.mkdirSync(dir.child(name), 0o777)),
  rmdir: (dir, name) => hostCall(() => hostFs.rmdirSync(dir.child(name))),
  unlink: (dir, name) => hostCall(() => hostFs.unlinkSync(dir.child(name))),
  symlink: (target, dir, name) => hostCall(() => hostFs.symlinkSync(target, dir.child(name))),
  link: (dir, name, toDir, toName) => hostCall(() => hostFs.linkSync(dir.child(name), toDir.child(toName))),
  rename: (dir, name, toDir, toName) => hostCall(() => hostFs.renameSync(dir.child(name), toDir.child(toName))),
  readlink: (dir, name) => hostCall(() => hostFs.readlinkSync(dir.child(name), 'utf8')),
  /** lutimes, so a name that became a symlink since lookup is never followed. */
  setEntryTimes(dir, name, atim, mtim) {
    const at = dir.child(name);
    hostCall(() => {
      const [a, m] = hostTimes(atim, mtim, () => hostFs.lstatSync(at, big));
      hostFs.lutimesSync(at, a, m);
    });
  },
  /** fd mode: utimes through the /proc/self/fd link, which is followed to the object itself. */
  setDirTimes(dir, atim, mtim) {
    const self = dir.base();
    hostCall(() => {
      const [a, m] = hostTimes(atim, mtim, () => dir.stat());
      if (addressing.byFd) hostFs.utimesSync(self, a, m);
      else hostFs.lutimesSync(self, a, m);
    });
  },
};

export const jsFileOps: FileOps = {
  read: (fd, bytes, at, length, position) => hostCall(() => hostFs.readSync(fd, bytes, at, length, position)),
  write: (fd, bytes, at, length, position) => hostCall(() => hostFs.writeSync(fd, bytes, at, length, position)),
  size: (fd) => hostCall(() => hostFs.fstatSync(fd).size),
  stat: (fd) => hostCall(() => hostFs.fstatSync(fd, big)),
  setTimes(fd, atim, mtim) {
    hostCall(() => {
      const [a, m] = hostTimes(atim, mtim, () => hostFs.fstatSync(fd, big));
      hostFs.futimesSync(fd, a, m);
    });
  },
  close: (fd) => hostCall(() => hostFs.closeSync(fd)),
};

import type { DirEntry, TimeUpdate } from '../types';
import type { HostDir } from './host-dir';
import { addressing } from './host-dir-mode';
import { jsFileOps, jsOps } from './js-ops';
import { nativeFileOps, nativeOps } from './native-ops';
import type { HostStats } from './stat';

/**
 * The host calls NodeDirectory makes, each on one name inside one directory object. Two
 * implementations: Node's fs through `/proc/self/fd/N/name` or a checked path (js-ops.ts),
 * and the native addon's *at() calls on the directory fd itself (native-ops.ts). Every
 * failure leaves as a WasiError.
 */
export interface HostOps {
  /** A directory fd (O_PATH | O_DIRECTORY | O_NOFOLLOW) on `name` in `parent`, or on the path `name` for a root, with its fstat. */
  openDir(parent: HostDir | null, name: string): { fd: number; stats: HostStats };
  closeFd(fd: number): void;
  /** The fstat of a directory's own fd (fd mode). */
  dirStat(dir: HostDir): HostStats;
  /** The entry's lstat (never followed), or undefined if there is no such entry. */
  lstat(dir: HostDir, name: string): HostStats | undefined;
  /** The entries with their types and inode numbers, unsorted, without '.' and '..'. */
  list(dir: HostDir): DirEntry[];
  /**
   * A file fd on an existing `path` (a name, or plain names joined by '/') that is not a
   * directory, with no symlink followed anywhere (flags hold O_NOFOLLOW), with its fstat;
   * null on any failure, or a path this implementation cannot walk in one call, which the
   * caller then answers the long way.
   */
  openExisting(dir: HostDir, path: string, flags: number): { fd: number; stats: HostStats } | null;
  /** A file fd; with rejectDir a directory is EISDIR (Linux would open it read-only). */
  openFile(dir: HostDir, name: string, flags: number, rejectDir: boolean): number;
  mkdir(dir: HostDir, name: string): void;
  rmdir(dir: HostDir, name: string): void;
  unlink(dir: HostDir, name: string): void;
  symlink(target: string, dir: HostDir, name: string): void;
  link(dir: HostDir, name: string, toDir: HostDir, toName: string): void;
  rename(dir: HostDir, name: string, toDir: HostDir, toName: string): void;
  readlink(dir: HostDir, name: string): string;
  /** The entry's own times (a symlink's, if it is one). */
  setEntryTimes(dir: HostDir, name: string, atim: TimeUpdate, mtim: TimeUpdate): void;
  /** The directory object's own times. */
  setDirTimes(dir: HostDir, atim: TimeUpdate, mtim: TimeUpdate): void;
}

/** The calls on an open file's host fd. */
export interface FileOps {
  /** One read into bytes [at, at + length). */
  read(fd: number, bytes: Uint8Array, at: number, length: number, position: number): number;
  /** One write from bytes [at, at + length): it may write less. */
  write(fd: number, bytes: Uint8Array, at: number, length: number, position: number): number;
  /**
   * One write at the host's end of file, atomically (where the host can: the native addon),
   * leaving the fd's own offset just past it for tell(). Without it, an append is size()
   * then write.
   */
  append?(fd: number, bytes: Uint8Array, at: number, length: number): number;
  tell?(fd: number): number;
  size(fd: number): number;
  stat(fd: number): HostStats;
  setTimes(fd: number, atim: TimeUpdate, mtim: TimeUpdate): void;
  close(fd: number): void;
}

/**
 * Whether the native addon is used (it loaded, and REFWASI_NATIVE is not 0). Tests that
 * inject faults into Node's fs switch it off for their run.
 */
export const nativeCalls = { enabled: nativeOps !== null };

/**
 * The addon where it is enabled and directories are held as fds (its *at() calls need the
 * fd mode); Node's fs otherwise. Chosen per call, since tests switch the addressing mode.
 */
export function hostOps(): HostOps {
  return addressing.byFd && nativeCalls.enabled && nativeOps !== null ? nativeOps : jsOps;
}

/** File fds are the same in both modes: the addon wherever it is enabled. */
export function fileOps(): FileOps {
  return nativeCalls.enabled && nativeFileOps !== null ? nativeFileOps : jsFileOps;
}

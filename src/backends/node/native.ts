import { createRequire } from 'node:module';
import * as hostFs from 'node:fs';
import * as hostPath from 'node:path';

/**
 * refwasi's optional native addon (native/refwasi_native.c): the *at() system calls on held
 * directory fds, and pread/pwrite, without Node's fs binding, which costs about a microsecond
 * per call above the system call. Every function returns -errno on failure (readlinkat and
 * readdir return their value otherwise). Stat buffers are 8 int64s: dev, ino, mode, nlink,
 * size, atime, mtime and ctime in ns.
 */
export interface NativeAddon {
  fstatat(dirfd: number, name: string, out: BigInt64Array): number;
  fstat(fd: number, out: BigInt64Array): number;
  fsize(fd: number): number;
  /** openat(dirfd, name, flags | O_CLOEXEC, 0666); rejectDir 1: a directory is closed again, EISDIR. */
  openFile(dirfd: number, name: string, flags: number, rejectDir: 0 | 1): number;
  /** openat(dirfd, name, flags | O_CLOEXEC, 0666) and its fstat into out; a directory is closed again, EISDIR. */
  openEntry(dirfd: number, name: string, flags: number, out: BigInt64Array): number;
  /** openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW) and its fstat into out; dirfd -100 is AT_FDCWD. */
  openDir(dirfd: number, name: string, out: BigInt64Array): number;
  close(fd: number): number;
  mkdirat(dirfd: number, name: string, mode: number): number;
  unlinkat(dirfd: number, name: string, removeDir: 0 | 1): number;
  symlinkat(target: string, dirfd: number, name: string): number;
  linkat(fromDir: number, from: string, toDir: number, to: string): number;
  renameat(fromDir: number, from: string, toDir: number, to: string): number;
  readlinkat(dirfd: number, name: string): string | number;
  /** times: atime s, ns, mtime s, ns (ns may be UTIME_NOW, UTIME_OMIT); follow 0 is AT_SYMLINK_NOFOLLOW. */
  utimensat(dirfd: number, name: string, times: BigInt64Array, follow: 0 | 1): number;
  futimens(fd: number, times: BigInt64Array): number;
  /** pread and pwrite of bytes [at, at + length) of the array itself (guest memory: no copy). */
  pread(fd: number, bytes: Uint8Array, at: number, length: number, position: number): number;
  pwrite(fd: number, bytes: Uint8Array, at: number, length: number, position: number): number;
  /** Appends the range atomically at the host's end of file (RWF_APPEND), leaving the fd's offset past it. */
  append(fd: number, bytes: Uint8Array, at: number, length: number): number;
  /** lseek(fd, 0, SEEK_CUR): where the last append ended. */
  tell(fd: number): number;
  /** Names joined by '/', inode numbers, d_type values; without '.' and '..'. */
  readdir(dirfd: number): [string, BigUint64Array, Uint8Array] | number;
  constants(): { UTIME_NOW: number; UTIME_OMIT: number; DT_DIR: number; DT_REG: number; DT_LNK: number; DT_CHR: number; DT_BLK: number; DT_SOCK: number };
}

declare const __refwasi_esm_url: string | undefined;

const ADDON = hostPath.join('native', 'build', 'Release', 'refwasi_native.node');

/**
 * Where the built addon may be: the package root holds native/build/Release, and this module
 * is three or four directories below it (src/backends/node, dist/cjs/backends/node) or two (a
 * dist/esm chunk). REFWASI_NATIVE may name the file itself (for bundles that live elsewhere).
 */
function candidates(): string[] {
  const setting = process.env.REFWASI_NATIVE;
  if (setting !== undefined && setting !== '' && setting !== '1') return [hostPath.resolve(setting)];
  let here: string | undefined;
  if (typeof __dirname === 'string') here = __dirname;
  else if (typeof __refwasi_esm_url === 'string') here = hostPath.dirname(decodeURIComponent(new URL(__refwasi_esm_url).pathname));
  if (here === undefined) return [];
  const out: string[] = [];
  for (let dir = here, i = 0; i <= 4; i++, dir = hostPath.dirname(dir)) out.push(hostPath.join(dir, ADDON));
  return out;
}

/**
 * The addon, or null: REFWASI_NATIVE=0, not Linux (the addon serves the fd mode, which needs
 * /proc/self/fd; elsewhere NodeDirectory addresses directories by path), not built, or it fails
 * to load. Loaded once per thread; every caller falls back to Node's fs when it is null.
 */
function load(): NativeAddon | null {
  if (process.env.REFWASI_NATIVE === '0' || process.platform !== 'linux') return null;
  const file = candidates().find((f) => hostFs.existsSync(f));
  if (file === undefined) return null;
  try {
    const addon = createRequire(file)(file) as NativeAddon;
    return typeof addon.fstatat === 'function' ? addon : null;
  } catch {
    return null;
  }
}

export const nativeAddon: NativeAddon | null = load();

// A guest without a wasm module: the WASI imports called directly, with a real
// WebAssembly.Memory, exactly as a compiled program would call them. Paths and buffers are
// written into guest memory first, so every call goes through the same pointer decoding,
// bounds checks and errno wrapping as a real program's.
import { Errno, Fdflags, Lookupflags, Oflags, RIGHTS_ALL, Rights, Whence } from '../../src/abi/constants';
import type { DirectoryInode } from '../../src/backends/types';
import { WASI, type WASIOptions } from '../../src/wasi';

type Call = (...args: (number | bigint)[]) => number;

// Memory layout (one 64 KiB page): out-values, then two path buffers, then an iovec and data.
const OUT = 0; // 16 bytes of out-values
const PATH_A = 64;
const PATH_B = 8256;
const IOVEC = 16448;
const DATA = 16512;
export const DATA_SIZE = 65536 - DATA;

export interface OpenOptions {
  /** The directory fd paths are relative to (default 3, the first preopen). */
  dirfd?: number;
  /** LOOKUPFLAGS_SYMLINK_FOLLOW (default true, as open(2) without O_NOFOLLOW). */
  follow?: boolean;
  oflags?: number;
  fdflags?: number;
  /** Ask for write access (wasi-libc's O_WRONLY / O_RDWR rights); default read-only. */
  write?: boolean;
  /** Rights asked for (default: what wasi-libc asks for, by `write`). */
  rights?: bigint;
}

export interface Result<T = number> {
  errno: Errno;
  value: T;
}

const utf8 = new TextEncoder();

/** The rights wasi-libc's open() asks for: everything but the write rights unless writing. */
const WRITE_RIGHTS = Rights.FD_DATASYNC | Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE;
const READ_ONLY_RIGHTS = BigInt(RIGHTS_ALL & ~WRITE_RIGHTS);

/**
 * A WASI object with memory bound and one method per syscall it tests. Every method
 * returns the errno; out-values come back in `value`. Paths may be strings or raw bytes
 * (to pass NUL or invalid UTF-8).
 */
export class Guest {
  readonly wasi: WASI;
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly p1: Record<string, Call>;
  private readonly wasix: Record<string, Call>;

  constructor(options: WASIOptions) {
    this.wasi = new WASI({ stdout: () => {}, stderr: () => {}, ...options });
    this.wasi.setMemory(this.memory);
    const imports = this.wasi.getImportObject();
    this.p1 = imports.wasi_snapshot_preview1 as unknown as Record<string, Call>;
    this.wasix = imports.wasix_32v1 as unknown as Record<string, Call>;
  }

  /** A guest with one preopen at fd 3. */
  static over(dir: DirectoryInode, guestPath = '/sandbox', options: WASIOptions = {}): Guest {
    return new Guest({ ...options, preopens: { [guestPath]: dir } });
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  private view(): DataView {
    return new DataView(this.memory.buffer);
  }

  private put(at: number, path: string | Uint8Array, room: number): [number, number] {
    const bytes = typeof path === 'string' ? utf8.encode(path) : path;
    if (bytes.byteLength > room) throw new Error(`path of ${bytes.byteLength} bytes does not fit the test buffer`);
    this.bytes.set(bytes, at);
    return [at, bytes.byteLength];
  }

  private pathA(path: string | Uint8Array): [number, number] {
    return this.put(PATH_A, path, PATH_B - PATH_A);
  }

  private pathB(path: string | Uint8Array): [number, number] {
    return this.put(PATH_B, path, IOVEC - PATH_B);
  }

  private u32(at: number): number {
    return this.view().getUint32(at, true);
  }

  private result<T>(errno: number, value: () => T, fallback: T): Result<T> {
    return errno === Errno.SUCCESS ? { errno, value: value() } : { errno, value: fallback };
  }

  open(path: string | Uint8Array, o: OpenOptions = {}): Result {
    const [ptr, len] = this.pathA(path);
    const rights = o.rights ?? (o.write ? BigInt(RIGHTS_ALL) : READ_ONLY_RIGHTS);
    this.view().setUint32(OUT, 0xffffffff, true);
    const errno = this.p1.path_open(
      o.dirfd ?? 3, o.follow === false ? 0 : Lookupflags.SYMLINK_FOLLOW, ptr, len,
      o.oflags ?? 0, rights, rights, o.fdflags ?? 0, OUT,
    );
    return this.result(errno, () => this.u32(OUT), -1);
  }

  /** Opens a directory (O_DIRECTORY) for use as a dirfd. */
  openDir(path: string, dirfd = 3): Result {
    return this.open(path, { dirfd, oflags: Oflags.DIRECTORY });
  }

  create(path: string | Uint8Array, o: OpenOptions = {}): Result {
    return this.open(path, { ...o, oflags: (o.oflags ?? 0) | Oflags.CREAT });
  }

  close(fd: number): Errno {
    return this.p1.fd_close(fd);
  }

  /** path_filestat_get: the filetype and size, or the errno. */
  stat(path: string | Uint8Array, follow = true, dirfd = 3): Result<{ filetype: number; size: bigint; nlink: bigint; mtim: bigint }> {
    const [ptr, len] = this.pathA(path);
    const errno = this.p1.path_filestat_get(dirfd, follow ? Lookupflags.SYMLINK_FOLLOW : 0, ptr, len, DATA);
    const v = this.view();
    return this.result(
      errno,
      () => ({ filetype: v.getUint8(DATA + 16), nlink: v.getBigUint64(DATA + 24, true), size: v.getBigUint64(DATA + 32, true), mtim: v.getBigUint64(DATA + 48, true) }),
      { filetype: -1, size: -1n, nlink: -1n, mtim: -1n },
    );
  }

  fdStat(fd: number): Result<{ filetype: number; size: bigint }> {
    const errno = this.p1.fd_filestat_get(fd, DATA);
    const v = this.view();
    return this.result(errno, () => ({ filetype: v.getUint8(DATA + 16), size: v.getBigUint64(DATA + 32, true) }), { filetype: -1, size: -1n });
  }

  symlink(target: string | Uint8Array, path: string | Uint8Array, dirfd = 3): Errno {
    const [tp, tl] = this.pathB(target);
    const [pp, pl] = this.pathA(path);
    return this.p1.path_symlink(tp, tl, dirfd, pp, pl);
  }

  link(from: string, to: string, follow = false, fromFd = 3, toFd = 3): Errno {
    const [fp, fl] = this.pathA(from);
    const [tp, tl] = this.pathB(to);
    return this.p1.path_link(fromFd, follow ? Lookupflags.SYMLINK_FOLLOW : 0, fp, fl, toFd, tp, tl);
  }

  rename(from: string, to: string, fromFd = 3, toFd = 3): Errno {
    const [fp, fl] = this.pathA(from);
    const [tp, tl] = this.pathB(to);
    return this.p1.path_rename(fromFd, fp, fl, toFd, tp, tl);
  }

  unlink(path: string, dirfd = 3): Errno {
    const [ptr, len] = this.pathA(path);
    return this.p1.path_unlink_file(dirfd, ptr, len);
  }

  mkdir(path: string, dirfd = 3): Errno {
    const [ptr, len] = this.pathA(path);
    return this.p1.path_create_directory(dirfd, ptr, len);
  }

  rmdir(path: string, dirfd = 3): Errno {
    const [ptr, len] = this.pathA(path);
    return this.p1.path_remove_directory(dirfd, ptr, len);
  }

  readlink(path: string, dirfd = 3): Result<string> {
    const [ptr, len] = this.pathA(path);
    const errno = this.p1.path_readlink(dirfd, ptr, len, DATA, 4096, OUT);
    return this.result(errno, () => new TextDecoder().decode(this.bytes.slice(DATA, DATA + this.u32(OUT))), '');
  }

  /** path_filestat_set_times with explicit nanosecond times for both. */
  setTimes(path: string, atim: bigint, mtim: bigint, follow = true, dirfd = 3): Errno {
    const [ptr, len] = this.pathA(path);
    return this.p1.path_filestat_set_times(dirfd, follow ? Lookupflags.SYMLINK_FOLLOW : 0, ptr, len, atim, mtim, 1 | 4);
  }

  /** fd_read of up to `max` bytes, returned as text. */
  read(fd: number, max = 4096): Result<string> {
    const bytes = this.readBytes(fd, max);
    return { errno: bytes.errno, value: new TextDecoder().decode(bytes.value) };
  }

  readBytes(fd: number, max = 4096): Result<Uint8Array> {
    const v = this.view();
    v.setUint32(IOVEC, DATA, true);
    v.setUint32(IOVEC + 4, Math.min(max, DATA_SIZE), true);
    const errno = this.p1.fd_read(fd, IOVEC, 1, OUT);
    return this.result(errno, () => this.bytes.slice(DATA, DATA + this.u32(OUT)), new Uint8Array());
  }

  write(fd: number, data: string | Uint8Array): Result {
    const bytes = typeof data === 'string' ? utf8.encode(data) : data;
    this.bytes.set(bytes, DATA);
    const v = this.view();
    v.setUint32(IOVEC, DATA, true);
    v.setUint32(IOVEC + 4, bytes.byteLength, true);
    const errno = this.p1.fd_write(fd, IOVEC, 1, OUT);
    return this.result(errno, () => this.u32(OUT), -1);
  }

  seek(fd: number, offset: bigint, whence: Whence = Whence.SET): Result<bigint> {
    const errno = this.p1.fd_seek(fd, offset, whence, OUT);
    return this.result(errno, () => this.view().getBigUint64(OUT, true), -1n);
  }

  tell(fd: number): Result<bigint> {
    const errno = this.p1.fd_tell(fd, OUT);
    return this.result(errno, () => this.view().getBigUint64(OUT, true), -1n);
  }

  /** fd_fdstat_get: filetype and status flags. */
  fdstat(fd: number): Result<{ filetype: number; flags: number }> {
    const errno = this.p1.fd_fdstat_get(fd, DATA);
    const v = this.view();
    return this.result(errno, () => ({ filetype: v.getUint8(DATA), flags: v.getUint16(DATA + 2, true) }), { filetype: -1, flags: -1 });
  }

  setFlags(fd: number, flags: Fdflags | number): Errno {
    return this.p1.fd_fdstat_set_flags(fd, flags);
  }

  /** fd_readdir from `cookie`: the entries' names and the cookie after each. */
  readdir(fd: number, cookie = 0n, bufLen = 4096): Result<{ name: string; next: bigint; type: number }[]> {
    const errno = this.p1.fd_readdir(fd, DATA, bufLen, cookie, OUT);
    return this.result(errno, () => {
      const used = this.u32(OUT);
      const v = this.view();
      const out: { name: string; next: bigint; type: number }[] = [];
      for (let at = 0; at + 24 <= used; ) {
        const next = v.getBigUint64(DATA + at, true);
        const nameLen = v.getUint32(DATA + at + 16, true);
        const type = v.getUint8(DATA + at + 20);
        if (at + 24 + nameLen > used) break; // cut short: asked again from `next - 1`
        out.push({ name: new TextDecoder().decode(this.bytes.slice(DATA + at + 24, DATA + at + 24 + nameLen)), next, type });
        at += 24 + nameLen;
      }
      return out;
    }, []);
  }

  renumber(from: number, to: number): Errno {
    return this.p1.fd_renumber(from, to);
  }

  /** The extension's dup (wasix_32v1 fd_dup). */
  dup(fd: number): Result {
    const errno = this.wasix.fd_dup(fd, OUT);
    return this.result(errno, () => this.u32(OUT), -1);
  }

  /** Calls any preview1 import by name with raw arguments. */
  raw(name: string, ...args: (number | bigint)[]): Errno {
    return this.p1[name](...args);
  }

  /** Ends the run: every descriptor is closed, as after a program. */
  end(): void {
    this.wasi.close();
  }
}

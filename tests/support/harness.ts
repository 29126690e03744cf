// Drives the WASI imports directly, the way a compiled guest calls them: every argument is
// a raw wasm value (i32 as a JS number, i64 as a bigint) and every buffer lives in a real
// WebAssembly.Memory, so pointer decoding, bounds checks and the errno wrapper all run.
import { errname } from './errname';
import { Lookupflags, Oflags, RIGHTS_ALL, Rights, Whence } from '../../src/abi/constants';
import { MemoryDirectory, type Tree } from '../../src/backends/memory';
import type { FileStat } from '../../src/backends/types';
import { WASI, type WASIOptions } from '../../src/wasi';

export type Call = (...args: (number | bigint)[]) => number;

export { errname } from './errname';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Scratch memory the helpers use; tests that place their own buffers use addresses below it. */
export const ARENA = 4096;
export const PAGE = 65536;

/** The rights wasi-libc asks for with O_RDONLY: everything but the ones that imply writing. */
export const RDONLY_RIGHTS =
  RIGHTS_ALL & ~(Rights.FD_WRITE | Rights.FD_DATASYNC | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE);

export interface OpenOptions {
  dirfd?: number;
  /** Follow a final symlink (default true). */
  follow?: boolean;
  oflags?: number;
  fdflags?: number;
  rights?: bigint;
  inheriting?: bigint;
}

export interface Dirent {
  next: bigint;
  ino: bigint;
  namlen: number;
  type: number;
  name: string;
}

export class Harness {
  readonly wasi: WASI;
  readonly root: MemoryDirectory;
  readonly memory: WebAssembly.Memory;
  /** wasi_snapshot_preview1 */
  readonly p: Record<string, Call>;
  /** wasix_32v1 */
  readonly x: Record<string, Call>;
  readonly stdout: Uint8Array[] = [];
  private top = ARENA;

  constructor(tree: Tree | MemoryDirectory = {}, options: WASIOptions = {}) {
    this.root = tree instanceof MemoryDirectory ? tree : MemoryDirectory.from(tree);
    this.wasi = new WASI({
      stdout: (c) => this.stdout.push(c),
      stderr: () => {},
      preopens: { '/': this.root },
      ...options,
    });
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.wasi.setMemory(this.memory);
    const imports = this.wasi.getImportObject();
    this.p = imports.wasi_snapshot_preview1 as unknown as Record<string, Call>;
    this.x = imports.wasix_32v1 as unknown as Record<string, Call>;
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }
  get view(): DataView {
    return new DataView(this.memory.buffer);
  }

  /** Forgets every scratch allocation; each helper call starts with an empty arena. */
  reset(): void {
    this.top = ARENA;
  }
  alloc(n: number): number {
    const at = this.top;
    this.top = (this.top + n + 7) & ~7;
    if (this.top > PAGE) throw new Error('test arena exhausted');
    this.bytes.fill(0, at, at + n);
    return at;
  }
  put(data: Uint8Array | string): [number, number] {
    const bytes = typeof data === 'string' ? enc(data) : data;
    const at = this.alloc(bytes.byteLength);
    this.bytes.set(bytes, at);
    return [at, bytes.byteLength];
  }
  get(ptr: number, len: number): Uint8Array {
    return this.bytes.slice(ptr, ptr + len);
  }
  u16(ptr: number): number {
    return this.view.getUint16(ptr, true);
  }
  u32(ptr: number): number {
    return this.view.getUint32(ptr, true);
  }
  u64(ptr: number): bigint {
    return this.view.getBigUint64(ptr, true);
  }
  setU32(ptr: number, v: number): void {
    this.view.setUint32(ptr, v, true);
  }
  /** An iovec array at a fresh address over the given (ptr, len) buffers. */
  iovecs(bufs: [number, number][]): number {
    const at = this.alloc(bufs.length * 8);
    bufs.forEach(([p, l], i) => {
      this.setU32(at + i * 8, p);
      this.setU32(at + i * 8 + 4, l);
    });
    return at;
  }

  // ---- typed wrappers: { errno, value } --------------------------------------------------

  tryOpen(path: string, o: OpenOptions = {}): { errno: number; fd: number } {
    this.reset();
    const [p, l] = this.put(path);
    const out = this.alloc(4);
    this.setU32(out, 0xdeadbeef);
    const errno = this.p.path_open(
      o.dirfd ?? 3, o.follow === false ? 0 : Lookupflags.SYMLINK_FOLLOW, p, l, o.oflags ?? 0,
      o.rights ?? BigInt(RIGHTS_ALL), o.inheriting ?? BigInt(RIGHTS_ALL), o.fdflags ?? 0, out,
    );
    return { errno, fd: errno === 0 ? this.u32(out) : -1 };
  }
  /** path_open that must succeed. */
  open(path: string, o: OpenOptions = {}): number {
    const r = this.tryOpen(path, o);
    if (r.errno !== 0) throw new Error(`path_open(${path}) failed: ${errname(r.errno)}`);
    return r.fd;
  }
  /** Opens a directory the way wasi-libc's opendir does (O_RDONLY|O_DIRECTORY: no write rights). */
  openDir(path: string, o: OpenOptions = {}): number {
    return this.open(path, { oflags: Oflags.DIRECTORY, rights: BigInt(RDONLY_RIGHTS), ...o });
  }
  /** Creates (or truncates) a read-write file. */
  create(path: string, o: OpenOptions = {}): number {
    return this.open(path, { oflags: Oflags.CREAT | Oflags.TRUNC, ...o });
  }

  write(fd: number, data: Uint8Array | string): { errno: number; n: number } {
    this.reset();
    const [p, l] = this.put(data);
    const iov = this.iovecs([[p, l]]);
    const out = this.alloc(4);
    const errno = this.p.fd_write(fd, iov, 1, out);
    return { errno, n: errno === 0 ? this.u32(out) : -1 };
  }
  read(fd: number, len: number): { errno: number; data: Uint8Array } {
    this.reset();
    const buf = this.alloc(len);
    const iov = this.iovecs([[buf, len]]);
    const out = this.alloc(4);
    const errno = this.p.fd_read(fd, iov, 1, out);
    return { errno, data: errno === 0 ? this.get(buf, this.u32(out)) : new Uint8Array() };
  }
  /** Reads to end of file (or stream) in chunks; must succeed. */
  readAll(fd: number): string {
    let s = '';
    for (;;) {
      const r = this.read(fd, 4096);
      if (r.errno !== 0) throw new Error(`fd_read(${fd}) failed: ${errname(r.errno)}`);
      if (r.data.byteLength === 0) return s;
      s += dec(r.data);
    }
  }
  pwrite(fd: number, data: Uint8Array | string, offset: bigint): { errno: number; n: number } {
    this.reset();
    const [p, l] = this.put(data);
    const iov = this.iovecs([[p, l]]);
    const out = this.alloc(4);
    const errno = this.p.fd_pwrite(fd, iov, 1, offset, out);
    return { errno, n: errno === 0 ? this.u32(out) : -1 };
  }
  pread(fd: number, len: number, offset: bigint): { errno: number; data: Uint8Array } {
    this.reset();
    const buf = this.alloc(len);
    const iov = this.iovecs([[buf, len]]);
    const out = this.alloc(4);
    const errno = this.p.fd_pread(fd, iov, 1, offset, out);
    return { errno, data: errno === 0 ? this.get(buf, this.u32(out)) : new Uint8Array() };
  }
  seek(fd: number, offset: bigint | number, whence: Whence = Whence.SET): { errno: number; offset: bigint } {
    this.reset();
    const out = this.alloc(8);
    const errno = this.p.fd_seek(fd, BigInt(offset), whence, out);
    return { errno, offset: errno === 0 ? this.u64(out) : -1n };
  }
  tell(fd: number): { errno: number; offset: bigint } {
    this.reset();
    const out = this.alloc(8);
    const errno = this.p.fd_tell(fd, out);
    return { errno, offset: errno === 0 ? this.u64(out) : -1n };
  }
  fdstat(fd: number): { errno: number; filetype: number; flags: number; base: bigint; inheriting: bigint } {
    this.reset();
    const out = this.alloc(24);
    const errno = this.p.fd_fdstat_get(fd, out);
    return { errno, filetype: this.bytes[out], flags: this.u16(out + 2), base: this.u64(out + 8), inheriting: this.u64(out + 16) };
  }
  /** Decodes a filestat struct at ptr. */
  filestatAt(ptr: number): FileStat {
    return {
      dev: this.u64(ptr), ino: this.u64(ptr + 8), filetype: this.bytes[ptr + 16], nlink: this.u64(ptr + 24),
      size: this.u64(ptr + 32), atim: this.u64(ptr + 40), mtim: this.u64(ptr + 48), ctim: this.u64(ptr + 56),
    };
  }
  filestat(fd: number): { errno: number; st: FileStat } {
    this.reset();
    const out = this.alloc(64);
    const errno = this.p.fd_filestat_get(fd, out);
    return { errno, st: this.filestatAt(out) };
  }
  pathStat(path: string, follow = true, dirfd = 3): { errno: number; st: FileStat } {
    this.reset();
    const [p, l] = this.put(path);
    const out = this.alloc(64);
    const errno = this.p.path_filestat_get(dirfd, follow ? Lookupflags.SYMLINK_FOLLOW : 0, p, l, out);
    return { errno, st: this.filestatAt(out) };
  }
  /** A path syscall taking (fd, path ptr, path len). */
  pathCall(name: 'path_create_directory' | 'path_remove_directory' | 'path_unlink_file', path: string, dirfd = 3): number {
    this.reset();
    const [p, l] = this.put(path);
    return this.p[name](dirfd, p, l);
  }
  mkdir(path: string, dirfd = 3): number {
    return this.pathCall('path_create_directory', path, dirfd);
  }
  rmdir(path: string, dirfd = 3): number {
    return this.pathCall('path_remove_directory', path, dirfd);
  }
  unlink(path: string, dirfd = 3): number {
    return this.pathCall('path_unlink_file', path, dirfd);
  }
  rename(from: string, to: string, fromFd = 3, toFd = 3): number {
    this.reset();
    const [a, al] = this.put(from);
    const [b, bl] = this.put(to);
    return this.p.path_rename(fromFd, a, al, toFd, b, bl);
  }
  link(from: string, to: string, follow = false, fromFd = 3, toFd = 3): number {
    this.reset();
    const [a, al] = this.put(from);
    const [b, bl] = this.put(to);
    return this.p.path_link(fromFd, follow ? Lookupflags.SYMLINK_FOLLOW : 0, a, al, toFd, b, bl);
  }
  symlink(target: string, path: string, dirfd = 3): number {
    this.reset();
    const [a, al] = this.put(target);
    const [b, bl] = this.put(path);
    return this.p.path_symlink(a, al, dirfd, b, bl);
  }
  readlink(path: string, bufLen = 256, dirfd = 3): { errno: number; target: string; used: number } {
    this.reset();
    const [p, l] = this.put(path);
    const buf = this.alloc(Math.max(bufLen, 1));
    const out = this.alloc(4);
    const errno = this.p.path_readlink(dirfd, p, l, buf, bufLen, out);
    const used = errno === 0 ? this.u32(out) : -1;
    return { errno, used, target: errno === 0 ? dec(this.get(buf, used)) : '' };
  }
  /** Decodes `used` bytes of fd_readdir output; a cut-off last entry is reported with its partial name. */
  parseDirents(buf: number, used: number): Dirent[] {
    const out: Dirent[] = [];
    let at = 0;
    while (at + 24 <= used) {
      const p = buf + at;
      const namlen = this.u32(p + 16);
      const nameBytes = this.get(p + 24, Math.min(namlen, used - at - 24));
      out.push({ next: this.u64(p), ino: this.u64(p + 8), namlen, type: this.bytes[p + 20], name: dec(nameBytes) });
      at += 24 + namlen;
    }
    return out;
  }
  readdir(fd: number, bufLen = 4096, cookie = 0n): { errno: number; used: number; entries: Dirent[] } {
    this.reset();
    const buf = this.alloc(bufLen);
    const out = this.alloc(4);
    const errno = this.p.fd_readdir(fd, buf, bufLen, cookie, out);
    const used = errno === 0 ? this.u32(out) : -1;
    return { errno, used, entries: errno === 0 ? this.parseDirents(buf, used) : [] };
  }
  /** Every name in a directory, read with a buffer of bufLen bytes the way wasi-libc does (resuming by cookie). */
  listAll(fd: number, bufLen = 4096): string[] {
    const names: string[] = [];
    let cookie = 0n;
    for (;;) {
      const r = this.readdir(fd, bufLen, cookie);
      if (r.errno !== 0) throw new Error(`fd_readdir failed: ${errname(r.errno)}`);
      const whole = r.entries.filter((e) => e.name.length === e.namlen);
      for (const e of whole) names.push(e.name);
      if (r.used < bufLen) return names;
      if (whole.length === 0) throw new Error('readdir buffer too small for one entry');
      cookie = whole[whole.length - 1].next;
    }
  }
  dup(fd: number): { errno: number; fd: number } {
    this.reset();
    const out = this.alloc(4);
    const errno = this.x.fd_dup(fd, out);
    return { errno, fd: errno === 0 ? this.u32(out) : -1 };
  }
  dupfd(fd: number, min: number, cloexec = 0): { errno: number; fd: number } {
    this.reset();
    const out = this.alloc(4);
    const errno = this.x.fd_dup2(fd, min, cloexec, out);
    return { errno, fd: errno === 0 ? this.u32(out) : -1 };
  }
  fdflags(fd: number): { errno: number; flags: number } {
    this.reset();
    const out = this.alloc(2);
    const errno = this.x.fd_fdflags_get(fd, out);
    return { errno, flags: errno === 0 ? this.u16(out) : -1 };
  }
  pipe(): { errno: number; r: number; w: number } {
    this.reset();
    const a = this.alloc(4);
    const b = this.alloc(4);
    const errno = this.x.fd_pipe(a, b);
    return { errno, r: errno === 0 ? this.u32(a) : -1, w: errno === 0 ? this.u32(b) : -1 };
  }

  /** Open fd numbers, as the table has them. */
  fds(): number[] {
    return this.wasi.table.fds();
  }
}

/** Bytes of a byte range before and after a call, to prove a failed call wrote nothing. */
export function snapshot(h: Harness, from = 0, to = PAGE): () => boolean {
  const before = h.get(from, to - from);
  return () => {
    const now = h.get(from, to - from);
    return Buffer.compare(Buffer.from(before), Buffer.from(now)) === 0;
  };
}

/** Fills all of memory with a recognisable byte, so untouched bytes are visible. */
export function poison(h: Harness, byte = 0xa5): void {
  h.bytes.fill(byte);
}

import { Advice, Errno, Filetype } from '../../abi/constants';
import { encodeListing, type EncodedListing } from '../../abi/dirent';
import { fail, WasiError } from '../../abi/errors';
import type {
  DirEntry, DirectoryInode, FileHandle, FileInode, FileStat, Inode, OpenFileOptions, TimeUpdate,
} from '../types';
import { opfsServerSource } from './opfs-server';
import { PROTOCOL as P, type OPFSStats } from './protocol';

/**
 * A preopen backed by the Origin Private File System, for a program running in a dedicated
 * worker: files persist across page loads.
 *
 * WASI calls are synchronous; most of OPFS is not, and a FileSystemSyncAccessHandle works
 * only in the worker that made it. So `OPFSDirectory.open()` starts a second dedicated
 * worker, the OPFS server, which does every OPFS call and owns every access handle; this
 * side calls it synchronously over a SharedArrayBuffer, blocking in Atomics.wait while the
 * server works (the page must be cross-origin isolated, and the caller must be a worker:
 * the main thread may not block).
 *
 * Each open file description owns one server-side open, and through it the file's single
 * access handle: descriptions of the same file share that handle (OPFS allows one per
 * file), which is closed exactly once, when the last description of the file closes.
 *
 * What OPFS cannot express fails honestly: symlinks and hard links are EPERM (as Linux
 * answers for filesystems without them); setting timestamps is ENOTSUP (OPFS keeps only a
 * last-modified time, which it sets itself); directories report time 0; a name OPFS refuses
 * (one containing a backslash, say) is EINVAL; a file locked by another page or worker is
 * EBUSY. Renaming a directory moves its files one by one (OPFS has no directory move), so
 * it is not atomic.
 */

const FILE_KIND = P.FILE;
let nextDev = 0x4f50n;

const ms2ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));

export interface OPFSOpenOptions {
  /** Bytes moved per round trip (the shared buffer's data area). Default 1 MiB. */
  bufferBytes?: number;
  /** Longest wait for one answer from the server before the call fails with EIO. Default 30 s. */
  timeoutMs?: number;
  /** Where to load the server from instead of a blob: URL (for pages whose CSP refuses blob: workers). */
  serverUrl?: string | URL;
}

/** The synchronous side of the channel, and what every node of one mount shares. */
export class OPFSFs {
  readonly dev = nextDev++;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  readonly data: Uint8Array;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private readonly nodes = new Map<number, OPFSDirNode | OPFSFileNode>();
  private broken = false;
  /** Handle closes that came after the handle was already closed (0 unless refwasi has a bug). */
  doubleCloses = 0;
  /**
   * Bumped by every rename and rmdir: a directory's remembered listing from an older
   * generation is not trusted (those calls can change listings beyond the one directory).
   */
  generation = 0;

  constructor(
    private readonly worker: Worker,
    sab: SharedArrayBuffer,
    private readonly timeoutMs: number,
  ) {
    this.i32 = new Int32Array(sab, 0, P.HEADER_BYTES / 4);
    this.f64 = new Float64Array(sab, 0, P.HEADER_BYTES / 8);
    this.data = new Uint8Array(sab, P.HEADER_BYTES);
  }

  /** One round trip. Arguments go in the header and (names, bytes) in the data area. */
  call(op: number, a = 0, b = 0, c = 0, payload?: Uint8Array | string, pos = 0): void {
    if (this.broken) fail(Errno.IO, 'the OPFS server is gone');
    const i32 = this.i32;
    let len = 0;
    if (typeof payload === 'string') {
      const bytes = this.encoder.encode(payload);
      if (bytes.byteLength > this.data.byteLength) fail(Errno.NAMETOOLONG);
      this.data.set(bytes);
      len = bytes.byteLength;
    } else if (payload !== undefined) {
      this.data.set(payload);
      len = payload.byteLength;
    }
    i32[P.OP] = op;
    i32[P.A] = a;
    i32[P.B] = b;
    i32[P.C] = c;
    i32[P.LEN] = len;
    this.f64[P.F_POS] = pos;
    Atomics.store(i32, P.STATE, P.REQUEST);
    Atomics.notify(i32, P.STATE);
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(i32, P.STATE) === P.REQUEST) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(i32, P.STATE, P.REQUEST, left) === 'timed-out') {
        if (Atomics.load(i32, P.STATE) !== P.REQUEST) break;
        this.broken = true;
        fail(Errno.IO, 'the OPFS server did not answer');
      }
    }
    const errno = i32[P.ERRNO];
    Atomics.store(i32, P.STATE, P.IDLE);
    if (errno !== 0) fail(errno as Errno);
  }

  get r0(): number {
    return this.i32[P.R0];
  }
  get r1(): number {
    return this.i32[P.R1];
  }
  get num(): number {
    return this.f64[P.F_NUM];
  }
  get time(): number {
    return this.f64[P.F_TIME];
  }
  get rlen(): number {
    return this.i32[P.RLEN];
  }

  json<T>(): T {
    // TextDecoder refuses views of shared memory: decode a copy.
    return JSON.parse(this.decoder.decode(this.data.slice(0, this.rlen))) as T;
  }

  node(id: number, kind: number): OPFSDirNode | OPFSFileNode {
    let n = this.nodes.get(id);
    if (n === undefined) {
      n = kind === FILE_KIND ? new OPFSFileNode(this, id) : new OPFSDirNode(this, id);
      this.nodes.set(id, n);
    }
    return n;
  }

  /** The STAT / FSTAT answer as a FileStat. */
  stat(id: number): FileStat {
    const t = ms2ns(this.time);
    return {
      dev: this.dev, ino: BigInt(id), filetype: this.r0 === FILE_KIND ? Filetype.REGULAR_FILE : Filetype.DIRECTORY,
      nlink: BigInt(this.r1), size: BigInt(this.num), atim: t, mtim: t, ctim: t,
    };
  }

  stats(): OPFSStats {
    this.call(P.STATS);
    return this.json<OPFSStats>();
  }

  /** Closes every access handle still open and stops the server. */
  unmount(): OPFSStats {
    this.call(P.UNMOUNT);
    const stats = this.json<OPFSStats>();
    this.broken = true;
    this.worker.terminate();
    return stats;
  }
}

function noTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
  if (atim !== null || mtim !== null) fail(Errno.NOTSUP, 'OPFS keeps no timestamps a program can set');
}

abstract class OPFSNode {
  constructor(readonly fs: OPFSFs, readonly id: number) {}
  stat(): FileStat {
    this.fs.call(P.STAT, this.id);
    return this.fs.stat(this.id);
  }
  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    noTimes(atim, mtim);
  }
}

export class OPFSFileNode extends OPFSNode implements FileInode {
  readonly kind = 'file';
}

/** A name in a remembered listing: its node id and kind. */
interface Entry {
  id: number;
  kind: number;
}

/**
 * A directory of the mount. Its listing is fetched once and then kept in step with this
 * side's own changes (every change to the mount goes through this channel, and the server
 * assumes nobody else changes the directory while it is mounted), so lookups, listings and
 * fd_readdir cost no round trip. Any change whose outcome this side cannot tell (a failed
 * one, a rename, an rmdir) makes it fetch the listing again at the next use.
 */
export class OPFSDirNode extends OPFSNode implements DirectoryInode {
  readonly kind = 'directory';
  private entries: Map<string, Entry> | null = null;
  private encoded: EncodedListing | null = null;
  private generation = -1;

  private listing(): Map<string, Entry> {
    const fs = this.fs;
    if (this.entries !== null && this.generation === fs.generation) return this.entries;
    fs.call(P.LIST, this.id);
    const entries = new Map<string, Entry>();
    for (const [name, kind, id] of fs.json<[string, number, number][]>()) entries.set(name, { id, kind });
    this.entries = entries;
    this.encoded = null;
    this.generation = fs.generation;
    return entries;
  }

  /** The remembered listing, if it is current (to update in step with a change just made). */
  private current(): Map<string, Entry> | null {
    this.encoded = null;
    return this.generation === this.fs.generation ? this.entries : null;
  }

  private forget(): void {
    this.entries = null;
    this.encoded = null;
  }

  lookup(name: string): Inode | null {
    const e = this.listing().get(name);
    return e === undefined ? null : this.fs.node(e.id, e.kind);
  }

  list(): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, e] of this.listing()) {
      out.push({ name, filetype: e.kind === FILE_KIND ? Filetype.REGULAR_FILE : Filetype.DIRECTORY, ino: BigInt(e.id) });
    }
    return out;
  }

  encodedListing(): EncodedListing {
    this.listing(); // fetches it again (and drops the old encoding) when stale
    return (this.encoded ??= encodeListing(BigInt(this.id), this.list()));
  }

  openFile(name: string, options: OpenFileOptions): FileHandle {
    const flags = (options.create ? P.O_CREATE : 0) | (options.exclusive ? P.O_EXCL : 0) | (options.truncate ? P.O_TRUNC : 0);
    this.change(() => this.fs.call(P.OPEN, this.id, 0, flags, name), options.create);
    const fs = this.fs;
    const handle = new OPFSFileHandle(fs, fs.r0, fs.r1);
    if (options.create) {
      const entries = this.current();
      if (entries !== null && !entries.has(name)) entries.set(name, { id: fs.r1, kind: FILE_KIND });
    }
    return handle;
  }

  mkdir(name: string): void {
    this.change(() => this.fs.call(P.MKDIR, this.id, 0, 0, name));
    this.current()?.set(name, { id: this.fs.r0, kind: P.DIR });
  }

  rmdir(name: string): void {
    this.fs.generation++;
    this.fs.call(P.RMDIR, this.id, 0, 0, name);
  }

  unlink(name: string): void {
    this.change(() => this.fs.call(P.UNLINK, this.id, 0, 0, name));
    this.current()?.delete(name);
  }

  symlink(_target: string, name: string): void {
    if (this.lookup(name) !== null) fail(Errno.EXIST);
    fail(Errno.PERM, 'OPFS has no symlinks');
  }

  link(name: string, toDir: DirectoryInode, toName: string): void {
    this.sameFs(toDir);
    if (this.lookup(name) === null) fail(Errno.NOENT);
    if ((toDir as OPFSDirNode).lookup(toName) !== null) fail(Errno.EXIST);
    fail(Errno.PERM, 'OPFS has no hard links');
  }

  rename(name: string, toDir: DirectoryInode, toName: string): void {
    const dest = this.sameFs(toDir);
    this.fs.generation++;
    this.fs.call(P.RENAME, this.id, dest.id, 0, `${name}/${toName}`);
  }

  /** A call that may change this listing: if it fails, what the server did is not known here. */
  private change(call: () => void, mayChange = true): void {
    try {
      call();
    } catch (e) {
      if (mayChange) this.forget();
      throw e;
    }
  }

  private sameFs(dir: DirectoryInode): OPFSDirNode {
    if (!(dir instanceof OPFSDirNode) || dir.fs !== this.fs) fail(Errno.XDEV);
    return dir;
  }
}

/** One open file description's handle: a server-side open of the file (sharing the file's access handle). */
export class OPFSFileHandle implements FileHandle {
  readonly kind = 'file';
  private closed = false;

  constructor(readonly fs: OPFSFs, readonly openId: number, readonly fileId: number) {}

  read(into: Uint8Array, position: number): number {
    const fs = this.fs;
    let total = 0;
    while (total < into.byteLength) {
      const want = Math.min(into.byteLength - total, fs.data.byteLength);
      fs.call(P.READ, this.openId, want, 0, undefined, position + total);
      const got = fs.r0;
      into.set(fs.data.subarray(0, got), total);
      total += got;
      if (got < want) break;
    }
    return total;
  }

  write(data: Uint8Array, position: number): number {
    const fs = this.fs;
    let total = 0;
    do {
      const chunk = data.subarray(total, total + fs.data.byteLength);
      fs.call(P.WRITE, this.openId, 0, 0, chunk, position + total);
      total += fs.r0;
      if (fs.r0 < chunk.byteLength) break;
    } while (total < data.byteLength);
    return total;
  }

  stat(): FileStat {
    this.fs.call(P.FSTAT, this.openId);
    return this.fs.stat(this.fileId);
  }

  size(): number {
    this.fs.call(P.FSTAT, this.openId);
    return this.fs.num;
  }

  truncate(size: number): void {
    this.fs.call(P.TRUNCATE, this.openId, 0, 0, undefined, size);
  }

  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    noTimes(atim, mtim);
  }

  sync(): void {
    this.fs.call(P.FLUSH, this.openId);
  }

  datasync(): void {
    this.fs.call(P.FLUSH, this.openId);
  }

  allocate(offset: number, length: number): void {
    if (offset + length > this.size()) this.truncate(offset + length);
  }

  advise(_offset: number, _length: number, _advice: Advice): void {}

  close(): void {
    if (this.closed) {
      this.fs.doubleCloses++;
      return;
    }
    this.closed = true;
    this.fs.call(P.CLOSE, this.openId);
  }
}

/** Can this thread block in Atomics.wait (a worker; not a page's main thread)? */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** The root of a mounted OPFS directory, to give as a preopen. */
export class OPFSDirectory extends OPFSDirNode {
  /**
   * Mounts `dir` (a path below the origin's OPFS root, made if missing, '' for the root
   * itself; or a FileSystemDirectoryHandle) and starts its server worker. Call it in a
   * dedicated worker of a cross-origin isolated page.
   */
  static async open(dir: string | FileSystemDirectoryHandle = '', options: OPFSOpenOptions = {}): Promise<OPFSDirectory> {
    if (typeof SharedArrayBuffer === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
      throw new Error('OPFSDirectory needs SharedArrayBuffer: serve the page cross-origin isolated (COOP: same-origin, COEP: require-corp)');
    }
    if (!canBlock()) throw new Error('OPFSDirectory blocks in Atomics.wait: use it in a dedicated worker, not on the main thread');
    const bytes = options.bufferBytes ?? 1 << 20;
    const sab = new SharedArrayBuffer(P.HEADER_BYTES + bytes);
    let url: string | URL;
    let blobUrl: string | null = null;
    if (options.serverUrl !== undefined) {
      url = options.serverUrl;
    } else {
      blobUrl = URL.createObjectURL(new Blob([opfsServerSource()], { type: 'text/javascript' }));
      url = blobUrl;
    }
    const worker = new Worker(url, { name: 'refwasi-opfs' });
    try {
      const ready = await new Promise<{ rootId: number }>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent) => {
          const msg = e.data as { type: string; rootId: number; message?: string; errno?: number };
          if (msg.type === 'ready') resolve(msg);
          else reject(new WasiError((msg.errno ?? Errno.IO) as Errno, `OPFS mount failed: ${msg.message}`));
        };
        worker.onerror = (e: ErrorEvent) => reject(new Error(`OPFS server failed to start: ${e.message}`));
        worker.postMessage({ type: 'init', sab, mount: dir });
      });
      worker.onmessage = null;
      worker.onerror = null;
      const fs = new OPFSFs(worker, sab, options.timeoutMs ?? 30_000);
      return new OPFSDirectory(fs, ready.rootId);
    } catch (e) {
      worker.terminate();
      throw e;
    } finally {
      if (blobUrl !== null) URL.revokeObjectURL(blobUrl);
    }
  }

  private constructor(fs: OPFSFs, id: number) {
    super(fs, id);
  }

  /** The server's counts of access handles and descriptions (see OPFSStats). */
  stats(): OPFSStats {
    return this.fs.stats();
  }

  /** Handle closes that came after the handle was already closed (always 0 unless refwasi has a bug). */
  get doubleCloses(): number {
    return this.fs.doubleCloses;
  }

  /** Closes any access handle still open (there is none once a run has ended) and stops the server. */
  unmount(): OPFSStats {
    return this.fs.unmount();
  }
}

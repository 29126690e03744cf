import { Advice, Errno, Filetype } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { FileHandle, FileInode, FileStat, TimeUpdate } from '../types';
import { nowMs, stampNs } from './clock';
import type { MemoryFs } from './fs';

/** Largest file size refwasi keeps in memory (positions stay exact JS numbers). */
const MAX_FILE_SIZE = 2 ** 32;
/**
 * Files are stored in chunks of this many bytes: growing a file never copies what it holds
 * (at most the last chunk, while it is still small), so there is no stall when a file
 * crosses a power of two and a big file does not sit in memory twice while it grows.
 */
export const CHUNK_BITS = 18;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/** The first capacity of a small file's only chunk; it doubles up to CHUNK. */
const FIRST_CAPACITY = 64;
const NO_CHUNKS: (Uint8Array | undefined)[] = Object.freeze([]) as unknown as (Uint8Array | undefined)[];
/** Copies up to this many bytes go byte by byte: cheaper than making a view to copy from. */
const SMALL_COPY = 32;

export abstract class MemoryInode {
  /** The inode number (a plain number, < 2^53: one per inode made). */
  readonly inoNumber: number;
  /**
   * Times as the clock gave them, in milliseconds: numbers only, so V8 keeps these fields as
   * doubles and stamping a write allocates nothing. A time the guest set exactly (in
   * nanoseconds) is kept beside it and wins while it stands.
   */
  private atimMs: number;
  private mtimMs: number;
  private ctimMs: number;
  private atimSet: bigint | null = null;
  private mtimSet: bigint | null = null;
  private ctimSet: bigint | null = null;
  nlink = 1;

  constructor(readonly fs: MemoryFs) {
    this.inoNumber = fs.allocIno();
    this.atimMs = this.mtimMs = this.ctimMs = nowMs();
  }

  get ino(): bigint {
    return BigInt(this.inoNumber);
  }

  /** The times in nanoseconds since the epoch, as stat reports them. */
  get atim(): bigint {
    return this.atimSet ?? stampNs(this.atimMs);
  }
  get mtim(): bigint {
    return this.mtimSet ?? stampNs(this.mtimMs);
  }
  get ctim(): bigint {
    return this.ctimSet ?? stampNs(this.ctimMs);
  }
  /** Setting a time directly (as an embedder may) keeps that exact value. */
  set atim(ns: bigint) {
    this.atimSet = ns;
  }
  set mtim(ns: bigint) {
    this.mtimSet = ns;
  }
  set ctim(ns: bigint) {
    this.ctimSet = ns;
  }

  /** The contents (or entries) changed now: mtime and ctime. */
  modified(now: number = nowMs()): void {
    this.mtimMs = this.ctimMs = now;
    if (this.mtimSet !== null) this.mtimSet = null;
    if (this.ctimSet !== null) this.ctimSet = null;
  }

  /** The inode itself changed now (links, rename): ctime. */
  changed(now: number = nowMs()): void {
    this.ctimMs = now;
    if (this.ctimSet !== null) this.ctimSet = null;
  }

  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    const now = nowMs();
    if (atim === 'now') {
      this.atimMs = now;
      this.atimSet = null;
    } else if (atim !== null) {
      this.atimSet = atim;
    }
    if (mtim === 'now') {
      this.mtimMs = now;
      this.mtimSet = null;
    } else if (mtim !== null) {
      this.mtimSet = mtim;
    }
    this.changed(now);
  }

  protected statAs(filetype: Filetype, size: number): FileStat {
    return {
      dev: this.fs.dev, ino: this.ino, filetype, nlink: BigInt(this.nlink), size: BigInt(size),
      atim: this.atim, mtim: this.mtim, ctim: this.ctim,
    };
  }
}

/**
 * A regular file: its bytes in chunks of CHUNK bytes, chunk i holding [i*CHUNK, (i+1)*CHUNK).
 * A missing chunk (a hole left by truncate or a seek past the end) reads as zeros. Bytes past
 * a chunk's capacity, and past the file's length, are zero by construction (truncation zeros
 * what it cuts), so a later extension reads zeros, not old data.
 */
export class MemoryFile extends MemoryInode implements FileInode {
  readonly kind = 'file';
  readonly filetype = Filetype.REGULAR_FILE;
  /** Shared by every file that has never held a byte (most files a program creates stay empty a while). */
  private chunks: (Uint8Array | undefined)[] = NO_CHUNKS;
  private length = 0;
  /** Open handles: an unlinked file keeps its bytes until the last one closes (POSIX). */
  handles = 0;

  constructor(fs: MemoryFs, contents?: Uint8Array) {
    super(fs);
    // No default array: an ArrayBuffer per new file was most of what creating one cost.
    if (contents !== undefined && contents.length > 0) {
      fs.charge(contents.length);
      this.length = contents.length;
      this.copyIn(contents, 0, contents.length, 0);
    }
  }

  get size(): number {
    return this.length;
  }

  stat(): FileStat {
    return this.statAs(Filetype.REGULAR_FILE, this.length);
  }

  /** The file's bytes (a copy). */
  contents(): Uint8Array {
    const out = new Uint8Array(this.length);
    this.copyOut(out, 0, this.length, 0);
    return out;
  }

  /** Copies [position, position+len) of the file (within its length) into out[at...]. */
  private copyOut(out: Uint8Array, at: number, len: number, position: number): void {
    while (len > 0) {
      const i = position >>> CHUNK_BITS;
      const off = position & CHUNK_MASK;
      const n = Math.min(len, CHUNK - off);
      const c = this.chunks[i];
      const have = c === undefined ? 0 : Math.max(0, Math.min(n, c.length - off));
      if (have > 0) out.set(have === c!.length && off === 0 ? c! : c!.subarray(off, off + have), at);
      if (have < n) out.fill(0, at + have, at + n);
      at += n;
      position += n;
      len -= n;
    }
  }

  /** Copies src[at...at+len) into the file at position (the length is already set). */
  private copyIn(src: Uint8Array, at: number, len: number, position: number): void {
    while (len > 0) {
      const i = position >>> CHUNK_BITS;
      const off = position & CHUNK_MASK;
      const n = Math.min(len, CHUNK - off);
      const c = this.room(i, off + n);
      if (n === len && at === 0 && src.length === n) c.set(src, off);
      else c.set(src.subarray(at, at + n), off);
      at += n;
      position += n;
      len -= n;
    }
  }

  /** Chunk i, able to hold its first `need` bytes. */
  private room(i: number, need: number): Uint8Array {
    const c = this.chunks[i];
    if (c !== undefined && c.length >= need) return c;
    // Only a file's first chunk starts small (most files are small); any other is whole at once.
    let capacity = CHUNK;
    if (i === 0) {
      capacity = c === undefined ? FIRST_CAPACITY : c.length;
      while (capacity < need) capacity *= 2;
      if (capacity > CHUNK) capacity = CHUNK;
    }
    const grown = capacity === CHUNK ? this.fs.takeChunk(CHUNK) : new Uint8Array(capacity);
    if (c !== undefined) grown.set(c);
    if (this.chunks === NO_CHUNKS) this.chunks = [];
    this.chunks[i] = grown;
    return grown;
  }

  /** Chunk i is no longer this file's: a full-size one goes back for reuse. */
  private dropChunk(i: number): void {
    const c = this.chunks[i];
    if (c !== undefined && c.length === CHUNK) this.fs.giveBack(c);
    this.chunks[i] = undefined;
  }

  read(into: Uint8Array, position: number): number {
    return this.readInto(into, 0, into.length, position);
  }

  readInto(into: Uint8Array, at: number, len: number, position: number): number {
    if (position >= this.length) return 0;
    const n = Math.min(len, this.length - position);
    const off = position & CHUNK_MASK;
    const c = this.chunks[position >>> CHUNK_BITS];
    // Within one chunk and its capacity: one copy (a few bytes by hand, cheaper than a view).
    if (c !== undefined && off + n <= c.length) {
      if (n <= SMALL_COPY) for (let k = 0; k < n; k++) into[at + k] = c[off + k];
      else into.set(c.subarray(off, off + n), at);
    } else {
      this.copyOut(into, at, n, position);
    }
    return n;
  }

  write(data: Uint8Array, position: number): number {
    return this.writeFrom(data, 0, data.length, position);
  }

  writeFrom(src: Uint8Array, at: number, len: number, position: number): number {
    const end = position + len;
    if (end > MAX_FILE_SIZE) fail(Errno.FBIG);
    if (end > this.length) {
      this.fs.charge(end - this.length);
      this.length = end;
    }
    if (len > 0) {
      const off = position & CHUNK_MASK;
      if (off + len <= CHUNK) {
        const c = this.room(position >>> CHUNK_BITS, off + len);
        if (len <= SMALL_COPY) for (let k = 0; k < len; k++) c[off + k] = src[at + k];
        else c.set(src.subarray(at, at + len), off);
      } else {
        this.copyIn(src, at, len, position);
      }
    }
    this.modified();
    return len;
  }

  /** Sets the length; new bytes read as zeros. */
  resize(size: number): void {
    if (size > MAX_FILE_SIZE) fail(Errno.FBIG);
    this.fs.charge(size - this.length);
    if (size < this.length) {
      // Chunks wholly past the end go; the tail of the last one kept is zeroed.
      const keep = Math.ceil(size / CHUNK);
      for (let i = keep; i < this.chunks.length; i++) this.dropChunk(i);
      if (this.chunks.length > keep) this.chunks.length = keep;
      const last = this.chunks[keep - 1];
      const off = size & CHUNK_MASK;
      if (last !== undefined && off !== 0 && off < last.length) last.fill(0, off);
    }
    // Growing leaves a hole: the chunks past the old end are missing and read as zeros.
    this.length = size;
    this.modified();
  }

  /** Drops the bytes when the last link and the last handle are gone. */
  release(): void {
    this.fs.charge(-this.length);
    for (let i = 0; i < this.chunks.length; i++) this.dropChunk(i);
    this.chunks = NO_CHUNKS;
    this.length = 0;
  }

  open(): MemoryFileHandle {
    return new MemoryFileHandle(this);
  }
}

/** An open regular file. Positions come from the description; this only moves bytes. */
export class MemoryFileHandle implements FileHandle {
  readonly kind = 'file';
  private closed = false;

  constructor(readonly file: MemoryFile) {
    file.fs.openHandles++;
    file.fs.handlesOpened++;
    file.handles++;
  }

  /** The file, while this handle is open: a closed handle is EBADF, so a refcount bug cannot hide. */
  private get open(): MemoryFile {
    if (this.closed) fail(Errno.BADF, 'memory file handle used after close');
    return this.file;
  }

  read(into: Uint8Array, position: number): number {
    return this.open.readInto(into, 0, into.length, position);
  }
  write(data: Uint8Array, position: number): number {
    return this.open.writeFrom(data, 0, data.length, position);
  }
  readInto(into: Uint8Array, at: number, length: number, position: number): number {
    return this.open.readInto(into, at, length, position);
  }
  writeFrom(src: Uint8Array, at: number, length: number, position: number): number {
    return this.open.writeFrom(src, at, length, position);
  }
  size(): number {
    return this.open.size;
  }
  stat(): FileStat {
    return this.open.stat();
  }
  truncate(size: number): void {
    this.open.resize(size);
  }
  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    this.open.setTimes(atim, mtim);
  }
  sync(): void {
    void this.open;
  }
  datasync(): void {
    void this.open;
  }
  allocate(offset: number, length: number): void {
    const file = this.open;
    if (offset + length > file.size) file.resize(offset + length);
  }
  advise(_offset: number, _length: number, _advice: Advice): void {
    void this.open;
  }

  close(): void {
    const fs = this.file.fs;
    if (this.closed) {
      fs.doubleCloses++;
      return;
    }
    this.closed = true;
    fs.openHandles--;
    if (--this.file.handles === 0 && this.file.nlink === 0) this.file.release();
  }
}

import { Advice, Errno, Filetype } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { FileHandle, FileInode, FileStat, TimeUpdate } from '../types';
import { nowNs } from './clock';
import type { MemoryFs } from './fs';

/** Largest file size refwasi keeps in memory (positions stay exact JS numbers). */
const MAX_FILE_SIZE = 2 ** 32;

export abstract class MemoryInode {
  readonly ino: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
  nlink = 1;

  constructor(readonly fs: MemoryFs) {
    this.ino = fs.allocIno();
    this.atim = this.mtim = this.ctim = nowNs();
  }

  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    const now = nowNs();
    if (atim !== null) this.atim = atim === 'now' ? now : atim;
    if (mtim !== null) this.mtim = mtim === 'now' ? now : mtim;
    this.ctim = now;
  }

  protected statAs(filetype: Filetype, size: number): FileStat {
    return {
      dev: this.fs.dev, ino: this.ino, filetype, nlink: BigInt(this.nlink), size: BigInt(size),
      atim: this.atim, mtim: this.mtim, ctim: this.ctim,
    };
  }
}

/**
 * A regular file. Its bytes live in a buffer with spare capacity that doubles as it grows,
 * so appends cost amortized O(1) instead of a copy of the whole file.
 */
export class MemoryFile extends MemoryInode implements FileInode {
  readonly kind = 'file';
  private data: Uint8Array;
  private length: number;
  /** Open handles: an unlinked file keeps its bytes until the last one closes (POSIX). */
  handles = 0;

  constructor(fs: MemoryFs, contents: Uint8Array = new Uint8Array()) {
    super(fs);
    fs.charge(contents.byteLength);
    this.data = contents.slice();
    this.length = contents.byteLength;
  }

  get size(): number {
    return this.length;
  }

  stat(): FileStat {
    return this.statAs(Filetype.REGULAR_FILE, this.length);
  }

  /** The file's bytes (a copy). */
  contents(): Uint8Array {
    return this.data.slice(0, this.length);
  }

  read(into: Uint8Array, position: number): number {
    if (position >= this.length) return 0;
    const n = Math.min(into.length, this.length - position);
    into.set(this.data.subarray(position, position + n));
    return n;
  }

  write(data: Uint8Array, position: number): number {
    const end = position + data.length;
    if (end > MAX_FILE_SIZE) fail(Errno.FBIG);
    if (end > this.length) this.setLength(end);
    this.data.set(data, position);
    this.mtim = this.ctim = nowNs();
    return data.length;
  }

  /** Sets the length; new bytes read as zeros. */
  resize(size: number): void {
    this.setLength(size);
    this.mtim = this.ctim = nowNs();
  }

  /** resize() without the timestamps, so an extending write reads the clock once. */
  private setLength(size: number): void {
    if (size > MAX_FILE_SIZE) fail(Errno.FBIG);
    this.fs.charge(size - this.length);
    if (size > this.data.byteLength) {
      const grown = new Uint8Array(Math.max(size, Math.min(this.data.byteLength * 2, MAX_FILE_SIZE), 64));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    } else if (size < this.length) {
      // Zero the cut-off tail so a later extension reads zeros, not old data.
      this.data.fill(0, size, this.length);
    }
    this.length = size;
  }

  /** Drops the bytes when the last link and the last handle are gone. */
  release(): void {
    this.fs.charge(-this.length);
    this.data = new Uint8Array();
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
    return this.open.read(into, position);
  }
  write(data: Uint8Array, position: number): number {
    return this.open.write(data, position);
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


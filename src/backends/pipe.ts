import { Errno, Filetype } from '../abi/constants';
import { fail } from '../abi/errors';
import type { FileStat, Readiness, StreamHandle } from './types';

/**
 * An in-memory pipe (fd_pipe). Each end is one handle, so the table's refcounting gives the
 * POSIX rules for free: the read end sees EOF only when the write end's description is
 * closed, i.e. after every dup of it is closed.
 */
/** Capacity a drained pipe keeps for the next writes; a bigger buffer is let go. */
const KEEP_CAPACITY = 1 << 20;

export class Pipe {
  /** The bytes waiting are buf[start, end): one buffer, reused, so a chunk costs two copies and no allocation. */
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  readerOpen = true;
  writerOpen = true;
  readonly readEnd = new PipeEnd(this, 'read');
  readonly writeEnd = new PipeEnd(this, 'write');

  /** Bytes waiting to be read. */
  get available(): number {
    return this.end - this.start;
  }

  push(data: Uint8Array): number {
    return this.pushFrom(data, 0, data.length);
  }

  /** Queues a copy of bytes[at, at+len): the writer may reuse its buffer at once. */
  pushFrom(bytes: Uint8Array, at: number, len: number): number {
    if (!this.readerOpen) fail(Errno.PIPE);
    if (len === 0) return 0;
    const waiting = this.end - this.start;
    if (this.end + len > this.buf.length) {
      if (waiting + len <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let capacity = Math.max(this.buf.length * 2, 4096);
        while (capacity < waiting + len) capacity *= 2;
        const grown = new Uint8Array(capacity);
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.start = 0;
      this.end = waiting;
    }
    this.buf.set(bytes.subarray(at, at + len), this.end);
    this.end += len;
    return len;
  }

  pull(into: Uint8Array): number {
    return this.pullInto(into, 0, into.length);
  }

  /** Moves up to len waiting bytes into into[at...], oldest first. */
  pullInto(into: Uint8Array, at: number, len: number): number {
    if (this.end === this.start) {
      if (!this.writerOpen) return 0;
      // A single-threaded guest would wait forever for data nobody else can write.
      fail(Errno.AGAIN);
    }
    const n = Math.min(len, this.end - this.start);
    into.set(this.buf.subarray(this.start, this.start + n), at);
    this.start += n;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (this.buf.length > KEEP_CAPACITY) this.buf = new Uint8Array(0);
    }
    return n;
  }
}

export class PipeEnd implements StreamHandle {
  readonly kind = 'stream';
  // preview1 has no FIFO filetype; wasmtime reports pipes as unknown.
  readonly filetype = Filetype.UNKNOWN;
  constructor(readonly pipe: Pipe, readonly end: 'read' | 'write') {}

  read(into: Uint8Array): number {
    if (this.end !== 'read') fail(Errno.BADF);
    return this.pipe.pull(into);
  }
  write(data: Uint8Array): number {
    if (this.end !== 'write') fail(Errno.BADF);
    return this.pipe.push(data);
  }
  readInto(bytes: Uint8Array, at: number, len: number): number {
    if (this.end !== 'read') fail(Errno.BADF);
    return this.pipe.pullInto(bytes, at, len);
  }
  writeFrom(bytes: Uint8Array, at: number, len: number): number {
    if (this.end !== 'write') fail(Errno.BADF);
    return this.pipe.pushFrom(bytes, at, len);
  }
  readReadiness(): Readiness {
    const p = this.pipe;
    return { ready: p.available > 0 || !p.writerOpen, nbytes: p.available, hangup: !p.writerOpen };
  }
  writeReadiness(): Readiness {
    const p = this.pipe;
    return { ready: true, nbytes: 0, hangup: !p.readerOpen };
  }
  stat(): FileStat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: BigInt(this.pipe.available), atim: 0n, mtim: 0n, ctim: 0n };
  }
  close(): void {
    if (this.end === 'read') this.pipe.readerOpen = false;
    else this.pipe.writerOpen = false;
  }
}

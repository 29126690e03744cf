import { Errno, Filetype } from '../abi/constants';
import { fail } from '../abi/errors';
import type { FileStat, Readiness, StreamHandle } from './types';

/**
 * An in-memory pipe (fd_pipe). Each end is one handle, so the table's refcounting gives the
 * POSIX rules for free: the read end sees EOF only when the write end's description is
 * closed, i.e. after every dup of it is closed.
 */
export class Pipe {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  readerOpen = true;
  writerOpen = true;
  readonly readEnd = new PipeEnd(this, 'read');
  readonly writeEnd = new PipeEnd(this, 'write');

  /** Bytes waiting to be read. */
  get available(): number {
    return this.buffered;
  }

  push(data: Uint8Array): number {
    return this.pushFrom(data, 0, data.length);
  }

  /** Queues a copy of bytes[at, at+len): the writer may reuse its buffer at once. */
  pushFrom(bytes: Uint8Array, at: number, len: number): number {
    if (!this.readerOpen) fail(Errno.PIPE);
    if (len === 0) return 0;
    this.chunks.push(bytes.slice(at, at + len));
    this.buffered += len;
    return len;
  }

  pull(into: Uint8Array): number {
    return this.pullInto(into, 0, into.length);
  }

  /** Moves up to len queued bytes into into[at...], oldest first. */
  pullInto(into: Uint8Array, at: number, len: number): number {
    if (this.buffered === 0) {
      if (!this.writerOpen) return 0;
      // A single-threaded guest would wait forever for data nobody else can write.
      fail(Errno.AGAIN);
    }
    let n = 0;
    while (n < len && this.chunks.length > 0) {
      const head = this.chunks[0];
      const take = Math.min(head.length, len - n);
      into.set(take === head.length ? head : head.subarray(0, take), at + n);
      n += take;
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
    this.buffered -= n;
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

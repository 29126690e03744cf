import { Errno, Filetype } from '../abi/constants';
import { fail, MemoryMoved } from '../abi/errors';
import type { FileStat, Readiness, StreamHandle } from './types';

const streamStat = (filetype: Filetype): FileStat => ({
  dev: 0n, ino: 0n, filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n,
});

/** Base for handles that are streams with no host resource of their own. */
abstract class SimpleStream implements StreamHandle {
  readonly kind = 'stream';
  readonly filetype: Filetype = Filetype.CHARACTER_DEVICE;
  protected closed = false;
  read(_into: Uint8Array): number {
    return fail(Errno.BADF);
  }
  write(_data: Uint8Array): number {
    return fail(Errno.BADF);
  }
  stat(): FileStat {
    return streamStat(this.filetype);
  }
  close(): void {
    this.closed = true;
  }
}

/**
 * Output that goes to a callback (stdout/stderr). The callback gets a copy, so it may keep
 * the chunk; a callback that throws fails the write with EIO and loses nothing already sent.
 */
export class CallbackSink extends SimpleStream {
  constructor(private readonly sink: (chunk: Uint8Array) => void) {
    super();
  }
  override write(data: Uint8Array): number {
    // Measured first: a sink that grows the guest's memory detaches `data` (its length reads 0).
    const n = data.byteLength;
    if (n > 0) this.sink(data.slice());
    return n;
  }
  writeReadiness(): Readiness {
    return { ready: true, nbytes: 0, hangup: false };
  }
}

/**
 * Input from a fixed byte array (stdin given as a Uint8Array or string, or none). Like
 * `prog < file` or a pipe, never a terminal: UNKNOWN, as wasmtime reports a memory input pipe,
 * so isatty(0) is false and interpreters run the input as a script instead of starting a REPL.
 */
export class BytesSource extends SimpleStream {
  override readonly filetype: Filetype = Filetype.UNKNOWN;
  private position = 0;
  constructor(private readonly bytes: Uint8Array) {
    super();
  }
  override read(into: Uint8Array): number {
    const n = Math.min(into.byteLength, this.bytes.byteLength - this.position);
    into.set(this.bytes.subarray(this.position, this.position + n));
    this.position += n;
    return n;
  }
  /** Always ready: what is left, or the end (HANGUP). */
  readReadiness(): Readiness {
    const left = this.bytes.byteLength - this.position;
    return { ready: true, nbytes: left, hangup: left === 0 };
  }
}

/**
 * Input from a function that returns the next chunk, or null at end of input. A chunk
 * larger than the reader's buffer is kept for the next read. The function is called only
 * when nothing is kept, and never again after it returned null.
 */
export class PullSource extends SimpleStream {
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;
  constructor(private readonly next: () => Uint8Array | string | null) {
    super();
  }

  /** Makes sure something is kept, unless the input has ended. */
  private fill(): void {
    while (this.pending.byteLength === 0 && !this.ended) {
      const chunk = this.next();
      if (chunk === null) this.ended = true;
      else this.pending = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk.slice();
    }
  }

  override read(into: Uint8Array): number {
    const want = into.byteLength;
    if (want === 0) return 0;
    this.fill();
    // The function may have grown the guest's memory (a callback into the guest), which
    // detaches `into` when the memory is not shared: keep the chunk and let the call rerun.
    if (into.byteLength !== want) throw new MemoryMoved();
    const n = Math.min(want, this.pending.byteLength);
    into.set(this.pending.subarray(0, n));
    this.pending = this.pending.subarray(n);
    return n;
  }

  /** Asks the function for the next chunk if none is kept, so the answer is exact: the chunk's size, or the end. */
  readReadiness(): Readiness {
    this.fill();
    return { ready: true, nbytes: this.pending.byteLength, hangup: this.ended && this.pending.byteLength === 0 };
  }
}

/** Default output in environments without a process stdout: console lines. */
export function consoleSink(log: (line: string) => void): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder();
  let partial = '';
  return (chunk) => {
    partial += decoder.decode(chunk, { stream: true });
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) log(line);
  };
}

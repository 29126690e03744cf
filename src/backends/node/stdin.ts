import * as hostFs from 'node:fs';
import { isatty } from 'node:tty';
import { Errno, Filetype } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { FileStat, Readiness, StreamHandle } from '../types';
import { hostCall } from './errno';
import { toFileStat } from './stat';
import { StdinStream } from './stdin-stream';

/** First and longest pause (ms) while a non-blocking stdin has nothing: 1, 2, 4 ... 20 ms. */
const FIRST_PAUSE_MS = 1;
const MAX_PAUSE_MS = 20;
/** How much a readiness probe of a non-blocking stdin takes in at once (kept for the next read). */
const PROBE_SIZE = 65536;

let pauseCell: Int32Array | null = null;
function pause(ms: number): void {
  pauseCell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(pauseCell, 0, 0, ms);
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/**
 * The host process's stdin (fd 0, or another host fd) as the guest's stdin, with blocking
 * reads as a program expects, whatever the fd is: a file, a pipe, a socket or a terminal.
 *
 * - A read waits until there is data or the end; the end is 0, every time it is reached.
 * - If the host fd is non-blocking (Node makes a pipe on fd 0 non-blocking once anything
 *   touches `process.stdin`; a parent may hand one over), the host answers EAGAIN when
 *   nothing is there. That is not passed on: the read sleeps (Atomics.wait, 1 ms growing to
 *   20 ms, no CPU spent) and tries again.
 * - poll_oneoff: Node has no way to ask a blocking fd whether a read would block, so a
 *   blocking stdin is reported ready (nbytes 1, as wasmtime reports stdin) and the read that
 *   follows waits for data. Once the fd is known to be non-blocking, readiness is exact: the
 *   probe reads what is there and keeps it for the next read.
 * - The guest's NONBLOCK fdflag is not consulted: stdin reads always block, as in wasmtime.
 * - The fd is borrowed: closing the guest's fd 0 never closes the host's.
 * - In a threaded program (readWithoutBlocking, called by the kernel) a pipe, socket or
 *   terminal is read through the event loop instead (StdinStream): a read with nothing
 *   there is AGAIN, which parks the calling thread, and the kernel is woken when input comes.
 *
 * Don't read `process.stdin` in the same process meanwhile: both would take the same bytes.
 */
export class NodeStdin implements StreamHandle {
  readonly kind = 'stream';
  /** As wasmtime: CHARACTER_DEVICE for a terminal, UNKNOWN for anything else. */
  readonly filetype: Filetype;
  private closed = false;
  private nonBlocking = false;
  private ended = false;
  private kept: Uint8Array = new Uint8Array(0);
  /** Set once reads must not block this thread; null for a file, whose reads never wait. */
  private stream: StdinStream | null = null;

  constructor(private readonly fd = 0) {
    this.filetype = isatty(fd) ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN;
  }

  /** One host read: the count (0 at the end), or null for EAGAIN. */
  private readOnce(into: Uint8Array): number | null {
    for (;;) {
      try {
        const n = hostFs.readSync(this.fd, into, 0, into.byteLength, null);
        this.ended = n === 0;
        return n;
      } catch (error) {
        const code = codeOf(error);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          this.nonBlocking = true;
          return null;
        }
        if (code === 'EINTR') continue;
        if (code === 'EOF') { // libuv's end of a Windows pipe
          this.ended = true;
          return 0;
        }
        return hostCall(() => { throw error; });
      }
    }
  }

  read(into: Uint8Array): number {
    if (this.closed) fail(Errno.BADF);
    if (into.byteLength === 0) return 0;
    if (this.kept.byteLength > 0) {
      const n = Math.min(into.byteLength, this.kept.byteLength);
      into.set(this.kept.subarray(0, n));
      this.kept = this.kept.subarray(n);
      return n;
    }
    if (this.stream !== null) return this.stream.take(into) ?? fail(Errno.AGAIN);
    let wait = FIRST_PAUSE_MS;
    for (;;) {
      const n = this.readOnce(into);
      if (n !== null) return n;
      pause(wait);
      wait = Math.min(wait * 2, MAX_PAUSE_MS);
    }
  }

  write(_data: Uint8Array): number {
    return fail(Errno.BADF);
  }

  readReadiness(): Readiness {
    if (this.closed) fail(Errno.BADF);
    if (this.kept.byteLength > 0) return { ready: true, nbytes: this.kept.byteLength, hangup: false };
    if (this.stream !== null) return this.stream.readiness();
    // A terminal's end (^D) is not for good: the next read waits for the keyboard again.
    if (!this.nonBlocking) return { ready: true, nbytes: 0, hangup: this.ended && this.filetype !== Filetype.CHARACTER_DEVICE };
    const probe = new Uint8Array(PROBE_SIZE);
    const n = this.readOnce(probe);
    if (n === null) return { ready: false, nbytes: 0, hangup: false, external: true };
    this.kept = probe.subarray(0, n);
    return { ready: true, nbytes: n, hangup: n === 0 };
  }

  stat(): FileStat {
    if (this.closed) fail(Errno.BADF);
    return toFileStat(hostCall(() => hostFs.fstatSync(this.fd, { bigint: true })), this.filetype);
  }

  readWithoutBlocking(wake: () => void): void {
    if (this.closed || this.stream !== null) return;
    this.stream = StdinStream.forFd(this.fd, wake);
  }

  close(): void {
    this.closed = true;
    this.stream?.close();
  }
}

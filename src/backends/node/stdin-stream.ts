import * as hostFs from 'node:fs';
import * as net from 'node:net';
import * as tty from 'node:tty';
import { Errno } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { Readiness } from '../types';
import { errnoFromHost } from './errno';

type HostStream = net.Socket;

/**
 * The host's stdin read through Node's event loop (a net.Socket for a pipe or socket, a
 * tty.ReadStream for a terminal) instead of readSync, for a thread that must never block:
 * a threads kernel serving every other thread's calls.
 *
 * - Bytes are asked of the host only when a read finds none kept, and the stream is paused
 *   as soon as a chunk arrives, so what the program does not read stays (mostly) on the
 *   host fd; every chunk is kept whole, in order, and handed out as reads ask.
 * - `wake` is called when a chunk, the end or an error arrives: a read may succeed now.
 * - The stream is unref'd, so it never keeps the process alive by itself, and destroyed on
 *   close. The fd is borrowed: libuv never closes fds 0-2, and a higher host fd is read
 *   through a descriptor of its own (/dev/fd/N), which is what gets closed.
 * - A terminal's end (^D) is not for good: the next read opens a new stream and waits for
 *   the keyboard again. Any other end is for good.
 */
export class StdinStream {
  private stream: HostStream | null = null;
  private kept: Uint8Array = new Uint8Array(0);
  /** An end reached and not yet read (a terminal), or reached for good (anything else). */
  private ended = false;
  private error: Errno | null = null;
  private closed = false;

  private constructor(
    private readonly open: () => HostStream,
    private readonly terminal: boolean,
    private readonly wake: () => void,
  ) {}

  /**
   * A reader for `fd`, or null when its reads never wait (a regular file, /dev/null) or it
   * cannot be watched (a socket above fd 2, or a platform without /dev/fd): those are read
   * with readSync as before.
   */
  static forFd(fd: number, wake: () => void): StdinStream | null {
    let stat: hostFs.Stats;
    try {
      stat = hostFs.fstatSync(fd);
    } catch {
      return null;
    }
    const terminal = tty.isatty(fd);
    if (!terminal && !stat.isFIFO() && !stat.isSocket()) return null;
    if (fd > 2) {
      try {
        hostFs.closeSync(ownDescriptor(fd));
      } catch {
        return null;
      }
    }
    const open = (): HostStream => {
      const own = fd > 2 ? ownDescriptor(fd) : fd;
      try {
        return terminal ? new tty.ReadStream(own) : new net.Socket({ fd: own, readable: true, writable: false });
      } catch (e) {
        if (own !== fd) hostFs.closeSync(own);
        throw e;
      }
    };
    return new StdinStream(open, terminal, wake);
  }

  /** Moves kept bytes into `into`: the count, 0 at the end, or null if nothing is there yet (asked for). */
  take(into: Uint8Array): number | null {
    if (this.kept.byteLength > 0) {
      const n = Math.min(into.byteLength, this.kept.byteLength);
      into.set(this.kept.subarray(0, n));
      this.kept = this.kept.subarray(n);
      return n;
    }
    if (this.error !== null) fail(this.error);
    if (this.ended) {
      if (this.terminal) this.ended = false;
      return 0;
    }
    this.want();
    return null;
  }

  readiness(): Readiness {
    if (this.kept.byteLength > 0) return { ready: true, nbytes: this.kept.byteLength, hangup: false };
    if (this.error !== null) return { ready: true, nbytes: 0, hangup: false };
    if (this.ended) return { ready: true, nbytes: 0, hangup: !this.terminal };
    this.want();
    // `wake` says when it changes; external keeps a lone poller looking too.
    return { ready: false, nbytes: 0, hangup: false, external: true };
  }

  close(): void {
    this.closed = true;
    this.kept = new Uint8Array(0);
    const stream = this.stream;
    this.stream = null;
    stream?.destroy();
  }

  /** Asks the host for the next chunk. */
  private want(): void {
    if (this.closed) return;
    if (this.stream === null) {
      try {
        this.stream = this.listen(this.open());
      } catch (e) {
        this.error = errnoFromHost(e);
        return;
      }
    }
    this.stream.resume();
  }

  private listen(stream: HostStream): HostStream {
    stream.unref();
    stream.on('data', (chunk: Buffer) => {
      if (stream !== this.stream) return;
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.kept = this.kept.byteLength === 0 ? bytes : concat(this.kept, bytes);
      stream.pause();
      this.wake();
    });
    stream.on('end', () => this.over(stream, null));
    stream.on('error', (e) => this.over(stream, errnoFromHost(e)));
    return stream;
  }

  /** The stream is done (its end, or a host error); the next stream, if any, is a new one. */
  private over(stream: HostStream, error: Errno | null): void {
    if (stream !== this.stream) return;
    this.stream = null;
    stream.destroy();
    if (error === null) this.ended = true;
    else this.error = error;
    this.wake();
  }
}

/**
 * A descriptor of our own for host fd `fd` (above 2), which the stream may close. Non-blocking,
 * so that opening a pipe whose writer is gone does not wait for a writer.
 */
function ownDescriptor(fd: number): number {
  return hostFs.openSync(`/dev/fd/${fd}`, hostFs.constants.O_RDONLY | hostFs.constants.O_NONBLOCK);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

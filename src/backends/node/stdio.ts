import * as hostFs from 'node:fs';
import { isatty } from 'node:tty';
import { Errno, Filetype } from '../../abi/constants';
import { fail, WasiError } from '../../abi/errors';
import type { FileStat, StreamHandle } from '../types';
import { hostCall } from './errno';
import { toFileStat } from './stat';

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps without spinning while a non-blocking stdout pipe drains. */
function waitBriefly(): void {
  Atomics.wait(pause, 0, 0, 1);
}

/**
 * A host fd (the process's 0, 1 or 2, or any other) as a guest stream. The host fd is borrowed, never owned:
 * close() only stops this handle, so a guest's close(1) leaves Node's stdout working.
 *
 * filetype follows wasmtime: CHARACTER_DEVICE for a terminal, UNKNOWN for anything else
 * (pipe, file, /dev/null), so wasi-libc's isatty() agrees with the host's and a guest
 * never takes redirected stdio for a seekable file.
 */
export class NodeStdioHandle implements StreamHandle {
  readonly kind = 'stream';
  readonly filetype: Filetype;
  private closed = false;

  /** `fd` is any host fd; 0 is read, every other one written, unless `direction` says otherwise. */
  constructor(private readonly fd: number, private readonly direction: 'read' | 'write' = fd === 0 ? 'read' : 'write') {
    this.filetype = isatty(fd) ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN;
  }

  private checkOpen(): void {
    if (this.closed) fail(Errno.BADF, 'stdio handle closed');
  }

  private open(direction: 'read' | 'write'): number {
    this.checkOpen();
    // Reading fd 1 on a terminal would read the keyboard; each stream goes one way only.
    if (direction !== this.direction) fail(Errno.BADF);
    return this.fd;
  }

  /** EAGAIN (a non-blocking stdin with nothing there) goes to the guest as AGAIN; EOF is 0. */
  read(into: Uint8Array): number {
    const fd = this.open('read');
    if (into.length === 0) return 0;
    return hostCall(() => {
      try {
        return hostFs.readSync(fd, into, 0, into.length, null);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'EOF') return 0; // libuv's end of a Windows pipe
        throw error;
      }
    });
  }

  /**
   * Writes everything: stdout may be a non-blocking pipe that takes part of a write or
   * answers EAGAIN while full. An error after some bytes went out returns that count.
   */
  write(data: Uint8Array): number {
    const fd = this.open('write');
    let written = 0;
    while (written < data.length) {
      try {
        const n = hostCall(() => hostFs.writeSync(fd, data, written, data.length - written));
        if (n === 0) break;
        written += n;
      } catch (error) {
        if (error instanceof WasiError && error.errno === Errno.AGAIN) {
          waitBriefly();
          continue;
        }
        if (written > 0) break;
        throw error;
      }
    }
    return written;
  }

  /** Writes go straight to the fd, so there is nothing to flush (and fsync on a pipe fails). */
  sync(): void {
    this.checkOpen();
  }

  stat(): FileStat {
    this.checkOpen();
    const stats = hostCall(() => hostFs.fstatSync(this.fd, { bigint: true }));
    return toFileStat(stats, this.filetype);
  }

  close(): void {
    this.closed = true;
  }
}

/** Fresh handles over the process's own stdio. */
export function nodeStdio(): { stdin: NodeStdioHandle; stdout: NodeStdioHandle; stderr: NodeStdioHandle } {
  return { stdin: new NodeStdioHandle(0), stdout: new NodeStdioHandle(1), stderr: new NodeStdioHandle(2) };
}

import * as hostFs from 'node:fs';
import { Errno, type Advice } from '../../abi/constants';
import { fail } from '../../abi/errors';
import type { FileHandle, FileStat, TimeUpdate } from '../types';
import { hostCall } from './errno';
import { fileOps } from './host-ops';
import { toFileStat } from './stat';
import type { NodeTree } from './tree';

/** Host fds this backend opened and closed, so tests can prove none leaks or closes twice. */
export interface HostFdCounters {
  opened: number;
  closed: number;
  /** close() calls on an already closed handle; they never reach the host. */
  doubleCloseAttempts: number;
}

/** The soft RLIMIT_NOFILE of this process where the host tells it (Linux: /proc/self/limits), else null. */
function softFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(hostFs.readFileSync('/proc/self/limits', 'utf8'));
    if (m) return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    // Not Linux (or no /proc): unknown.
  }
  return null;
}

/**
 * The default cap on host fds held by NodeFileHandles: min(1024, soft RLIMIT_NOFILE - 64),
 * so a guest can never use up the process's fds (64 stay for Node itself and the embedder).
 * Where the limit can't be read, 1024 is assumed (Node raises its soft limit at start-up).
 */
export function defaultMaxHostFds(): number {
  const soft = softFileLimit() ?? 1024;
  return Math.max(1, Math.min(1024, soft - 64));
}

/**
 * Node's own checks would let a bad position through as something worse: -1 means "at the
 * fd's own offset" to readSync, and ftruncate clamps a negative length to 0.
 */
function checkOffset(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) fail(Errno.INVAL, `bad offset or size: ${value}`);
}

/**
 * One host fd of a regular file, read and written only at explicit positions: the offset
 * and APPEND live in the core's open file description. The fd is never opened O_APPEND,
 * because Linux pwrite ignores the position on such an fd.
 */
export class NodeFileHandle implements FileHandle {
  static readonly counters: HostFdCounters = { opened: 0, closed: 0, doubleCloseAttempts: 0 };

  /**
   * Most host fds all NodeFileHandles of this process may hold at once, with the
   * directories descriptors hold (every WASI object and preopen together: it is the
   * process's budget). An open past it fails with ENFILE
   * before the host is asked. Default: defaultMaxHostFds(). Embedders may set it.
   */
  static maxHostFds: number = defaultMaxHostFds();
  private static held = 0;

  /** Host fds NodeFileHandles hold right now. */
  static get hostFdsHeld(): number {
    return NodeFileHandle.held;
  }

  /** Whether one more host fd stays within maxHostFds. */
  static hasRoom(): boolean {
    return NodeFileHandle.held < NodeFileHandle.maxHostFds;
  }

  /** ENFILE if one more host fd would pass maxHostFds: called before the host opens anything. */
  static assertRoom(): void {
    if (NodeFileHandle.held >= NodeFileHandle.maxHostFds) {
      fail(Errno.NFILE, `refwasi holds ${NodeFileHandle.held} host fds, its cap (NodeFileHandle.maxHostFds)`);
    }
  }

  /**
   * Takes one host fd of the budget for something other than a file (a directory a
   * descriptor holds), if there is room; false if not (the caller then holds nothing).
   */
  static tryReserveHostFd(): boolean {
    if (NodeFileHandle.held >= NodeFileHandle.maxHostFds) return false;
    NodeFileHandle.held++;
    return true;
  }

  static releaseHostFd(): void {
    NodeFileHandle.held--;
  }

  readonly kind = 'file';
  private fd: number | null;

  constructor(fd: number, private readonly tree: NodeTree) {
    this.fd = fd;
    NodeFileHandle.counters.opened++;
    NodeFileHandle.held++;
  }

  /** The fd, or BADF once closed: the number may already belong to another open file. */
  private get hostFd(): number {
    if (this.fd === null) fail(Errno.BADF, 'file handle closed');
    return this.fd;
  }

  private writableFd(): number {
    this.tree.assertWritable();
    return this.hostFd;
  }

  read(into: Uint8Array, position: number): number {
    return this.readInto(into, 0, into.length, position);
  }

  /** Straight into guest memory (bytes [at, at + length)): no view, no copy. */
  readInto(bytes: Uint8Array, at: number, length: number, position: number): number {
    checkOffset(position);
    const fd = this.hostFd;
    return fileOps().read(fd, bytes, at, length, position);
  }

  write(data: Uint8Array, position: number): number {
    return this.writeFrom(data, 0, data.length, position);
  }

  /** Loops over short writes; if an error cuts it short after some bytes, returns that count. */
  writeFrom(bytes: Uint8Array, at: number, length: number, position: number): number {
    checkOffset(position);
    const fd = this.writableFd();
    const ops = fileOps();
    return writeFully(length, (done) => ops.write(fd, bytes, at + done, length - done, position + done));
  }

  /**
   * FileHandle.appendFrom, only where the host appends atomically (the addon's
   * pwritev2(RWF_APPEND): a concurrent appender's bytes are never overwritten). Without it the
   * syscall layer's own APPEND write (size(), then a write there) is the one.
   */
  get appendFrom(): FileHandle['appendFrom'] {
    return fileOps().append !== undefined ? this.appendAtHostEnd : undefined;
  }

  private appendAtHostEnd(bytes: Uint8Array, at: number, length: number): number {
    const fd = this.writableFd();
    const append = fileOps().append!;
    return writeFully(length, (done) => append(fd, bytes, at + done, length - done));
  }

  /** The position just past the bytes the last appendFrom wrote: the host fd's offset, asked only now. */
  appendedEnd(): number {
    const tell = fileOps().tell;
    return tell !== undefined ? tell(this.hostFd) : this.size();
  }

  size(): number {
    const fd = this.hostFd;
    return fileOps().size(fd);
  }

  stat(): FileStat {
    const fd = this.hostFd;
    return this.tree.exactTimes(toFileStat(fileOps().stat(fd)));
  }

  truncate(size: number): void {
    checkOffset(size);
    const fd = this.writableFd();
    hostCall(() => hostFs.ftruncateSync(fd, size));
  }

  setTimes(atim: TimeUpdate, mtim: TimeUpdate): void {
    const fd = this.writableFd();
    const before = this.stat();
    fileOps().setTimes(fd, atim, mtim);
    this.tree.rememberTimes(before, toFileStat(fileOps().stat(fd)), atim, mtim);
  }

  sync(): void {
    const fd = this.hostFd;
    hostCall(() => hostFs.fsyncSync(fd));
  }

  datasync(): void {
    const fd = this.hostFd;
    hostCall(() => hostFs.fdatasyncSync(fd));
  }

  /**
   * posix_fallocate, emulated: Node has no fallocate, so the file only grows (sparsely) to
   * cover the range. It never shrinks, which is what makes the emulation safe.
   */
  allocate(offset: number, length: number): void {
    checkOffset(offset);
    checkOffset(length);
    const end = offset + length;
    checkOffset(end);
    const fd = this.writableFd();
    if (end > this.size()) hostCall(() => hostFs.ftruncateSync(fd, end));
  }

  /** Advice is only a hint and Node has no posix_fadvise; accepting it is correct. */
  advise(offset: number, length: number, _advice: Advice): void {
    checkOffset(offset);
    checkOffset(length);
    void this.hostFd; // still BADF once closed
  }

  /** Closes the host fd exactly once; the fd is given up even if the host reports an error. */
  close(): void {
    if (this.fd === null) {
      NodeFileHandle.counters.doubleCloseAttempts++;
      return;
    }
    const fd = this.fd;
    this.fd = null;
    NodeFileHandle.counters.closed++;
    NodeFileHandle.held--;
    fileOps().close(fd);
  }
}

/**
 * Runs `step(done)` until `length` bytes are written: a short host write goes on from where it
 * stopped, and a failure after some bytes ends the write short, as POSIX write() does.
 */
function writeFully(length: number, step: (done: number) => number): number {
  let written = 0;
  while (written < length) {
    try {
      const n = step(written);
      if (n === 0) break;
      written += n;
    } catch (error) {
      if (written > 0) break;
      throw error;
    }
  }
  return written;
}

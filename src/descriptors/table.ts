import { DescriptorFlags, Errno } from '../abi/constants';
import { fail } from '../abi/errors';
import type { Handle } from '../backends/types';
import { OpenFileDescription } from './description';

/** One fd number's entry: rights and CLOEXEC are per descriptor, everything else is the description's. */
export class Descriptor<H extends Handle = Handle> {
  constructor(
    readonly description: OpenFileDescription<H>,
    public rightsBase: number,
    public rightsInheriting: number,
    public fdflags: number = 0,
    /** The guest path for a preopened directory (fd_prestat_*); it moves with renumber. */
    public preopenPath: string | null = null,
  ) {}

  get handle(): H {
    return this.description.handle;
  }
}

export type RenumberMode = 'strict' | 'permissive';

export interface TableOptions {
  /**
   * Most descriptors open at once; one more is EMFILE. Like RLIMIT_NOFILE it also bounds the
   * numbers: new fds are always below it, and dup2/renumber onto a number at or past it is EBADF.
   */
  maxDescriptors?: number;
}

export const DEFAULT_MAX_DESCRIPTORS = 1 << 16;
/** Slots below this are never trimmed from the slot array. */
const TRIM_FROM = 64;

/**
 * The descriptor table: owns fd numbers, nothing else. New descriptors get the lowest free
 * number (POSIX); closing releases one reference to the description. Numbers stay below
 * maxDescriptors, so the slot array never grows past it.
 */
export class DescriptorTable {
  private slots: (Descriptor | undefined)[] = [];
  /** No free slot below this index; keeps "lowest free" cheap without a scan from 0. */
  private lowestFree = 0;
  private count = 0;
  readonly maxDescriptors: number;
  /**
   * Renumbers onto a free number that strict mode refused. Programs built for the preview1
   * component adapter do this to redirect stdout and lose output under strict mode; the
   * `refwasi` command reads this to say so.
   */
  strictRefusals = 0;

  constructor(options: TableOptions = {}) {
    const max = options.maxDescriptors ?? DEFAULT_MAX_DESCRIPTORS;
    // fd numbers are i32 in the ABI; the slot array is as long as the highest fd in use.
    if (!Number.isInteger(max) || max < 3 || max > 2 ** 31) {
      throw new RangeError(`maxDescriptors must be an integer from 3 to 2^31, not ${max}`);
    }
    this.maxDescriptors = max;
  }

  get size(): number {
    return this.count;
  }

  /** The descriptor at `fd`, or EBADF. */
  get(fd: number): Descriptor {
    const d = this.slots[fd];
    if (d === undefined) fail(Errno.BADF);
    return d;
  }

  has(fd: number): boolean {
    return this.slots[fd] !== undefined;
  }

  /**
   * Open fd numbers in ascending order. for...in visits only the numbers ever used (array
   * indices come in ascending order), so a table with one fd at 65535 is listed in
   * microseconds; a loop over every index of such a sparse array takes milliseconds.
   */
  fds(): number[] {
    const out: number[] = [];
    for (const key in this.slots) if (this.slots[key as unknown as number] !== undefined) out.push(Number(key));
    return out;
  }

  /** A number new descriptors may take (POSIX: below RLIMIT_NOFILE). */
  private inRange(fd: number): boolean {
    return Number.isInteger(fd) && fd >= 0 && fd < this.maxDescriptors;
  }

  /** Lowest free number >= min. */
  private freeSlot(min: number): number {
    let fd = Math.max(min, this.lowestFree);
    while (this.slots[fd] !== undefined) fd++;
    return fd;
  }

  private place(fd: number, d: Descriptor): void {
    if (this.slots[fd] === undefined) this.count++;
    this.slots[fd] = d;
    if (fd === this.lowestFree) {
      let next = fd + 1;
      while (this.slots[next] !== undefined) next++;
      this.lowestFree = next;
    }
  }

  /**
   * Installs a new descriptor over `description` at the lowest free number >= min.
   * Takes one reference to the description on success only.
   */
  insert(description: OpenFileDescription, rightsBase: number, rightsInheriting: number, min = 0, fdflags = 0): number {
    if (this.count >= this.maxDescriptors) fail(Errno.MFILE);
    const fd = this.freeSlot(min);
    if (fd >= this.maxDescriptors) fail(Errno.MFILE);
    description.retain();
    this.place(fd, new Descriptor(description, rightsBase, rightsInheriting, fdflags));
    return fd;
  }

  /** EMFILE unless insert(min) would find a number: lets a caller refuse before it creates anything. */
  checkRoom(min = 0): void {
    if (this.count >= this.maxDescriptors || this.freeSlot(min) >= this.maxDescriptors) fail(Errno.MFILE);
  }

  /** Installs a descriptor at an exact number (stdio and preopens at startup). */
  insertAt(fd: number, d: Descriptor): void {
    if (this.slots[fd] !== undefined) fail(Errno.BADF, `fd ${fd} already in use`);
    d.description.retain();
    this.place(fd, d);
  }

  private remove(fd: number): Descriptor {
    const d = this.get(fd);
    this.slots[fd] = undefined;
    this.count--;
    if (fd < this.lowestFree) this.lowestFree = fd;
    // Keep the array short when high slots empty, so fds() stays cheap after a burst of fds;
    // the first 64 stay as they are (resizing the array on every close of fd 4 costs).
    if (fd >= TRIM_FROM && fd === this.slots.length - 1) {
      while (this.slots.length > TRIM_FROM && this.slots[this.slots.length - 1] === undefined) this.slots.length--;
    }
    return d;
  }

  /** close(fd): removes the number, then releases one reference (the last closes the handle). */
  close(fd: number): void {
    this.remove(fd).description.release();
  }

  /** POSIX dup / fcntl(F_DUPFD[_CLOEXEC]): the lowest free fd >= min over the same description. */
  dup(fd: number, min = 0, cloexec = false): number {
    const d = this.get(fd);
    if (!(min >= 0 && min < this.maxDescriptors)) fail(Errno.INVAL);
    return this.insert(d.description, d.rightsBase, d.rightsInheriting, min, cloexec ? DescriptorFlags.CLOEXEC : 0);
  }

  /**
   * POSIX dup2(fd, to): `to` ends up referring to fd's description, whatever it held before
   * (released like close). dup2(fd, fd) checks fd and does nothing. CLOEXEC is cleared on `to`.
   */
  dup2(fd: number, to: number, cloexec = false): number {
    const d = this.get(fd);
    if (!this.inRange(to)) fail(Errno.BADF);
    if (fd === to) return to;
    if (!this.has(to) && this.count >= this.maxDescriptors) fail(Errno.MFILE);
    d.description.retain();
    const old = this.slots[to];
    this.place(to, new Descriptor(d.description, d.rightsBase, d.rightsInheriting, cloexec ? DescriptorFlags.CLOEXEC : 0));
    old?.description.release();
    return to;
  }

  /**
   * fd_renumber(from, to). strict (wasmtime): both open, else EBADF. permissive (the
   * preview1 component adapter): `to` may be free. from == to is a no-op once `from` is
   * known open. The old `to` is released exactly like fd_close; `from` is closed; the
   * descriptor itself (rights, CLOEXEC, preopen path) moves.
   */
  renumber(from: number, to: number, mode: RenumberMode = 'strict'): void {
    const d = this.get(from);
    if (from === to) return;
    if (!this.inRange(to)) this.get(to);
    if (mode === 'strict' && this.slots[to] === undefined) {
      this.strictRefusals++;
      fail(Errno.BADF);
    }
    const old = this.slots[to];
    this.slots[from] = undefined;
    this.count--;
    if (from < this.lowestFree) this.lowestFree = from;
    this.place(to, d);
    old?.description.release();
  }

  /** Closes every descriptor (end of a run); host errors on close do not stop the others. */
  closeAll(): void {
    let firstError: unknown;
    for (const fd of this.fds()) {
      try {
        this.close(fd);
      } catch (e) {
        firstError ??= e;
      }
    }
    if (firstError !== undefined) throw firstError;
  }
}

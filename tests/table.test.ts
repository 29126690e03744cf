import { DescriptorFlags, Errno, Filetype } from '../src/abi/constants';
import { WasiError } from '../src/abi/errors';
import type { FileStat, StreamHandle } from '../src/backends/types';
import { OpenFileDescription } from '../src/descriptors/description';
import { Descriptor, DescriptorTable } from '../src/descriptors/table';
import { errname } from './support/errname';

/** A handle that only counts how often it is closed. */
class FakeHandle implements StreamHandle {
  readonly kind = 'stream';
  readonly filetype = Filetype.UNKNOWN;
  closes = 0;
  constructor(readonly name = 'h', private readonly failClose = false) {}
  read(): number {
    return 0;
  }
  write(d: Uint8Array): number {
    return d.byteLength;
  }
  stat(): FileStat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }
  close(): void {
    this.closes++;
    if (this.failClose) throw new Error(`close of ${this.name} failed`);
  }
}

function desc(h = new FakeHandle()): OpenFileDescription<FakeHandle> {
  return new OpenFileDescription(h, Filetype.UNKNOWN);
}

/** The errno a table call fails with, or 'ok'. */
function err(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WasiError)) throw e;
    return errname(e.errno);
  }
  return 'ok';
}

/** A table with fresh descriptions at 0..n-1; returns their handles. */
function filled(t: DescriptorTable, n: number): FakeHandle[] {
  const hs: FakeHandle[] = [];
  for (let i = 0; i < n; i++) {
    const h = new FakeHandle(`h${i}`);
    hs.push(h);
    expect(t.insert(desc(h), 7, 3)).toBe(i);
  }
  return hs;
}

const BAD_FDS = [-1, -2147483648, 100, 2147483647, 4294967295, 2 ** 32, 0.5, NaN];

describe('allocation', () => {
  it('hands out the lowest free number, also after closes', () => {
    const t = new DescriptorTable();
    filled(t, 6);
    expect(t.fds()).toEqual([0, 1, 2, 3, 4, 5]);
    t.close(4);
    t.close(1);
    t.close(2);
    expect(t.fds()).toEqual([0, 3, 5]);
    expect(t.size).toBe(3);
    expect(t.insert(desc(), 0, 0)).toBe(1);
    expect(t.insert(desc(), 0, 0)).toBe(2);
    expect(t.insert(desc(), 0, 0)).toBe(4);
    expect(t.insert(desc(), 0, 0)).toBe(6);
    t.close(6);
    t.close(5);
    expect(t.insert(desc(), 0, 0)).toBe(5);
    t.close(0);
    expect(t.insert(desc(), 0, 0)).toBe(0);
  });

  it('insert(min) takes the lowest free number at or above min', () => {
    const t = new DescriptorTable();
    filled(t, 3);
    expect(t.insert(desc(), 0, 0, 10)).toBe(10);
    expect(t.insert(desc(), 0, 0, 10)).toBe(11);
    expect(t.insert(desc(), 0, 0, 1)).toBe(3);
    expect(t.insert(desc(), 0, 0)).toBe(4);
    expect(t.fds()).toEqual([0, 1, 2, 3, 4, 10, 11]);
  });

  it('insertAt places an exact number and refuses a taken one', () => {
    const t = new DescriptorTable();
    const d = desc();
    t.insertAt(5, new Descriptor(d, 1, 2, 0, '/x'));
    expect(d.refCount).toBe(1);
    expect(t.get(5).preopenPath).toBe('/x');
    expect(err(() => t.insertAt(5, new Descriptor(desc(), 0, 0)))).toBe('BADF');
    expect(t.insert(desc(), 0, 0)).toBe(0);
    expect(t.fds()).toEqual([0, 5]);
  });

  it('get/has/close give EBADF for never-opened, closed, negative and huge numbers', () => {
    const t = new DescriptorTable();
    filled(t, 2);
    t.close(1);
    for (const fd of [1, ...BAD_FDS]) {
      expect(t.has(fd)).toBe(false);
      expect(err(() => t.get(fd))).toBe('BADF');
      expect(err(() => t.close(fd))).toBe('BADF');
    }
    expect(t.fds()).toEqual([0]);
    expect(t.size).toBe(1);
  });

  it('EMFILE once maxDescriptors are open, and a close makes room again', () => {
    const t = new DescriptorTable({ maxDescriptors: 4 });
    filled(t, 4);
    const d = desc();
    expect(err(() => t.insert(d, 0, 0))).toBe('MFILE');
    expect(d.refCount).toBe(0);
    expect(err(() => t.dup(0))).toBe('MFILE');
    expect(t.get(0).description.refCount).toBe(1);
    t.close(2);
    expect(t.insert(desc(), 0, 0)).toBe(2);
    expect(t.size).toBe(4);
  });

  it('fd numbers stay below maxDescriptors (RLIMIT_NOFILE): a min that leaves no room is EMFILE', () => {
    const t = new DescriptorTable({ maxDescriptors: 4 });
    filled(t, 1);
    expect(t.insert(desc(), 0, 0, 3)).toBe(3);
    const d = desc();
    expect(err(() => t.insert(d, 0, 0, 3))).toBe('MFILE');
    expect(d.refCount).toBe(0);
    expect(t.fds()).toEqual([0, 3]);
  });
});

describe('dup', () => {
  it('takes the lowest free fd, shares the description and copies rights', () => {
    const t = new DescriptorTable();
    const [h0] = filled(t, 3);
    t.close(1);
    const fd = t.dup(0);
    expect(fd).toBe(1);
    expect(t.get(1).description).toBe(t.get(0).description);
    expect(t.get(1).rightsBase).toBe(7);
    expect(t.get(1).rightsInheriting).toBe(3);
    expect(t.get(0).description.refCount).toBe(2);
    t.close(0);
    expect(h0.closes).toBe(0);
    t.close(1);
    expect(h0.closes).toBe(1);
  });

  it('clears CLOEXEC on the new fd (POSIX), or sets it for F_DUPFD_CLOEXEC', () => {
    const t = new DescriptorTable();
    t.insert(desc(), 0, 0, 0, DescriptorFlags.CLOEXEC);
    expect(t.get(0).fdflags).toBe(DescriptorFlags.CLOEXEC);
    expect(t.get(t.dup(0)).fdflags).toBe(0);
    expect(t.get(t.dup(0, 0, true)).fdflags).toBe(DescriptorFlags.CLOEXEC);
    expect(t.get(0).fdflags).toBe(DescriptorFlags.CLOEXEC);
  });

  it('does not carry the preopen path (a dup of a preopen is not a preopen)', () => {
    const t = new DescriptorTable();
    t.insertAt(3, new Descriptor(desc(), 0, 0, 0, '/'));
    const fd = t.dup(3);
    expect(t.get(fd).preopenPath).toBeNull();
  });

  it('dup(fd, min) is F_DUPFD: lowest free at or above min', () => {
    const t = new DescriptorTable();
    filled(t, 3);
    expect(t.dup(0, 1)).toBe(3);
    expect(t.dup(0, 10)).toBe(10);
    expect(t.dup(0, 10)).toBe(11);
    t.close(10);
    expect(t.dup(2, 5)).toBe(5);
    expect(t.dup(2, 6)).toBe(6);
    expect(t.dup(2, 7)).toBe(7);
    expect(t.dup(2, 8)).toBe(8);
    expect(t.dup(2, 9)).toBe(9);
    expect(t.dup(2, 9)).toBe(10);
    expect(t.get(0).description.refCount).toBe(3);
  });

  it('EBADF for a bad source fd, whatever min is', () => {
    const t = new DescriptorTable();
    filled(t, 2);
    t.close(1);
    for (const fd of [1, ...BAD_FDS]) {
      expect(err(() => t.dup(fd))).toBe('BADF');
      expect(err(() => t.dup(fd, -1))).toBe('BADF');
    }
    expect(t.fds()).toEqual([0]);
  });

  it('EINVAL for a negative min or one at or past the limit; EMFILE when nothing is free above min', () => {
    const t = new DescriptorTable({ maxDescriptors: 8 });
    filled(t, 1);
    expect(err(() => t.dup(0, -1))).toBe('INVAL');
    expect(err(() => t.dup(0, 8))).toBe('INVAL');
    expect(err(() => t.dup(0, 2 ** 31))).toBe('INVAL');
    expect(t.dup(0, 7)).toBe(7);
    expect(err(() => t.dup(0, 7))).toBe('MFILE');
    expect(t.get(0).description.refCount).toBe(2);
    expect(t.fds()).toEqual([0, 7]);
  });
});

describe('dup2 (POSIX)', () => {
  it('onto a free number', () => {
    const t = new DescriptorTable();
    filled(t, 1);
    expect(t.dup2(0, 5)).toBe(5);
    expect(t.fds()).toEqual([0, 5]);
    expect(t.get(5).description).toBe(t.get(0).description);
    expect(t.get(0).description.refCount).toBe(2);
    // 1..4 are still free and taken in order.
    expect(t.insert(desc(), 0, 0)).toBe(1);
  });

  it('onto an open number releases it exactly like close', () => {
    const t = new DescriptorTable();
    const [, h1] = filled(t, 2);
    const other = t.dup(1);
    expect(t.dup2(0, 1)).toBe(1);
    expect(h1.closes).toBe(0);
    expect(t.get(other).description.refCount).toBe(1);
    expect(t.dup2(0, other)).toBe(other);
    expect(h1.closes).toBe(1);
    expect(t.get(0).description.refCount).toBe(3);
  });

  it('onto a dup of itself keeps the count right', () => {
    const t = new DescriptorTable();
    const [h0] = filled(t, 1);
    const d1 = t.dup(0);
    expect(t.dup2(0, d1)).toBe(d1);
    expect(t.get(0).description.refCount).toBe(2);
    t.close(0);
    t.close(d1);
    expect(h0.closes).toBe(1);
  });

  it('dup2(fd, fd) is a no-op on an open fd and EBADF on a closed one', () => {
    const t = new DescriptorTable();
    const [h0] = filled(t, 1);
    t.get(0).fdflags = DescriptorFlags.CLOEXEC;
    expect(t.dup2(0, 0)).toBe(0);
    expect(t.get(0).description.refCount).toBe(1);
    expect(t.get(0).fdflags).toBe(DescriptorFlags.CLOEXEC);
    expect(h0.closes).toBe(0);
    expect(err(() => t.dup2(3, 3))).toBe('BADF');
  });

  it('clears CLOEXEC on the target, or sets it when asked', () => {
    const t = new DescriptorTable();
    t.insert(desc(), 0, 0, 0, DescriptorFlags.CLOEXEC);
    t.insert(desc(), 0, 0, 0, DescriptorFlags.CLOEXEC);
    t.dup2(0, 1);
    expect(t.get(1).fdflags).toBe(0);
    t.dup2(0, 4, true);
    expect(t.get(4).fdflags).toBe(DescriptorFlags.CLOEXEC);
  });

  it('error paths: EBADF for a bad source, for a target out of range; nothing changes', () => {
    const t = new DescriptorTable({ maxDescriptors: 16 });
    const [h0] = filled(t, 2);
    for (const fd of BAD_FDS) expect(err(() => t.dup2(fd, 1))).toBe('BADF');
    for (const to of [-1, -2147483648, 16, 2147483647, 2 ** 32]) expect(err(() => t.dup2(0, to))).toBe('BADF');
    expect(t.fds()).toEqual([0, 1]);
    expect(t.get(0).description.refCount).toBe(1);
    expect(h0.closes).toBe(0);
  });

  it('EMFILE when the target is free but the table is full', () => {
    const t = new DescriptorTable({ maxDescriptors: 3 });
    filled(t, 2);
    // A descriptor placed past the limit at start-up (as preopens are) still counts.
    t.insertAt(9, new Descriptor(desc(), 0, 0));
    expect(err(() => t.dup2(0, 2))).toBe('MFILE');
    expect(t.dup2(0, 1)).toBe(1);
    expect(t.fds()).toEqual([0, 1, 9]);
  });
});

describe('renumber', () => {
  it('strict: moves the descriptor, closes from, releases the old target once', () => {
    const t = new DescriptorTable();
    const [h0, h1] = filled(t, 3);
    t.get(0).fdflags = DescriptorFlags.CLOEXEC;
    t.get(0).rightsBase = 5;
    const d0 = t.get(0).description;
    t.renumber(0, 1);
    expect(t.fds()).toEqual([1, 2]);
    expect(t.get(1).description).toBe(d0);
    expect(t.get(1).fdflags).toBe(DescriptorFlags.CLOEXEC);
    expect(t.get(1).rightsBase).toBe(5);
    expect(h1.closes).toBe(1);
    expect(h0.closes).toBe(0);
    expect(d0.refCount).toBe(1);
    expect(t.size).toBe(2);
    // The freed `from` number is the lowest free one again.
    expect(t.insert(desc(), 0, 0)).toBe(0);
  });

  it('moves a preopen path with the descriptor', () => {
    const t = new DescriptorTable();
    filled(t, 3);
    t.insertAt(3, new Descriptor(desc(), 0, 0, 0, '/data'));
    t.renumber(3, 1);
    expect(t.get(1).preopenPath).toBe('/data');
    expect(t.has(3)).toBe(false);
  });

  it('strict: EBADF when either end is not open, and nothing changes', () => {
    const t = new DescriptorTable();
    const hs = filled(t, 2);
    for (const bad of [2, 7, ...BAD_FDS]) {
      expect(err(() => t.renumber(0, bad))).toBe('BADF');
      expect(err(() => t.renumber(bad, 0))).toBe('BADF');
    }
    expect(t.fds()).toEqual([0, 1]);
    expect(hs.map((h) => h.closes)).toEqual([0, 0]);
    expect(t.get(0).description.refCount).toBe(1);
  });

  it('from == to: a no-op when open (nothing closed), EBADF when not', () => {
    const t = new DescriptorTable();
    const [h0] = filled(t, 1);
    t.renumber(0, 0);
    t.renumber(0, 0, 'permissive');
    expect(t.fds()).toEqual([0]);
    expect(h0.closes).toBe(0);
    expect(t.get(0).description.refCount).toBe(1);
    expect(err(() => t.renumber(1, 1))).toBe('BADF');
    expect(err(() => t.renumber(1, 1, 'permissive'))).toBe('BADF');
  });

  it('onto a dup of itself: one reference fewer, handle still open', () => {
    const t = new DescriptorTable();
    const [h0] = filled(t, 1);
    const d = t.dup(0);
    t.renumber(0, d);
    expect(t.fds()).toEqual([d]);
    expect(t.get(d).description.refCount).toBe(1);
    expect(h0.closes).toBe(0);
    t.close(d);
    expect(h0.closes).toBe(1);
  });

  it('permissive: a free target is allowed; targets out of range are EBADF', () => {
    const t = new DescriptorTable({ maxDescriptors: 16 });
    const [h0] = filled(t, 2);
    t.renumber(0, 9, 'permissive');
    expect(t.fds()).toEqual([1, 9]);
    expect(t.size).toBe(2);
    t.renumber(9, 1, 'permissive');
    expect(t.fds()).toEqual([1]);
    expect(h0.closes).toBe(0);
    for (const to of [-1, -2147483648, 16, 2147483647, 2 ** 32]) expect(err(() => t.renumber(1, to, 'permissive'))).toBe('BADF');
    expect(err(() => t.renumber(5, 6, 'permissive'))).toBe('BADF');
    expect(t.fds()).toEqual([1]);
    expect(t.insert(desc(), 0, 0)).toBe(0);
  });

  it('permissive onto the highest allowed number stays cheap to close and list', () => {
    const t = new DescriptorTable();
    filled(t, 1);
    const top = t.maxDescriptors - 1;
    const start = Date.now();
    t.renumber(0, top, 'permissive');
    expect(t.fds()).toEqual([top]);
    t.close(top);
    expect(t.fds()).toEqual([]);
    expect(Date.now() - start).toBeLessThan(1000);
  });
});

describe('references and exactly-once close', () => {
  it('the handle closes at the last release, whatever the order', () => {
    const t = new DescriptorTable();
    const h = new FakeHandle();
    const d = desc(h);
    const a = t.insert(d, 0, 0);
    const b = t.dup(a);
    const c = t.dup(b, 10);
    t.dup2(c, 20);
    expect(d.refCount).toBe(4);
    for (const fd of [c, a, 20]) {
      t.close(fd);
      expect(h.closes).toBe(0);
    }
    t.close(b);
    expect(h.closes).toBe(1);
    expect(d.refCount).toBe(0);
    expect(err(() => t.close(b))).toBe('BADF');
    expect(h.closes).toBe(1);
  });

  it('a closed description cannot be retained again, and extra releases do nothing', () => {
    const h = new FakeHandle();
    let observed = 0;
    const d = new OpenFileDescription(h, Filetype.UNKNOWN, 0, true, true, () => observed++);
    d.retain();
    d.release();
    expect(h.closes).toBe(1);
    expect(observed).toBe(1);
    d.release();
    expect(h.closes).toBe(1);
    expect(observed).toBe(1);
    expect(err(() => d.retain())).toBe('BADF');
    const t = new DescriptorTable();
    expect(err(() => t.insert(d, 0, 0))).toBe('BADF');
    expect(t.fds()).toEqual([]);
  });

  it('a host error on close is reported once, and the description is still gone', () => {
    const t = new DescriptorTable();
    const h = new FakeHandle('bad', true);
    const fd = t.insert(desc(h), 0, 0);
    expect(() => t.close(fd)).toThrow('close of bad failed');
    expect(t.has(fd)).toBe(false);
    expect(h.closes).toBe(1);
  });

  it('closeAll closes every handle once, keeps going past a failing close, and rethrows the first error', () => {
    const t = new DescriptorTable();
    const good = [new FakeHandle('a'), new FakeHandle('b'), new FakeHandle('c')];
    const bad = [new FakeHandle('x', true), new FakeHandle('y', true)];
    t.insert(desc(good[0]), 0, 0);
    t.insert(desc(bad[0]), 0, 0);
    t.insert(desc(good[1]), 0, 0);
    t.dup(0);
    t.insert(desc(bad[1]), 0, 0);
    t.dup2(2, 30);
    t.insertAt(40, new Descriptor(desc(good[2]), 0, 0));
    expect(() => t.closeAll()).toThrow('close of x failed');
    expect([...good, ...bad].map((h) => h.closes)).toEqual([1, 1, 1, 1, 1]);
    expect(t.fds()).toEqual([]);
    expect(t.size).toBe(0);
    t.closeAll();
    expect([...good, ...bad].map((h) => h.closes)).toEqual([1, 1, 1, 1, 1]);
    expect(t.insert(desc(), 0, 0)).toBe(0);
  });
});

describe('maxDescriptors option', () => {
  it('refuses values that are not a usable fd limit', () => {
    for (const bad of [0, 2, -1, 1.5, NaN, Infinity, 2 ** 31 + 1]) {
      expect(() => new DescriptorTable({ maxDescriptors: bad })).toThrow(RangeError);
    }
    expect(new DescriptorTable({ maxDescriptors: 3 }).maxDescriptors).toBe(3);
  });
});

describe('strictRefusals', () => {
  it('counts renumbers onto a free number that strict mode refused, and nothing else', () => {
    const t = new DescriptorTable();
    const desc = new OpenFileDescription(new (class {
      readonly kind = 'stream' as const;
      readonly filetype = Filetype.UNKNOWN;
      read(): number { return 0; }
      write(d: Uint8Array): number { return d.length; }
      stat(): FileStat { return { dev: 0n, ino: 0n, filetype: Filetype.UNKNOWN, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n }; }
      close(): void {}
    })() as StreamHandle, Filetype.UNKNOWN);
    const a = t.insert(desc, 0, 0);
    const b = t.insert(desc, 0, 0);
    expect(() => t.renumber(a, 50, 'strict')).toThrow(WasiError);
    expect(() => t.renumber(7, 8, 'strict')).toThrow(WasiError); // `from` not open: not a refusal of `to`
    expect(t.strictRefusals).toBe(1);
    t.renumber(a, b, 'strict');
    t.renumber(b, 60, 'permissive');
    expect(t.strictRefusals).toBe(1);
    expect(t.fds()).toEqual([60]);
  });
});

// The dup extension (import module wasix_32v1) with POSIX meaning: fd_dup, fd_dup2 (F_DUPFD),
// fd_fdflags_get/set (CLOEXEC) and fd_pipe, through the import object with a real memory.
import { DescriptorFlags, Fdflags, Whence } from '../src/abi/constants';
import { Harness, PAGE, dec, errname as E, poison, snapshot } from './support/harness';

const TREE = { 'f.txt': '0123456789', dir: { 'x.txt': 'x' } };
const OUT = 64;
const CLOEXEC = DescriptorFlags.CLOEXEC;

const BAD_FDS: [string, (h: Harness) => number][] = [
  ['never opened', () => 40],
  ['closed', (h) => {
    const fd = h.open('f.txt');
    h.p.fd_close(fd);
    return fd;
  }],
  ['negative', () => -1],
  ['most negative', () => -0x80000000],
  ['huge', () => 0x7fffffff],
];

describe('fd_dup', () => {
  it('returns the lowest free fd over the same description', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    expect(h.dup(fd)).toEqual({ errno: 0, fd: 5 });
    expect(h.p.fd_close(1)).toBe(0);
    expect(h.dup(fd)).toEqual({ errno: 0, fd: 1 });
    expect(h.dup(fd)).toEqual({ errno: 0, fd: 6 });
    expect(h.root.openHandles).toBe(1);
  });

  it('writes exactly a u32 at the result pointer', () => {
    const h = new Harness(TREE);
    poison(h);
    expect(h.x.fd_dup(3, 100)).toBe(0);
    expect([...h.get(99, 6)]).toEqual([0xa5, 4, 0, 0, 0, 0xa5]);
  });

  it('shares the offset both ways, and status flags (APPEND) both ways', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    const dup = h.dup(fd).fd;
    expect(dec(h.read(fd, 3).data)).toBe('012');
    expect(dec(h.read(dup, 3).data)).toBe('345');
    expect(h.seek(dup, 8).offset).toBe(8n);
    expect(h.tell(fd).offset).toBe(8n);
    expect(h.p.fd_fdstat_set_flags(fd, Fdflags.APPEND)).toBe(0);
    expect(h.fdstat(dup).flags).toBe(Fdflags.APPEND);
    h.seek(dup, 0);
    expect(h.write(dup, 'A').n).toBe(1);
    expect(h.tell(fd).offset).toBe(11n);
  });

  it('clears CLOEXEC on the new fd, and CLOEXEC stays per descriptor', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    expect(h.x.fd_fdflags_set(fd, CLOEXEC)).toBe(0);
    const dup = h.dup(fd).fd;
    expect(h.fdflags(dup).flags).toBe(0);
    expect(h.fdflags(fd).flags).toBe(CLOEXEC);
    expect(h.x.fd_fdflags_set(dup, CLOEXEC)).toBe(0);
    expect(h.x.fd_fdflags_set(fd, 0)).toBe(0);
    expect(h.fdflags(dup).flags).toBe(CLOEXEC);
    expect(h.fdflags(fd).flags).toBe(0);
  });

  it('keeps the rights of the source descriptor', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    expect(h.p.fd_fdstat_set_rights(fd, 2n, 0n)).toBe(0);
    const dup = h.dup(fd).fd;
    expect(h.fdstat(dup).base).toBe(2n);
    expect(E(h.write(dup, 'x').errno)).toBe('NOTCAPABLE');
  });

  it('the description lives until the last dup closes, in any order; its handle closes once', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    const dups = [h.dup(fd).fd, h.dup(fd).fd, h.dup(fd).fd];
    for (const d of [fd, dups[1], dups[0]]) {
      expect(h.p.fd_close(d)).toBe(0);
      expect(h.root.openHandles).toBe(1);
    }
    expect(dec(h.read(dups[2], 4).data)).toBe('0123');
    expect(h.p.fd_close(dups[2])).toBe(0);
    expect(h.root.openHandles).toBe(0);
    expect(h.root.doubleCloses).toBe(0);
  });

  it('a dup of a preopen is a directory fd but not a preopen', () => {
    const h = new Harness(TREE);
    const d = h.dup(3).fd;
    expect(E(h.p.fd_prestat_get(d, OUT))).toBe('BADF');
    expect(dec(h.read(h.open('dir/x.txt', { dirfd: d }), 4).data)).toBe('x');
    expect(h.p.fd_close(3)).toBe(0);
    expect(h.open('f.txt', { dirfd: d })).toBe(3);
  });

  it('a dup of stdout writes to the same sink, also after fd 1 is closed', () => {
    const h = new Harness(TREE);
    const d = h.dup(1).fd;
    h.write(1, 'a');
    expect(h.p.fd_close(1)).toBe(0);
    h.write(d, 'b');
    expect(dec(Buffer.concat(h.stdout))).toBe('ab');
  });

  it.each(BAD_FDS)('EBADF for a %s fd, nothing written', (_n, pick) => {
    const h = new Harness(TREE);
    const fd = pick(h);
    poison(h);
    const unchanged = snapshot(h);
    const fds = h.fds();
    expect(E(h.x.fd_dup(fd, OUT))).toBe('BADF');
    expect(unchanged()).toBe(true);
    expect(h.fds()).toEqual(fds);
  });

  it.each([PAGE - 3, PAGE, -4])('a bad result pointer (%i) is EFAULT and creates no fd', (ptr) => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    expect(E(h.x.fd_dup(fd, ptr))).toBe('FAULT');
    expect(h.fds()).toEqual([0, 1, 2, 3, fd]);
    expect(h.wasi.table.get(fd).description.refCount).toBe(1);
  });

  it('EMFILE at maxDescriptors', () => {
    const h = new Harness(TREE, { maxDescriptors: 6 });
    const fd = h.open('f.txt');
    expect(h.dup(fd).fd).toBe(5);
    expect(E(h.dup(fd).errno)).toBe('MFILE');
    expect(h.wasi.table.get(fd).description.refCount).toBe(2);
    expect(h.p.fd_close(0)).toBe(0);
    expect(h.dup(fd).fd).toBe(0);
  });
});

describe('fd_dup2 (fcntl F_DUPFD / F_DUPFD_CLOEXEC, not POSIX dup2)', () => {
  it('the lowest free fd at or above min', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    expect(h.dupfd(fd, 0)).toEqual({ errno: 0, fd: 5 });
    expect(h.dupfd(fd, 10)).toEqual({ errno: 0, fd: 10 });
    expect(h.dupfd(fd, 10)).toEqual({ errno: 0, fd: 11 });
    expect(h.dupfd(fd, 3)).toEqual({ errno: 0, fd: 6 });
    // An open min is never replaced (that would be dup2).
    expect(h.dupfd(3, 4)).toEqual({ errno: 0, fd: 7 });
    expect(h.fdstat(4).filetype).toBe(4);
    expect(h.root.openHandles).toBe(1);
  });

  it('cloexec 1 sets CLOEXEC on the new fd only; 0 leaves it clear', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    const a = h.dupfd(fd, 0, 1).fd;
    const b = h.dupfd(fd, 0, 0).fd;
    expect(h.fdflags(a).flags).toBe(CLOEXEC);
    expect(h.fdflags(b).flags).toBe(0);
    expect(h.fdflags(fd).flags).toBe(0);
  });

  it('shares the description like fd_dup', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    const d = h.dupfd(fd, 20).fd;
    h.read(d, 4);
    expect(h.tell(fd).offset).toBe(4n);
  });

  it.each([
    ['negative min', -1, 0],
    ['most negative min', -0x80000000, 0],
    ['min at the limit', 64, 0],
    ['min past the limit', 0x7fffffff, 0],
    ['cloexec 2', 0, 2],
    ['cloexec -1', 0, -1],
  ])('%s is EINVAL and creates nothing', (_n, min, cloexec) => {
    const h = new Harness(TREE, { maxDescriptors: 64 });
    const fd = h.open('f.txt');
    poison(h);
    const unchanged = snapshot(h);
    expect(E(h.x.fd_dup2(fd, min, cloexec, OUT))).toBe('INVAL');
    expect(unchanged()).toBe(true);
    expect(h.fds()).toEqual([0, 1, 2, 3, fd]);
  });

  it.each(BAD_FDS)('EBADF for a %s fd', (_n, pick) => {
    const h = new Harness(TREE);
    const fd = pick(h);
    const fds = h.fds();
    expect(E(h.x.fd_dup2(fd, 0, 0, OUT))).toBe('BADF');
    expect(E(h.x.fd_dup2(fd, 10, 1, OUT))).toBe('BADF');
    expect(h.fds()).toEqual(fds);
  });

  it('a bad result pointer is EFAULT and creates no fd', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    expect(E(h.x.fd_dup2(fd, 10, 0, PAGE - 2))).toBe('FAULT');
    expect(h.fds()).toEqual([0, 1, 2, 3, fd]);
    expect(h.dupfd(fd, 10).fd).toBe(10);
  });

  it('EMFILE when no number at or above min is free below the limit', () => {
    const h = new Harness(TREE, { maxDescriptors: 8 });
    const fd = h.open('f.txt');
    expect(h.dupfd(fd, 7).fd).toBe(7);
    expect(E(h.dupfd(fd, 7).errno)).toBe('MFILE');
    expect(h.dupfd(fd, 6).fd).toBe(6);
    expect(h.dupfd(fd, 0).fd).toBe(5);
    expect(h.wasi.table.get(fd).description.refCount).toBe(4);
  });
});

describe('fd_fdflags_get / fd_fdflags_set', () => {
  it('every descriptor starts without CLOEXEC; get writes exactly a u16', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    const { r, w } = h.pipe();
    for (const n of [0, 1, 2, 3, fd, r, w]) expect(h.fdflags(n)).toEqual({ errno: 0, flags: 0 });
    expect(h.x.fd_fdflags_set(fd, CLOEXEC)).toBe(0);
    poison(h);
    expect(h.x.fd_fdflags_get(fd, 101)).toBe(0);
    expect([...h.get(100, 4)]).toEqual([0xa5, 1, 0, 0xa5]);
  });

  it('CLOEXEC moves with fd_renumber', () => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    const other = h.open('f.txt');
    expect(h.x.fd_fdflags_set(fd, CLOEXEC)).toBe(0);
    expect(h.p.fd_renumber(fd, other)).toBe(0);
    expect(h.fdflags(other).flags).toBe(CLOEXEC);
  });

  it.each([2, 3, 0x100, -1])('unknown flags (%i) are EINVAL and change nothing', (flags) => {
    const h = new Harness(TREE);
    const fd = h.open('f.txt');
    expect(h.x.fd_fdflags_set(fd, CLOEXEC)).toBe(0);
    expect(E(h.x.fd_fdflags_set(fd, flags))).toBe('INVAL');
    expect(h.fdflags(fd).flags).toBe(CLOEXEC);
  });

  it.each(BAD_FDS)('EBADF for a %s fd', (_n, pick) => {
    const h = new Harness(TREE);
    const fd = pick(h);
    poison(h);
    const unchanged = snapshot(h);
    expect(E(h.x.fd_fdflags_get(fd, OUT))).toBe('BADF');
    expect(E(h.x.fd_fdflags_set(fd, CLOEXEC))).toBe('BADF');
    expect(E(h.x.fd_fdflags_set(fd, 0))).toBe('BADF');
    expect(unchanged()).toBe(true);
  });

  it('a bad result pointer is EFAULT', () => {
    const h = new Harness(TREE);
    poison(h);
    const unchanged = snapshot(h);
    expect(E(h.x.fd_fdflags_get(3, PAGE - 1))).toBe('FAULT');
    expect(E(h.x.fd_fdflags_get(3, -2))).toBe('FAULT');
    expect(unchanged()).toBe(true);
  });
});

describe('fd_pipe', () => {
  it('gives the read end then the write end, lowest free numbers, each written as a u32', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_close(0)).toBe(0);
    poison(h);
    expect(h.x.fd_pipe(100, 108)).toBe(0);
    expect([...h.get(100, 12)]).toEqual([0, 0, 0, 0, 0xa5, 0xa5, 0xa5, 0xa5, 4, 0, 0, 0]);
    const { r, w } = { r: 0, w: 4 };
    expect(h.write(w, 'through').n).toBe(7);
    expect(dec(h.read(r, 100).data)).toBe('through');
  });

  it('bytes come out in order, across writes and reads of any size and several iovecs', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    h.write(w, 'abc');
    h.write(w, '');
    h.write(w, 'defgh');
    expect(dec(h.read(r, 2).data)).toBe('ab');
    expect(dec(h.read(r, 4).data)).toBe('cdef');
    h.write(w, 'ij');
    h.reset();
    const a = h.alloc(3);
    const b = h.alloc(10);
    const iov = h.iovecs([[a, 3], [b, 10]]);
    expect(h.p.fd_read(r, iov, 2, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(4);
    expect(dec(h.get(a, 3))).toBe('ghi');
    expect(dec(h.get(b, 1))).toBe('j');
    const big = new Uint8Array(40000).map((_, i) => i & 0xff);
    expect(h.write(w, big).n).toBe(40000);
    const parts: Uint8Array[] = [];
    for (;;) {
      const part = h.read(r, 7000);
      if (part.errno !== 0) {
        expect(E(part.errno)).toBe('AGAIN');
        break;
      }
      parts.push(part.data);
    }
    expect(parts.map((p) => p.byteLength)).toEqual([7000, 7000, 7000, 7000, 7000, 5000]);
    expect(Buffer.compare(Buffer.concat(parts), Buffer.from(big))).toBe(0);
  });

  it('an empty pipe with a writer is EAGAIN; EOF only once every dup of the write end is closed', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    const w2 = h.dup(w).fd;
    const w3 = h.dupfd(w, 30).fd;
    expect(E(h.read(r, 1).errno)).toBe('AGAIN');
    expect(h.p.fd_close(w)).toBe(0);
    expect(E(h.read(r, 1).errno)).toBe('AGAIN');
    expect(h.write(w2, 'last').n).toBe(4);
    expect(h.p.fd_close(w2)).toBe(0);
    expect(dec(h.read(r, 10).data)).toBe('last');
    expect(E(h.read(r, 1).errno)).toBe('AGAIN');
    expect(h.p.fd_close(w3)).toBe(0);
    expect(h.read(r, 10)).toEqual({ errno: 0, data: new Uint8Array() });
    expect(h.read(r, 10)).toEqual({ errno: 0, data: new Uint8Array() });
  });

  it('buffered bytes are still read after the writers are gone', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    h.write(w, 'kept');
    h.p.fd_close(w);
    expect(dec(h.read(r, 10).data)).toBe('kept');
    expect(h.read(r, 10).data.byteLength).toBe(0);
  });

  it('EPIPE once every read end (with its dups) is closed; a reader left keeps writes going', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    const r2 = h.dup(r).fd;
    expect(h.p.fd_close(r)).toBe(0);
    expect(h.write(w, 'ok').n).toBe(2);
    expect(h.p.fd_renumber(r2, 0)).toBe(0);
    expect(h.write(w, 'ok').n).toBe(2);
    expect(dec(h.read(0, 10).data)).toBe('okok');
    expect(h.p.fd_close(0)).toBe(0);
    expect(E(h.write(w, 'x').errno)).toBe('PIPE');
  });

  it('wrong directions are EBADF; seeking is ESPIPE; fdstat reports no FD_SEEK', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    expect(E(h.write(r, 'x').errno)).toBe('BADF');
    expect(E(h.read(w, 1).errno)).toBe('BADF');
    expect(E(h.seek(r, 0, Whence.CUR).errno)).toBe('SPIPE');
    expect(E(h.seek(w, 0, Whence.END).errno)).toBe('SPIPE');
    expect(h.fdstat(r).base & 4n).toBe(0n);
  });

  it('redirecting stdout into a pipe with fd_renumber', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    expect(h.p.fd_renumber(w, 1)).toBe(0);
    expect(h.write(1, 'to the pipe').n).toBe(11);
    expect(h.stdout).toEqual([]);
    expect(dec(h.read(r, 100).data)).toBe('to the pipe');
    expect(h.p.fd_close(1)).toBe(0);
    expect(h.read(r, 100).data.byteLength).toBe(0);
  });

  it('bad pointers are EFAULT and create no fds', () => {
    const h = new Harness(TREE);
    for (const [a, b] of [[PAGE - 2, 100], [100, PAGE], [-4, 100]]) {
      poison(h);
      const unchanged = snapshot(h);
      expect(E(h.x.fd_pipe(a, b))).toBe('FAULT');
      expect(unchanged()).toBe(true);
    }
    expect(h.fds()).toEqual([0, 1, 2, 3]);
    expect(h.pipe()).toEqual({ errno: 0, r: 4, w: 5 });
  });

  it('EMFILE when there is room for only one end: nothing is left open', () => {
    const h = new Harness(TREE, { maxDescriptors: 5 });
    poison(h);
    const unchanged = snapshot(h);
    expect(E(h.x.fd_pipe(100, 104))).toBe('MFILE');
    expect(unchanged()).toBe(true);
    expect(h.fds()).toEqual([0, 1, 2, 3]);
    expect(h.p.fd_close(3)).toBe(0);
    expect(h.pipe()).toEqual({ errno: 0, r: 3, w: 4 });
  });
});

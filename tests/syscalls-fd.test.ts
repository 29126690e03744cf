import {
  Advice, Errno, Fdflags, Filetype, Fstflags, Oflags, RIGHTS_DIR, RIGHTS_FILE, RIGHTS_STREAM, Rights, Whence,
} from '../src/abi/constants';
import { MemoryDirectory } from '../src/backends/memory';
import { Harness, PAGE, dec, enc, errname as E, poison, snapshot } from './support/harness';

const TREE = { 'a.txt': 'hello world', 'empty': '', dir: { 'x.txt': 'x', sub: {} } };

/** Fixed scratch addresses for raw calls (below the helpers' arena). */
const OUT = 64;
const IOV = 128;
const BUF = 256;

/** A fresh guest with a file open read-write at fd 4. */
function withFile(): { h: Harness; fd: number } {
  const h = new Harness(TREE);
  const fd = h.open('a.txt');
  expect(fd).toBe(4);
  return { h, fd };
}

/** Every fd syscall, called with `fd` and otherwise valid arguments. */
const FD_CALLS: [string, (h: Harness, fd: number) => number][] = [
  ['fd_read', (h, fd) => (h.setU32(IOV, BUF), h.setU32(IOV + 4, 16), h.p.fd_read(fd, IOV, 1, OUT))],
  ['fd_write', (h, fd) => (h.setU32(IOV, BUF), h.setU32(IOV + 4, 16), h.p.fd_write(fd, IOV, 1, OUT))],
  ['fd_pread', (h, fd) => (h.setU32(IOV, BUF), h.setU32(IOV + 4, 16), h.p.fd_pread(fd, IOV, 1, 0n, OUT))],
  ['fd_pwrite', (h, fd) => (h.setU32(IOV, BUF), h.setU32(IOV + 4, 16), h.p.fd_pwrite(fd, IOV, 1, 0n, OUT))],
  ['fd_seek', (h, fd) => h.p.fd_seek(fd, 0n, Whence.SET, OUT)],
  ['fd_tell', (h, fd) => h.p.fd_tell(fd, OUT)],
  ['fd_close', (h, fd) => h.p.fd_close(fd)],
  ['fd_renumber (from)', (h, fd) => h.p.fd_renumber(fd, 3)],
  ['fd_renumber (to)', (h, fd) => h.p.fd_renumber(3, fd)],
  ['fd_fdstat_get', (h, fd) => h.p.fd_fdstat_get(fd, OUT)],
  ['fd_fdstat_set_flags', (h, fd) => h.p.fd_fdstat_set_flags(fd, 0)],
  ['fd_fdstat_set_rights', (h, fd) => h.p.fd_fdstat_set_rights(fd, 0n, 0n)],
  ['fd_filestat_get', (h, fd) => h.p.fd_filestat_get(fd, OUT)],
  ['fd_filestat_set_size', (h, fd) => h.p.fd_filestat_set_size(fd, 0n)],
  ['fd_filestat_set_times', (h, fd) => h.p.fd_filestat_set_times(fd, 0n, 0n, 0)],
  ['fd_advise', (h, fd) => h.p.fd_advise(fd, 0n, 0n, Advice.NORMAL)],
  ['fd_allocate', (h, fd) => h.p.fd_allocate(fd, 0n, 1n)],
  ['fd_sync', (h, fd) => h.p.fd_sync(fd)],
  ['fd_datasync', (h, fd) => h.p.fd_datasync(fd)],
  ['fd_prestat_get', (h, fd) => h.p.fd_prestat_get(fd, OUT)],
  ['fd_prestat_dir_name', (h, fd) => h.p.fd_prestat_dir_name(fd, BUF, 64)],
  ['fd_readdir', (h, fd) => h.p.fd_readdir(fd, BUF, 128, 0n, OUT)],
];

describe('bad descriptors: EBADF, nothing written, nothing changed', () => {
  const cases: [string, (h: Harness) => number][] = [
    ['never opened', () => 50],
    ['closed', (h) => {
      const fd = h.open('a.txt');
      expect(h.p.fd_close(fd)).toBe(0);
      return fd;
    }],
    ['negative as i32', () => -1],
    ['most negative i32', () => -0x80000000],
    ['huge', () => 0x7fffffff],
    ['just past the open ones', (h) => Math.max(...h.fds()) + 1],
  ];
  for (const [name, call] of FD_CALLS) {
    it.each(cases)(`${name}: %s`, (_label, pick) => {
      const h = new Harness(TREE);
      const fd = pick(h);
      poison(h);
      // The iovec the read/write calls use, set before the snapshot (they set the same values).
      h.setU32(IOV, BUF);
      h.setU32(IOV + 4, 16);
      const before = h.fds();
      const handles = h.root.openHandles;
      const unchanged = snapshot(h);
      expect(E(call(h, fd))).toBe('BADF');
      expect(unchanged()).toBe(true);
      expect(h.fds()).toEqual(before);
      expect(h.root.openHandles).toBe(handles);
      expect(h.root.toTree()).toEqual(MemoryDirectory.from(TREE).toTree());
    });
  }
});

describe('bad pointers: EFAULT, nothing written outside, no side effect', () => {
  const OOB = [PAGE - 1, PAGE, -8, 0x7ffffff0];

  it.each(OOB)('fd_read with nread at %i: no bytes consumed', (ptr) => {
    const { h, fd } = withFile();
    h.setU32(IOV, BUF);
    h.setU32(IOV + 4, 5);
    poison(h, 0);
    h.setU32(IOV, BUF);
    h.setU32(IOV + 4, 5);
    const unchanged = snapshot(h);
    expect(E(h.p.fd_read(fd, IOV, 1, ptr))).toBe('FAULT');
    expect(unchanged()).toBe(true);
    expect(h.tell(fd).offset).toBe(0n);
  });

  it.each(OOB)('fd_read with the iovec array at %i', (ptr) => {
    const { h, fd } = withFile();
    const unchanged = snapshot(h);
    expect(E(h.p.fd_read(fd, ptr, 1, OUT))).toBe('FAULT');
    expect(unchanged()).toBe(true);
    expect(h.tell(fd).offset).toBe(0n);
  });

  it('fd_read with one good and one out-of-bounds iovec reads nothing', () => {
    const { h, fd } = withFile();
    h.setU32(IOV, BUF);
    h.setU32(IOV + 4, 4);
    h.setU32(IOV + 8, PAGE - 2);
    h.setU32(IOV + 12, 4);
    const unchanged = snapshot(h);
    expect(E(h.p.fd_read(fd, IOV, 2, OUT))).toBe('FAULT');
    expect(unchanged()).toBe(true);
    expect(h.tell(fd).offset).toBe(0n);
  });

  it('fd_read with an iovec count that overflows the memory', () => {
    const { h, fd } = withFile();
    expect(E(h.p.fd_read(fd, IOV, 0x20000000, OUT))).toBe('FAULT');
    expect(E(h.p.fd_read(fd, IOV, -1, OUT))).toBe('FAULT');
  });

  it.each(OOB)('fd_write with nwritten at %i writes nothing to the file', (ptr) => {
    const { h, fd } = withFile();
    h.bytes.set(enc('XXXX'), BUF);
    h.setU32(IOV, BUF);
    h.setU32(IOV + 4, 4);
    expect(E(h.p.fd_write(fd, IOV, 1, ptr))).toBe('FAULT');
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('hello world');
    expect(h.tell(fd).offset).toBe(0n);
  });

  it('fd_write with an iovec whose buffer runs off the end writes nothing', () => {
    const { h, fd } = withFile();
    h.setU32(IOV, BUF);
    h.setU32(IOV + 4, 4);
    h.setU32(IOV + 8, PAGE - 3);
    h.setU32(IOV + 12, 4);
    expect(E(h.p.fd_write(fd, IOV, 2, OUT))).toBe('FAULT');
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('hello world');
  });

  it.each(OOB)('fd_pread/fd_pwrite with the count at %i', (ptr) => {
    const { h, fd } = withFile();
    h.bytes.set(enc('ZZ'), BUF);
    h.setU32(IOV, BUF);
    h.setU32(IOV + 4, 2);
    const unchanged = snapshot(h);
    expect(E(h.p.fd_pread(fd, IOV, 1, 0n, ptr))).toBe('FAULT');
    expect(E(h.p.fd_pwrite(fd, IOV, 1, 0n, ptr))).toBe('FAULT');
    expect(unchanged()).toBe(true);
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('hello world');
  });

  it.each(OOB)('fd_seek with the result at %i does not move the offset', (ptr) => {
    const { h, fd } = withFile();
    const unchanged = snapshot(h);
    expect(E(h.p.fd_seek(fd, 5n, Whence.SET, ptr))).toBe('FAULT');
    expect(unchanged()).toBe(true);
    expect(h.tell(fd).offset).toBe(0n);
  });

  const OUT_CALLS: [string, (h: Harness, fd: number, ptr: number) => number][] = [
    ['fd_tell', (h, fd, p) => h.p.fd_tell(fd, p)],
    ['fd_fdstat_get', (h, fd, p) => h.p.fd_fdstat_get(fd, p)],
    ['fd_filestat_get', (h, fd, p) => h.p.fd_filestat_get(fd, p)],
    ['fd_prestat_get', (h, _fd, p) => h.p.fd_prestat_get(3, p)],
    // The name '/' is one byte, which fits at PAGE - 1: start one further.
    ['fd_prestat_dir_name', (h, _fd, p) => h.p.fd_prestat_dir_name(3, p + 1, 100)],
    ['fd_readdir (buffer)', (h, _fd, p) => h.p.fd_readdir(3, p, 64, 0n, OUT)],
    ['fd_readdir (bufused)', (h, _fd, p) => h.p.fd_readdir(3, BUF, 64, 0n, p)],
  ];
  for (const [name, call] of OUT_CALLS) {
    it.each(OOB)(`${name} at %i`, (ptr) => {
      const { h, fd } = withFile();
      poison(h);
      const unchanged = snapshot(h);
      expect(E(call(h, fd, ptr))).toBe('FAULT');
      expect(unchanged()).toBe(true);
    });
  }

  it('a struct that would straddle the end of memory is refused whole', () => {
    const { h, fd } = withFile();
    poison(h);
    const unchanged = snapshot(h);
    expect(E(h.p.fd_fdstat_get(fd, PAGE - 23))).toBe('FAULT');
    expect(E(h.p.fd_filestat_get(fd, PAGE - 63))).toBe('FAULT');
    expect(E(h.p.fd_prestat_get(3, PAGE - 7))).toBe('FAULT');
    expect(unchanged()).toBe(true);
    // ... and the very last bytes are fine.
    expect(h.p.fd_fdstat_get(fd, PAGE - 24)).toBe(0);
    expect(h.p.fd_filestat_get(fd, PAGE - 64)).toBe(0);
  });

  it('no memory bound yet: EFAULT, not a crash', () => {
    const w = new Harness(TREE).wasi;
    const fresh = new (w.constructor as typeof import('../src/wasi').WASI)({ preopens: { '/': new MemoryDirectory() } });
    const p = fresh.getImportObject().wasi_snapshot_preview1 as unknown as Record<string, (...a: (number | bigint)[]) => number>;
    expect(E(p.fd_fdstat_get(3, 0))).toBe('FAULT');
    expect(E(p.fd_close(3))).toBe('SUCCESS');
  });
});

describe('fd_fdstat_get', () => {
  function raw(h: Harness, fd: number): Uint8Array {
    poison(h);
    expect(h.p.fd_fdstat_get(fd, BUF)).toBe(0);
    // The byte after the struct is untouched.
    expect(h.bytes[BUF + 24]).toBe(0xa5);
    return h.get(BUF, 24);
  }
  function le64(v: number): number[] {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return [...b];
  }
  const layout = (ft: number, flags: number, base: number, inh: number) =>
    [ft, 0, flags & 0xff, flags >> 8, 0, 0, 0, 0, ...le64(base), ...le64(inh)];

  it('regular file opened read-write', () => {
    const { h, fd } = withFile();
    expect([...raw(h, fd)]).toEqual(layout(Filetype.REGULAR_FILE, 0, RIGHTS_FILE, 0));
  });

  it('a file opened read-only lacks the write rights', () => {
    const h = new Harness(TREE);
    const fd = h.open('a.txt', { rights: BigInt(Rights.FD_READ | Rights.FD_SEEK | Rights.FD_TELL) });
    // The rights asked for pick the access mode only (as wasmtime): every other file right stays.
    const readOnly = RIGHTS_FILE & ~(Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE);
    expect([...raw(h, fd)]).toEqual(layout(Filetype.REGULAR_FILE, 0, readOnly, 0));
  });

  it('APPEND|NONBLOCK from path_open show in the flags', () => {
    const h = new Harness(TREE);
    const fd = h.open('a.txt', { fdflags: Fdflags.APPEND | Fdflags.NONBLOCK });
    expect([...raw(h, fd)]).toEqual(layout(Filetype.REGULAR_FILE, Fdflags.APPEND | Fdflags.NONBLOCK, RIGHTS_FILE, 0));
  });

  it('the preopen', () => {
    const h = new Harness(TREE);
    expect([...raw(h, 3)]).toEqual(layout(Filetype.DIRECTORY, 0, RIGHTS_DIR, RIGHTS_DIR | RIGHTS_FILE));
  });

  it('stdio (stdin given as bytes is not a terminal, output callbacks are)', () => {
    const h = new Harness(TREE);
    expect([...raw(h, 0)]).toEqual(layout(Filetype.UNKNOWN, 0, RIGHTS_STREAM & ~Rights.FD_WRITE, 0));
    expect([...raw(h, 1)]).toEqual(layout(Filetype.CHARACTER_DEVICE, 0, RIGHTS_STREAM & ~Rights.FD_READ, 0));
    expect([...raw(h, 2)]).toEqual(layout(Filetype.CHARACTER_DEVICE, 0, RIGHTS_STREAM & ~Rights.FD_READ, 0));
  });

  it('pipe ends (filetype unknown, as wasmtime reports a FIFO)', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    expect([...raw(h, r)]).toEqual(layout(Filetype.UNKNOWN, 0, RIGHTS_STREAM & ~Rights.FD_WRITE, 0));
    expect([...raw(h, w)]).toEqual(layout(Filetype.UNKNOWN, 0, RIGHTS_STREAM & ~Rights.FD_READ, 0));
  });
});

describe('fd_read / fd_write', () => {
  it('scatter and gather over several iovecs, skipping empty ones', () => {
    const { h, fd } = withFile();
    h.setU32(IOV, BUF);
    h.setU32(IOV + 4, 3);
    h.setU32(IOV + 8, BUF + 100);
    h.setU32(IOV + 12, 0);
    h.setU32(IOV + 16, BUF + 10);
    h.setU32(IOV + 20, 4);
    expect(h.p.fd_read(fd, IOV, 3, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(7);
    expect(dec(h.get(BUF, 3))).toBe('hel');
    expect(dec(h.get(BUF + 10, 4))).toBe('lo w');
    expect(h.tell(fd).offset).toBe(7n);

    h.bytes.set(enc('AB'), BUF + 300);
    h.bytes.set(enc('CDE'), BUF + 400);
    h.setU32(IOV, BUF + 300);
    h.setU32(IOV + 4, 2);
    h.setU32(IOV + 8, BUF + 400);
    h.setU32(IOV + 12, 3);
    expect(h.p.fd_write(fd, IOV, 2, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(5);
    expect(h.tell(fd).offset).toBe(12n);
    h.seek(fd, 0);
    expect(h.readAll(fd)).toBe('hello wABCDE');
  });

  it('a short read at end of file, then 0 at the end', () => {
    const { h, fd } = withFile();
    h.seek(fd, 8);
    const r = h.read(fd, 100);
    expect(dec(r.data)).toBe('rld');
    expect(h.read(fd, 100)).toEqual({ errno: 0, data: new Uint8Array() });
    expect(h.tell(fd).offset).toBe(11n);
  });

  it('zero iovecs read and write nothing', () => {
    const { h, fd } = withFile();
    h.setU32(OUT, 99);
    expect(h.p.fd_read(fd, IOV, 0, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(0);
    expect(h.p.fd_write(fd, IOV, 0, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(0);
    expect(h.tell(fd).offset).toBe(0n);
  });

  it('reading a write-only fd and writing a read-only fd are EBADF', () => {
    const h = new Harness(TREE);
    const wo = h.open('a.txt', { rights: BigInt(Rights.FD_WRITE) });
    const ro = h.open('a.txt', { rights: BigInt(Rights.FD_READ) });
    expect(E(h.read(wo, 4).errno)).toBe('BADF');
    expect(E(h.write(ro, 'x').errno)).toBe('BADF');
    expect(E(h.pread(wo, 4, 0n).errno)).toBe('BADF');
    expect(E(h.pwrite(ro, 'x', 0n).errno)).toBe('BADF');
    expect(h.write(wo, 'J').n).toBe(1);
    expect(dec(h.read(ro, 5).data)).toBe('Jello');
  });

  it('a directory can be neither read nor written (EBADF, as wasmtime)', () => {
    const h = new Harness(TREE);
    const d = h.openDir('dir');
    for (const fd of [3, d]) {
      expect(E(h.read(fd, 4).errno)).toBe('BADF');
      expect(E(h.write(fd, 'x').errno)).toBe('BADF');
      expect(E(h.pread(fd, 4, 0n).errno)).toBe('BADF');
      expect(E(h.pwrite(fd, 'x', 0n).errno)).toBe('BADF');
    }
  });

  it('writing past the end after a seek fills the gap with zeros', () => {
    const h = new Harness(TREE);
    const fd = h.open('empty');
    expect(h.seek(fd, 4).offset).toBe(4n);
    expect(h.write(fd, 'z').n).toBe(1);
    expect([...(h.root.toTree().empty as Uint8Array)]).toEqual([0, 0, 0, 0, 122]);
  });

  it('stdout gets exactly the bytes written, stdin reads as empty', () => {
    const h = new Harness(TREE);
    expect(h.write(1, 'out!').n).toBe(4);
    expect(dec(Buffer.concat(h.stdout))).toBe('out!');
    expect(h.read(0, 10)).toEqual({ errno: 0, data: new Uint8Array() });
    expect(E(h.read(1, 1).errno)).toBe('BADF');
    expect(E(h.write(0, 'x').errno)).toBe('BADF');
  });

  it('ENOSPC when the filesystem is full; what fitted is reported', () => {
    const root = MemoryDirectory.from({ f: '' }, { maxBytes: 8 });
    const h = new Harness(root);
    const fd = h.open('f');
    expect(h.write(fd, '12345').n).toBe(5);
    expect(E(h.write(fd, '67890').errno)).toBe('NOSPC');
    expect(h.tell(fd).offset).toBe(5n);
    // Two iovecs: the first fits and is reported, the second is dropped.
    const [a] = h.put('678');
    const [b] = h.put('9');
    h.reset();
    h.setU32(IOV, a);
    h.setU32(IOV + 4, 3);
    h.setU32(IOV + 8, b);
    h.setU32(IOV + 12, 5);
    expect(h.p.fd_write(fd, IOV, 2, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(3);
    expect(h.tell(fd).offset).toBe(8n);
  });
});

describe('fd_pread / fd_pwrite', () => {
  it('use their own position and leave the shared offset alone (also for a dup)', () => {
    const { h, fd } = withFile();
    const dup = h.dup(fd).fd;
    h.seek(fd, 2);
    expect(dec(h.pread(fd, 5, 6n).data)).toBe('world');
    expect(h.pwrite(dup, 'W', 6n).n).toBe(1);
    expect(h.tell(fd).offset).toBe(2n);
    expect(h.tell(dup).offset).toBe(2n);
    expect(dec(h.read(dup, 100).data)).toBe('llo World');
  });

  it('pread past the end gives 0 bytes; pwrite past the end zero-fills', () => {
    const { h, fd } = withFile();
    expect(h.pread(fd, 4, 100n)).toEqual({ errno: 0, data: new Uint8Array() });
    expect(h.pwrite(fd, '!', 13n).n).toBe(1);
    expect([...(h.root.toTree()['a.txt'] as Uint8Array)].slice(11)).toEqual([0, 0, 33]);
    expect(h.tell(fd).offset).toBe(0n);
  });

  it('pwrite on an APPEND fd writes at the given position (POSIX), and does not move the offset', () => {
    const h = new Harness(TREE);
    const fd = h.open('a.txt', { fdflags: Fdflags.APPEND });
    expect(h.pwrite(fd, 'J', 0n).n).toBe(1);
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('Jello world');
    expect(h.tell(fd).offset).toBe(0n);
  });

  it('offsets that are negative as i64 or beyond 2^53 are EINVAL', () => {
    const { h, fd } = withFile();
    for (const off of [-1n, -(2n ** 63n), 2n ** 53n]) {
      expect(E(h.pread(fd, 1, off).errno)).toBe('INVAL');
      expect(E(h.pwrite(fd, 'x', off).errno)).toBe('INVAL');
    }
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('hello world');
  });

  it('streams cannot be read or written at a position: ESPIPE', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    expect(h.write(w, 'abc').n).toBe(3);
    expect(E(h.pread(r, 1, 0n).errno)).toBe('SPIPE');
    expect(E(h.pwrite(w, 'x', 0n).errno)).toBe('SPIPE');
    expect(E(h.pread(0, 1, 0n).errno)).toBe('SPIPE');
    expect(E(h.pwrite(1, 'x', 0n).errno)).toBe('SPIPE');
    expect(dec(h.read(r, 10).data)).toBe('abc');
    expect(h.stdout).toEqual([]);
  });
});

describe('fd_seek / fd_tell', () => {
  it('SET, CUR and END', () => {
    const { h, fd } = withFile();
    expect(h.seek(fd, 3, Whence.SET).offset).toBe(3n);
    expect(h.seek(fd, 2, Whence.CUR).offset).toBe(5n);
    expect(h.seek(fd, -1, Whence.CUR).offset).toBe(4n);
    expect(h.seek(fd, -3, Whence.END).offset).toBe(8n);
    expect(h.seek(fd, 10, Whence.END).offset).toBe(21n);
    expect(h.tell(fd).offset).toBe(21n);
    expect(h.seek(fd, 0, Whence.CUR).offset).toBe(21n);
  });

  it('writes the new offset as a u64, exactly 8 bytes', () => {
    const { h, fd } = withFile();
    poison(h);
    expect(h.p.fd_seek(fd, 0x1_0000_0002n, Whence.SET, BUF)).toBe(0);
    expect([...h.get(BUF, 9)]).toEqual([2, 0, 0, 0, 1, 0, 0, 0, 0xa5]);
    expect(h.p.fd_tell(fd, BUF + 16)).toBe(0);
    expect(h.u64(BUF + 16)).toBe(0x1_0000_0002n);
  });

  it('a negative result is EINVAL and keeps the offset', () => {
    const { h, fd } = withFile();
    h.seek(fd, 2);
    expect(E(h.seek(fd, -3, Whence.CUR).errno)).toBe('INVAL');
    expect(E(h.seek(fd, -12, Whence.END).errno)).toBe('INVAL');
    expect(E(h.seek(fd, -1, Whence.SET).errno)).toBe('INVAL');
    expect(h.tell(fd).offset).toBe(2n);
  });

  it('a position past 2^53 is EOVERFLOW and keeps the offset', () => {
    const { h, fd } = withFile();
    expect(E(h.seek(fd, 2n ** 53n, Whence.SET).errno)).toBe('OVERFLOW');
    expect(h.seek(fd, 2n ** 53n - 1n, Whence.SET).offset).toBe(2n ** 53n - 1n);
    expect(E(h.seek(fd, 1, Whence.CUR).errno)).toBe('OVERFLOW');
    expect(h.tell(fd).offset).toBe(2n ** 53n - 1n);
  });

  it.each([3, 4, 255, -1, 0x10000])('whence %i is EINVAL', (whence) => {
    const { h, fd } = withFile();
    h.seek(fd, 1);
    expect(E(h.p.fd_seek(fd, 0n, whence, OUT))).toBe('INVAL');
    expect(h.tell(fd).offset).toBe(1n);
  });

  it('pipes and stdio: ESPIPE for seek and tell', () => {
    const h = new Harness(TREE);
    const { r, w } = h.pipe();
    for (const fd of [r, w, 0, 1, 2]) {
      expect(E(h.seek(fd, 0, Whence.SET).errno)).toBe('SPIPE');
      expect(E(h.seek(fd, 0, Whence.CUR).errno)).toBe('SPIPE');
      expect(E(h.tell(fd).errno)).toBe('SPIPE');
    }
  });

  it('directories: EBADF (as wasmtime)', () => {
    const h = new Harness(TREE);
    expect(E(h.seek(3, 0).errno)).toBe('BADF');
    expect(E(h.tell(3).errno)).toBe('BADF');
  });

  it('without FD_SEEK only a tell (CUR by 0) works; without FD_TELL neither does that', () => {
    const { h, fd } = withFile();
    h.seek(fd, 2);
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~Rights.FD_SEEK), 0n)).toBe(0);
    expect(E(h.seek(fd, 1, Whence.SET).errno)).toBe('NOTCAPABLE');
    expect(E(h.seek(fd, 1, Whence.CUR).errno)).toBe('NOTCAPABLE');
    expect(E(h.seek(fd, 0, Whence.END).errno)).toBe('NOTCAPABLE');
    expect(h.seek(fd, 0, Whence.CUR).offset).toBe(2n);
    expect(h.tell(fd).offset).toBe(2n);
    expect(E(h.pread(fd, 1, 0n).errno)).toBe('NOTCAPABLE');
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~(Rights.FD_SEEK | Rights.FD_TELL)), 0n)).toBe(0);
    expect(E(h.tell(fd).errno)).toBe('NOTCAPABLE');
    expect(E(h.seek(fd, 0, Whence.CUR).errno)).toBe('NOTCAPABLE');
    // Plain reads still move the offset.
    expect(dec(h.read(fd, 3).data)).toBe('llo');
  });
});

describe('fd_close', () => {
  it('closes once; a second close is EBADF; the number is reused', () => {
    const { h, fd } = withFile();
    expect(h.root.openHandles).toBe(1);
    expect(h.p.fd_close(fd)).toBe(0);
    expect(h.root.openHandles).toBe(0);
    expect(E(h.p.fd_close(fd))).toBe('BADF');
    expect(h.open('a.txt')).toBe(fd);
    expect(h.root.doubleCloses).toBe(0);
  });

  it('closing a preopen makes its number free and path calls on it EBADF', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_close(3)).toBe(0);
    expect(E(h.tryOpen('a.txt').errno)).toBe('BADF');
    expect(E(h.p.fd_prestat_get(3, OUT))).toBe('BADF');
    const { r } = h.pipe();
    expect(r).toBe(3);
  });

  it('closing stdout: later writes to 1 are EBADF and the sink is not called', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_close(1)).toBe(0);
    expect(E(h.write(1, 'x').errno)).toBe('BADF');
    expect(h.stdout).toEqual([]);
  });
});

describe('fd_renumber', () => {
  it('strict: both open; the old target is released like fd_close; from is closed', () => {
    const h = new Harness(TREE);
    const a = h.open('a.txt');
    const b = h.open('dir/x.txt');
    expect(h.root.openHandles).toBe(2);
    expect(h.p.fd_renumber(a, b)).toBe(0);
    expect(h.root.openHandles).toBe(1);
    expect(h.fds()).toEqual([0, 1, 2, 3, b]);
    expect(dec(h.read(b, 5).data)).toBe('hello');
    expect(E(h.read(a, 1).errno)).toBe('BADF');
  });

  it('strict: a free target is EBADF and nothing changes', () => {
    const h = new Harness(TREE);
    const a = h.open('a.txt');
    expect(E(h.p.fd_renumber(a, 9))).toBe('BADF');
    expect(E(h.p.fd_renumber(a, -1))).toBe('BADF');
    expect(h.fds()).toEqual([0, 1, 2, 3, a]);
    expect(h.root.openHandles).toBe(1);
  });

  it('from == to is a no-op on an open fd, EBADF on a free one', () => {
    const h = new Harness(TREE);
    const a = h.open('a.txt');
    h.seek(a, 3);
    expect(h.p.fd_renumber(a, a)).toBe(0);
    expect(h.tell(a).offset).toBe(3n);
    expect(h.root.openHandles).toBe(1);
    expect(E(h.p.fd_renumber(9, 9))).toBe('BADF');
  });

  it('a preopen keeps its name at the new number', () => {
    const h = new Harness(TREE);
    const a = h.open('a.txt');
    expect(h.p.fd_renumber(3, a)).toBe(0);
    expect(h.root.openHandles).toBe(0);
    expect(h.p.fd_prestat_get(a, OUT)).toBe(0);
    expect(h.u32(OUT + 4)).toBe(1);
    expect(E(h.p.fd_prestat_get(3, OUT))).toBe('BADF');
    expect(h.open('dir/x.txt', { dirfd: a })).toBe(3);
  });

  it('permissive: a free target works, targets past the limit are EBADF', () => {
    const h = new Harness(TREE, { renumber: 'permissive', maxDescriptors: 64 });
    const a = h.open('a.txt');
    expect(h.p.fd_renumber(a, 40)).toBe(0);
    expect(h.fds()).toEqual([0, 1, 2, 3, 40]);
    expect(dec(h.read(40, 5).data)).toBe('hello');
    expect(E(h.p.fd_renumber(40, 64))).toBe('BADF');
    expect(E(h.p.fd_renumber(40, 0x7fffffff))).toBe('BADF');
    expect(E(h.p.fd_renumber(40, -1))).toBe('BADF');
    expect(E(h.p.fd_renumber(41, 42))).toBe('BADF');
    expect(h.fds()).toEqual([0, 1, 2, 3, 40]);
    expect(h.open('a.txt')).toBe(4);
  });
});

describe('fd_fdstat_set_flags', () => {
  it('APPEND set through one dup is seen by the other; writes land at the end even after a seek', () => {
    const { h, fd } = withFile();
    const dup = h.dup(fd).fd;
    expect(h.p.fd_fdstat_set_flags(dup, Fdflags.APPEND)).toBe(0);
    expect(h.fdstat(fd).flags).toBe(Fdflags.APPEND);
    h.seek(fd, 0);
    expect(h.write(fd, '!').n).toBe(1);
    expect(h.tell(fd).offset).toBe(12n);
    expect(h.tell(dup).offset).toBe(12n);
    h.seek(dup, 2);
    expect(h.write(dup, '?').n).toBe(1);
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('hello world!?');
    // Clearing it brings back positioned writes.
    expect(h.p.fd_fdstat_set_flags(fd, 0)).toBe(0);
    h.seek(dup, 0);
    h.write(dup, 'H');
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('Hello world!?');
  });

  it('flags are per description: a separate open does not share them', () => {
    const { h, fd } = withFile();
    const other = h.open('a.txt');
    expect(h.p.fd_fdstat_set_flags(fd, Fdflags.APPEND | Fdflags.NONBLOCK)).toBe(0);
    expect(h.fdstat(fd).flags).toBe(Fdflags.APPEND | Fdflags.NONBLOCK);
    expect(h.fdstat(other).flags).toBe(0);
  });

  it.each([32, 64, 0x8000, -1])('unknown flag bits (%i) are EINVAL and change nothing', (flags) => {
    const { h, fd } = withFile();
    expect(h.p.fd_fdstat_set_flags(fd, Fdflags.APPEND)).toBe(0);
    expect(E(h.p.fd_fdstat_set_flags(fd, flags))).toBe('INVAL');
    expect(h.fdstat(fd).flags).toBe(Fdflags.APPEND);
  });

  it('needs FD_FDSTAT_SET_FLAGS', () => {
    const { h, fd } = withFile();
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~Rights.FD_FDSTAT_SET_FLAGS), 0n)).toBe(0);
    expect(E(h.p.fd_fdstat_set_flags(fd, Fdflags.APPEND))).toBe('NOTCAPABLE');
    expect(h.fdstat(fd).flags).toBe(0);
  });
});

describe('fd_fdstat_set_rights', () => {
  it('can only drop rights; adding one back is ENOTCAPABLE', () => {
    const { h, fd } = withFile();
    const reduced = RIGHTS_FILE & ~Rights.FD_READ;
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(reduced), 0n)).toBe(0);
    expect(h.fdstat(fd).base).toBe(BigInt(reduced));
    expect(E(h.read(fd, 1).errno)).toBe('NOTCAPABLE');
    expect(E(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE), 0n))).toBe('NOTCAPABLE');
    expect(E(h.p.fd_fdstat_set_rights(fd, BigInt(reduced), 1n))).toBe('NOTCAPABLE');
    expect(h.fdstat(fd).base).toBe(BigInt(reduced));
    expect(h.write(fd, 'ok').n).toBe(2);
  });

  it('rights are per descriptor: a dup made before keeps them, one made after inherits the cut', () => {
    const { h, fd } = withFile();
    const before = h.dup(fd).fd;
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~Rights.FD_WRITE), 0n)).toBe(0);
    const after = h.dup(fd).fd;
    expect(E(h.write(fd, 'x').errno)).toBe('NOTCAPABLE');
    expect(E(h.write(after, 'x').errno)).toBe('NOTCAPABLE');
    expect(h.write(before, 'x').n).toBe(1);
  });

  it('unknown high bits are ignored rather than refused', () => {
    const { h, fd } = withFile();
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE) | (1n << 40n), 0n)).toBe(0);
    expect(h.fdstat(fd).base).toBe(BigInt(RIGHTS_FILE));
  });

  it('dropping inheriting rights of a directory limits what is opened through it', () => {
    const h = new Harness(TREE);
    const inheriting = (RIGHTS_DIR | RIGHTS_FILE) & ~Rights.FD_WRITE;
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR), BigInt(inheriting))).toBe(0);
    const fd = h.open('a.txt');
    expect(h.fdstat(fd).base & BigInt(Rights.FD_WRITE)).toBe(0n);
    expect(E(h.write(fd, 'x').errno)).toBe('NOTCAPABLE');
    expect(dec(h.read(fd, 5).data)).toBe('hello');
  });

  it('dropping a directory right refuses the path call (ENOTCAPABLE)', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~(Rights.PATH_OPEN | Rights.FD_READDIR)), BigInt(RIGHTS_DIR | RIGHTS_FILE))).toBe(0);
    expect(E(h.tryOpen('a.txt').errno)).toBe('NOTCAPABLE');
    expect(E(h.readdir(3).errno)).toBe('NOTCAPABLE');
    expect(h.mkdir('new')).toBe(0);
  });
});

describe('fd_filestat_get', () => {
  it('writes every field of a regular file, padding zeroed, nothing past 64 bytes', () => {
    const { h, fd } = withFile();
    expect(h.p.fd_filestat_set_times(fd, 1_000_000_123n, 2_000_000_456n, Fstflags.ATIM | Fstflags.MTIM)).toBe(0);
    poison(h);
    expect(h.p.fd_filestat_get(fd, BUF)).toBe(0);
    const st = h.filestatAt(BUF);
    const byPath = h.pathStat('a.txt').st;
    expect(st).toEqual({ ...byPath });
    expect(st.dev).toBe(1n);
    expect(st.filetype).toBe(Filetype.REGULAR_FILE);
    expect(st.nlink).toBe(1n);
    expect(st.size).toBe(11n);
    expect(st.atim).toBe(1_000_000_123n);
    expect(st.mtim).toBe(2_000_000_456n);
    expect(st.ctim).toBeGreaterThan(1_600_000_000_000_000_000n);
    poison(h);
    expect(h.p.fd_filestat_get(fd, BUF)).toBe(0);
    expect([...h.get(BUF + 17, 7)]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(h.bytes[BUF + 64]).toBe(0xa5);
    expect(h.bytes[BUF - 1]).toBe(0xa5);
  });

  it('size follows writes made through any fd', () => {
    const { h, fd } = withFile();
    const other = h.open('a.txt');
    h.seek(other, 0, Whence.END);
    h.write(other, '12345');
    expect(h.filestat(fd).st.size).toBe(16n);
  });

  it('a directory and a pipe', () => {
    const h = new Harness(TREE);
    const st = h.filestat(3).st;
    expect(st.filetype).toBe(Filetype.DIRECTORY);
    expect(st.ino).toBe(h.pathStat('.').st.ino);
    const { r, w } = h.pipe();
    h.write(w, 'abc');
    expect(h.filestat(r).st.filetype).toBe(Filetype.UNKNOWN);
    expect(h.filestat(r).st.size).toBe(3n);
  });

  it('needs FD_FILESTAT_GET', () => {
    const { h, fd } = withFile();
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~Rights.FD_FILESTAT_GET), 0n)).toBe(0);
    expect(E(h.filestat(fd).errno)).toBe('NOTCAPABLE');
  });
});

describe('fd_filestat_set_size', () => {
  it('grows with zeros and shrinks; the offset stays', () => {
    const { h, fd } = withFile();
    h.seek(fd, 4);
    expect(h.p.fd_filestat_set_size(fd, 14n)).toBe(0);
    expect([...(h.root.toTree()['a.txt'] as Uint8Array)].slice(10)).toEqual([100, 0, 0, 0]);
    expect(h.p.fd_filestat_set_size(fd, 2n)).toBe(0);
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('he');
    expect(h.tell(fd).offset).toBe(4n);
    // Growing again reads zeros, not the old bytes.
    expect(h.p.fd_filestat_set_size(fd, 5n)).toBe(0);
    expect([...(h.root.toTree()['a.txt'] as Uint8Array)]).toEqual([104, 101, 0, 0, 0]);
    expect(h.filestat(fd).st.size).toBe(5n);
  });

  it('a read-only fd is EBADF, a directory EBADF, a pipe EINVAL', () => {
    const h = new Harness(TREE);
    const ro = h.open('a.txt', { rights: BigInt(Rights.FD_READ) });
    expect(E(h.p.fd_filestat_set_size(ro, 0n))).toBe('BADF');
    expect(E(h.p.fd_filestat_set_size(3, 0n))).toBe('BADF');
    const { r, w } = h.pipe();
    expect(E(h.p.fd_filestat_set_size(w, 0n))).toBe('INVAL');
    expect(E(h.p.fd_filestat_set_size(r, 0n))).toBe('BADF');
    expect(dec(h.root.toTree()['a.txt'] as Uint8Array)).toBe('hello world');
  });

  it('sizes past the file limit, or negative as i64, are EFBIG', () => {
    const { h, fd } = withFile();
    for (const size of [2n ** 32n + 1n, 2n ** 53n, -1n]) expect(E(h.p.fd_filestat_set_size(fd, size))).toBe('FBIG');
    expect(h.filestat(fd).st.size).toBe(11n);
  });

  it('needs FD_FILESTAT_SET_SIZE', () => {
    const { h, fd } = withFile();
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~Rights.FD_FILESTAT_SET_SIZE), 0n)).toBe(0);
    expect(E(h.p.fd_filestat_set_size(fd, 0n))).toBe('NOTCAPABLE');
  });
});

describe('fd_filestat_set_times', () => {
  it('sets exact timestamps, one at a time', () => {
    const { h, fd } = withFile();
    const before = h.filestat(fd).st;
    expect(h.p.fd_filestat_set_times(fd, 5n, 0n, Fstflags.ATIM)).toBe(0);
    let st = h.filestat(fd).st;
    expect(st.atim).toBe(5n);
    expect(st.mtim).toBe(before.mtim);
    expect(h.p.fd_filestat_set_times(fd, 0n, 1_700_000_000_123_456_789n, Fstflags.MTIM)).toBe(0);
    st = h.filestat(fd).st;
    expect(st.atim).toBe(5n);
    expect(st.mtim).toBe(1_700_000_000_123_456_789n);
    // flags 0 changes neither time.
    expect(h.p.fd_filestat_set_times(fd, 9n, 9n, 0)).toBe(0);
    expect(h.filestat(fd).st.atim).toBe(5n);
  });

  it('NOW uses the current time and ignores the value given', () => {
    const { h, fd } = withFile();
    const t0 = BigInt(Date.now()) * 1_000_000n;
    expect(h.p.fd_filestat_set_times(fd, 1n, 1n, Fstflags.ATIM_NOW | Fstflags.MTIM_NOW)).toBe(0);
    const t1 = BigInt(Date.now()) * 1_000_000n;
    const st = h.filestat(fd).st;
    for (const t of [st.atim, st.mtim]) {
      expect(t).toBeGreaterThanOrEqual(t0 - 5_000_000n);
      expect(t).toBeLessThanOrEqual(t1 + 5_000_000n);
    }
  });

  it('u64 timestamps above 2^63 survive', () => {
    const { h, fd } = withFile();
    expect(h.p.fd_filestat_set_times(fd, -1n, 0n, Fstflags.ATIM)).toBe(0);
    expect(h.filestat(fd).st.atim).toBe(2n ** 64n - 1n);
  });

  it.each([
    ['ATIM|ATIM_NOW', Fstflags.ATIM | Fstflags.ATIM_NOW],
    ['MTIM|MTIM_NOW', Fstflags.MTIM | Fstflags.MTIM_NOW],
    ['unknown bit 16', 16],
    ['-1', -1],
  ])('%s is EINVAL and changes nothing', (_n, flags) => {
    const { h, fd } = withFile();
    const before = h.filestat(fd).st;
    expect(E(h.p.fd_filestat_set_times(fd, 7n, 7n, flags))).toBe('INVAL');
    expect(h.filestat(fd).st).toEqual(before);
  });

  it('works on a directory; a pipe is EBADF; needs FD_FILESTAT_SET_TIMES', () => {
    const h = new Harness(TREE);
    expect(h.p.fd_filestat_set_times(3, 0n, 77n, Fstflags.MTIM)).toBe(0);
    expect(h.filestat(3).st.mtim).toBe(77n);
    const { w } = h.pipe();
    expect(E(h.p.fd_filestat_set_times(w, 0n, 77n, Fstflags.MTIM))).toBe('BADF');
    const fd = h.open('a.txt');
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~Rights.FD_FILESTAT_SET_TIMES), 0n)).toBe(0);
    expect(E(h.p.fd_filestat_set_times(fd, 0n, 1n, Fstflags.MTIM))).toBe('NOTCAPABLE');
  });
});

describe('fd_advise', () => {
  it('accepts every advice on a file', () => {
    const { h, fd } = withFile();
    for (const a of [Advice.NORMAL, Advice.SEQUENTIAL, Advice.RANDOM, Advice.WILLNEED, Advice.DONTNEED, Advice.NOREUSE]) {
      expect(h.p.fd_advise(fd, 0n, 100n, a)).toBe(0);
    }
  });

  it.each([6, 255, -1])('advice %i is EINVAL', (a) => {
    const { h, fd } = withFile();
    expect(E(h.p.fd_advise(fd, 0n, 0n, a))).toBe('INVAL');
  });

  it('negative offsets or lengths are EINVAL; a pipe is ESPIPE; a directory EISDIR; needs FD_ADVISE', () => {
    const { h, fd } = withFile();
    expect(E(h.p.fd_advise(fd, -1n, 0n, 0))).toBe('INVAL');
    expect(E(h.p.fd_advise(fd, 0n, -1n, 0))).toBe('INVAL');
    const { r } = h.pipe();
    expect(E(h.p.fd_advise(r, 0n, 0n, 0))).toBe('SPIPE');
    expect(E(h.p.fd_advise(3, 0n, 0n, 0))).toBe('ISDIR');
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~Rights.FD_ADVISE), 0n)).toBe(0);
    expect(E(h.p.fd_advise(fd, 0n, 0n, 0))).toBe('NOTCAPABLE');
  });
});

describe('fd_allocate', () => {
  it('extends with zeros, never shrinks, keeps the offset', () => {
    const { h, fd } = withFile();
    expect(h.p.fd_allocate(fd, 10n, 6n)).toBe(0);
    expect(h.filestat(fd).st.size).toBe(16n);
    expect([...(h.root.toTree()['a.txt'] as Uint8Array)].slice(10)).toEqual([100, 0, 0, 0, 0, 0]);
    expect(h.p.fd_allocate(fd, 0n, 2n)).toBe(0);
    expect(h.filestat(fd).st.size).toBe(16n);
    expect(h.tell(fd).offset).toBe(0n);
  });

  it('error paths', () => {
    const { h, fd } = withFile();
    expect(E(h.p.fd_allocate(fd, 0n, 0n))).toBe('INVAL');
    expect(E(h.p.fd_allocate(fd, -1n, 1n))).toBe('INVAL');
    expect(E(h.p.fd_allocate(fd, 2n ** 52n, 2n ** 52n))).toBe('FBIG');
    expect(E(h.p.fd_allocate(fd, 0n, 2n ** 32n + 1n))).toBe('FBIG');
    const ro = h.open('a.txt', { rights: BigInt(Rights.FD_READ) });
    expect(E(h.p.fd_allocate(ro, 0n, 20n))).toBe('BADF');
    const { w } = h.pipe();
    expect(E(h.p.fd_allocate(w, 0n, 1n))).toBe('SPIPE');
    expect(E(h.p.fd_allocate(3, 0n, 1n))).toBe('BADF');
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~Rights.FD_ALLOCATE), 0n)).toBe(0);
    expect(E(h.p.fd_allocate(fd, 0n, 20n))).toBe('NOTCAPABLE');
    expect(h.filestat(fd).st.size).toBe(11n);
  });

  it('ENOSPC past the filesystem budget', () => {
    const h = new Harness(MemoryDirectory.from({ f: 'abc' }, { maxBytes: 10 }));
    const fd = h.open('f');
    expect(E(h.p.fd_allocate(fd, 0n, 11n))).toBe('NOSPC');
    expect(h.p.fd_allocate(fd, 0n, 10n)).toBe(0);
    expect(h.filestat(fd).st.size).toBe(10n);
  });
});

describe('fd_sync / fd_datasync', () => {
  it('files and directories succeed; streams without a flush are EINVAL; rights are checked', () => {
    const { h, fd } = withFile();
    for (const call of ['fd_sync', 'fd_datasync']) {
      expect(h.p[call](fd)).toBe(0);
      expect(h.p[call](3)).toBe(0);
      const { r, w } = h.pipe();
      expect(E(h.p[call](r))).toBe('INVAL');
      expect(E(h.p[call](w))).toBe('INVAL');
      expect(E(h.p[call](1))).toBe('INVAL');
    }
    expect(h.p.fd_fdstat_set_rights(fd, BigInt(RIGHTS_FILE & ~(Rights.FD_SYNC | Rights.FD_DATASYNC)), 0n)).toBe(0);
    expect(E(h.p.fd_sync(fd))).toBe('NOTCAPABLE');
    expect(E(h.p.fd_datasync(fd))).toBe('NOTCAPABLE');
  });
});

describe('fd_prestat_get / fd_prestat_dir_name', () => {
  it('preopens are 3, 4, ... in order, with their names; the next number is EBADF', () => {
    const h = new Harness(TREE, { preopens: { '/': new MemoryDirectory(), '/sandbox/data': new MemoryDirectory() } });
    poison(h);
    expect(h.p.fd_prestat_get(3, BUF)).toBe(0);
    expect([...h.get(BUF, 9)]).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0xa5]);
    expect(h.p.fd_prestat_get(4, BUF)).toBe(0);
    expect([...h.get(BUF, 8)]).toEqual([0, 0, 0, 0, 13, 0, 0, 0]);
    expect(h.p.fd_prestat_dir_name(4, BUF + 32, 13)).toBe(0);
    expect(dec(h.get(BUF + 32, 13))).toBe('/sandbox/data');
    expect(h.bytes[BUF + 45]).toBe(0xa5);
    expect(h.p.fd_prestat_dir_name(3, BUF + 64, 100)).toBe(0);
    expect(dec(h.get(BUF + 64, 1))).toBe('/');
    expect(h.bytes[BUF + 65]).toBe(0xa5);
    expect(E(h.p.fd_prestat_get(5, BUF))).toBe('BADF');
  });

  it('a too-small buffer is ENAMETOOLONG and nothing is written', () => {
    const h = new Harness(TREE, { preopens: { '/sandbox/data': new MemoryDirectory() } });
    poison(h);
    const unchanged = snapshot(h);
    expect(E(h.p.fd_prestat_dir_name(3, BUF, 12))).toBe('NAMETOOLONG');
    expect(E(h.p.fd_prestat_dir_name(3, BUF, 0))).toBe('NAMETOOLONG');
    expect(unchanged()).toBe(true);
    expect(h.p.fd_prestat_dir_name(3, BUF, 13)).toBe(0);
    expect(dec(h.get(BUF, 13))).toBe('/sandbox/data');
  });

  it('open descriptors that are not preopens: EBADF from prestat_get (what wasi-libc stops on), ENOTDIR from dir_name', () => {
    const { h, fd } = withFile();
    const { r } = h.pipe();
    const sub = h.openDir('dir');
    const dup = h.dup(3).fd;
    for (const n of [0, 1, 2, fd, r, sub, dup]) {
      expect(E(h.p.fd_prestat_get(n, OUT))).toBe('BADF');
      expect(E(h.p.fd_prestat_dir_name(n, BUF, 64))).toBe('NOTDIR');
    }
  });
});

describe('fd_readdir', () => {
  const TYPES = { '.': Filetype.DIRECTORY, '..': Filetype.DIRECTORY };

  it('lays out dirents exactly: . and .. first, then entries in creation order, cookies 1, 2, 3, ...', () => {
    const h = new Harness({ b: 'bb', a: {}, l: { symlink: 'b' } });
    poison(h);
    const len = 5 * 24 + 1 + 2 + 1 + 1 + 1;
    expect(h.p.fd_readdir(3, BUF, 1000, 0n, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(len);
    const dirIno = h.pathStat('.').st.ino;
    const raw = h.get(BUF, len);
    const header = (next: number, ino: bigint, namlen: number, type: number) => {
      const b = new Uint8Array(24);
      const v = new DataView(b.buffer);
      v.setBigUint64(0, BigInt(next), true);
      v.setBigUint64(8, ino, true);
      v.setUint32(16, namlen, true);
      v.setUint8(20, type);
      return [...b];
    };
    expect([...raw]).toEqual([
      ...header(1, dirIno, 1, Filetype.DIRECTORY), ...enc('.'),
      ...header(2, dirIno, 2, Filetype.DIRECTORY), ...enc('..'),
      ...header(3, h.pathStat('b').st.ino, 1, Filetype.REGULAR_FILE), ...enc('b'),
      ...header(4, h.pathStat('a').st.ino, 1, Filetype.DIRECTORY), ...enc('a'),
      ...header(5, h.pathStat('l', false).st.ino, 1, Filetype.SYMBOLIC_LINK), ...enc('l'),
    ]);
    expect(h.bytes[BUF + len]).toBe(0xa5);
    expect(TYPES['.']).toBe(Filetype.DIRECTORY);
  });

  it('resumes from any cookie; a cookie past the end (or negative as i64) gives nothing', () => {
    const h = new Harness({ one: '1', two: '2', three: '3' });
    expect(h.readdir(3, 1000, 2n).entries.map((e) => e.name)).toEqual(['one', 'two', 'three']);
    expect(h.readdir(3, 1000, 3n).entries.map((e) => [e.name, e.next])).toEqual([['two', 4n], ['three', 5n]]);
    expect(h.readdir(3, 1000, 5n)).toEqual({ errno: 0, used: 0, entries: [] });
    expect(h.readdir(3, 1000, 1000n)).toEqual({ errno: 0, used: 0, entries: [] });
    expect(h.readdir(3, 1000, -1n)).toEqual({ errno: 0, used: 0, entries: [] });
    expect(h.readdir(3, 1000, -(2n ** 63n))).toEqual({ errno: 0, used: 0, entries: [] });
  });

  it('a small buffer: the last entry is cut, the buffer reported full, and reading on by cookie gets everything', () => {
    const names = Array.from({ length: 20 }, (_, i) => `file-${i}-${'x'.repeat(i)}`);
    const h = new Harness(Object.fromEntries(names.map((n) => [n, n])));
    const r = h.readdir(3, 40);
    expect(r.used).toBe(40);
    expect(r.entries[0]).toMatchObject({ name: '.', next: 1n });
    // 40 = 24 + 1 (".") + 15 bytes of the ".." header.
    expect(r.entries).toHaveLength(1);
    poison(h);
    expect(h.p.fd_readdir(3, BUF, 30, 0n, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(30);
    expect(h.bytes[BUF + 30]).toBe(0xa5);
    // The longest entry takes 24 + 27 bytes; any buffer that holds it lists everything.
    for (const size of [51, 64, 100, 4096]) expect(h.listAll(3, size)).toEqual(['.', '..', ...names]);
  });

  it('a zero-length buffer reports 0 bytes', () => {
    const h = new Harness(TREE);
    poison(h);
    expect(h.p.fd_readdir(3, BUF, 0, 0n, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(0);
    expect(h.bytes[BUF]).toBe(0xa5);
  });

  it('a new pass from cookie 0 sees changes; a subdirectory lists its own entries', () => {
    const h = new Harness(TREE);
    expect(h.listAll(3)).toEqual(['.', '..', 'a.txt', 'empty', 'dir']);
    h.mkdir('new');
    h.unlink('empty');
    expect(h.listAll(3)).toEqual(['.', '..', 'a.txt', 'dir', 'new']);
    const d = h.openDir('dir');
    const r = h.readdir(d);
    expect(r.entries.map((e) => [e.name, e.type])).toEqual([
      ['.', Filetype.DIRECTORY], ['..', Filetype.DIRECTORY], ['x.txt', Filetype.REGULAR_FILE], ['sub', Filetype.DIRECTORY],
    ]);
    expect(r.entries[0].ino).toBe(h.pathStat('dir').st.ino);
  });

  it('a file or a pipe is ENOTDIR; without FD_READDIR ENOTCAPABLE', () => {
    const { h, fd } = withFile();
    const { r } = h.pipe();
    poison(h);
    const unchanged = snapshot(h);
    expect(E(h.p.fd_readdir(fd, BUF, 100, 0n, OUT))).toBe('NOTDIR');
    expect(E(h.p.fd_readdir(r, BUF, 100, 0n, OUT))).toBe('NOTDIR');
    expect(E(h.p.fd_readdir(1, BUF, 100, 0n, OUT))).toBe('NOTDIR');
    expect(unchanged()).toBe(true);
    expect(h.p.fd_fdstat_set_rights(3, BigInt(RIGHTS_DIR & ~Rights.FD_READDIR), BigInt(RIGHTS_DIR | RIGHTS_FILE))).toBe(0);
    expect(E(h.p.fd_readdir(3, BUF, 100, 0n, OUT))).toBe('NOTCAPABLE');
  });

  it('the directory fd has no offset: two dups read independently by cookie', () => {
    const h = new Harness(TREE);
    const dup = h.dup(3).fd;
    expect(h.listAll(3, 64)).toEqual(h.listAll(dup, 80));
  });
});

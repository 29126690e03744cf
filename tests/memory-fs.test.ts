// The in-memory filesystem: its own API (what embedders use to build and inspect trees) and
// its behaviour under the syscalls (links, unlink of open files, byte budget, timestamps).
import { Errno, Filetype, Oflags, Whence } from '../src/abi/constants';
import { WasiError } from '../src/abi/errors';
import { MemoryDir, MemoryDirectory, MemoryFile, MemorySymlink } from '../src/backends/memory';
import type { OpenFileOptions } from '../src/backends/types';
import { Harness, dec, enc, errname as E } from './support/harness';

const RW: OpenFileOptions = { read: true, write: true, create: false, exclusive: false, truncate: false };

function errOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof WasiError) return E(e.errno);
    throw e;
  }
  return 'ok';
}

describe('building and reading back a tree', () => {
  it('from() and toTree() round-trip files, bytes, directories and symlinks in order', () => {
    const tree = {
      'text.txt': 'héllo',
      'bytes.bin': new Uint8Array([0, 255, 7]),
      sub: { deeper: { 'x': 'x' }, empty: {} },
      link: { symlink: 'sub/deeper/x' },
    };
    const root = MemoryDirectory.from(tree);
    expect(root.toTree()).toEqual({
      'text.txt': enc('héllo'),
      'bytes.bin': new Uint8Array([0, 255, 7]),
      sub: { deeper: { x: enc('x') }, empty: {} },
      link: { symlink: 'sub/deeper/x' },
    });
    expect(root.list().map((e) => [e.name, e.filetype])).toEqual([
      ['text.txt', Filetype.REGULAR_FILE], ['bytes.bin', Filetype.REGULAR_FILE], ['sub', Filetype.DIRECTORY], ['link', Filetype.SYMBOLIC_LINK],
    ]);
    // The tree keeps its own copy of the bytes given.
    const given = new Uint8Array([1, 2, 3]);
    const r2 = MemoryDirectory.from({ f: given });
    given[0] = 9;
    expect(r2.toTree().f).toEqual(new Uint8Array([1, 2, 3]));
  });

  it.each(['', '.', '..', 'a/b'])('refuses the name %j', (name) => {
    expect(() => MemoryDirectory.from({ [name]: 'x' })).toThrow(TypeError);
  });

  it('stat: distinct inode numbers, dev 1, nlink 2 + subdirectories, sizes', () => {
    const root = MemoryDirectory.from({ a: 'abc', d: { e: {}, f: {} }, l: { symlink: 'héllo' } });
    const d = root.lookup('d')!;
    const inos = new Set([root, root.lookup('a')!, d, root.lookup('l')!].map((n) => n.stat().ino));
    expect(inos.size).toBe(4);
    expect(root.stat()).toMatchObject({ dev: 1n, filetype: Filetype.DIRECTORY, nlink: 3n, size: 3n });
    expect(d.stat().nlink).toBe(4n);
    expect(root.lookup('a')!.stat()).toMatchObject({ filetype: Filetype.REGULAR_FILE, nlink: 1n, size: 3n });
    // A symlink's size is its target's length in UTF-8 bytes.
    expect(root.lookup('l')!.stat()).toMatchObject({ filetype: Filetype.SYMBOLIC_LINK, size: 6n });
    expect(root.lookup('missing')).toBeNull();
  });

  it('two MemoryDirectory instances are separate filesystems', () => {
    const a = new MemoryDirectory();
    const b = new MemoryDirectory();
    a.mkdir('x');
    expect(errOf(() => a.rename('x', b, 'y'))).toBe('XDEV');
    a.openFile('f', { ...RW, create: true }).close();
    expect(errOf(() => a.link('f', b, 'g'))).toBe('XDEV');
  });
});

describe('directory operations of the backend', () => {
  it('openFile: create, exclusive, truncate; directories and symlinks refused', () => {
    const root = MemoryDirectory.from({ f: 'data', d: {}, l: { symlink: 'f' } });
    expect(errOf(() => root.openFile('new', RW))).toBe('NOENT');
    const h = root.openFile('new', { ...RW, create: true });
    expect(h.size()).toBe(0);
    h.close();
    expect(errOf(() => root.openFile('f', { ...RW, create: true, exclusive: true }))).toBe('EXIST');
    expect(errOf(() => root.openFile('d', RW))).toBe('ISDIR');
    expect(errOf(() => root.openFile('l', RW))).toBe('LOOP');
    const t = root.openFile('f', { ...RW, truncate: true });
    expect(t.size()).toBe(0);
    t.close();
    expect(root.openHandles).toBe(0);
  });

  it('mkdir, rmdir, unlink, symlink and link refuse what POSIX refuses', () => {
    const root = MemoryDirectory.from({ f: 'x', d: { inner: 'y' }, e: {} });
    expect(errOf(() => root.mkdir('f'))).toBe('EXIST');
    expect(errOf(() => root.rmdir('d'))).toBe('NOTEMPTY');
    expect(errOf(() => root.rmdir('f'))).toBe('NOTDIR');
    expect(errOf(() => root.rmdir('nope'))).toBe('NOENT');
    expect(errOf(() => root.unlink('e'))).toBe('ISDIR');
    expect(errOf(() => root.unlink('nope'))).toBe('NOENT');
    expect(errOf(() => root.symlink('t', 'f'))).toBe('EXIST');
    expect(errOf(() => root.link('d', root, 'd2'))).toBe('PERM');
    expect(errOf(() => root.link('f', root, 'e'))).toBe('EXIST');
    expect(errOf(() => root.link('nope', root, 'z'))).toBe('NOENT');
    root.rmdir('e');
    expect(root.lookup('e')).toBeNull();
    expect(root.stat().nlink).toBe(3n);
  });

  it('rename follows POSIX replace rules and refuses loops', () => {
    const root = MemoryDirectory.from({ f: 'x', g: 'y', d: { sub: {} }, e: {}, full: { z: 'z' } });
    const d = root.lookup('d') as MemoryDir;
    expect(errOf(() => root.rename('d', d, 'inside'))).toBe('INVAL');
    expect(errOf(() => root.rename('d', d.lookup('sub') as MemoryDir, 'inside'))).toBe('INVAL');
    expect(errOf(() => root.rename('d', root, 'f'))).toBe('NOTDIR');
    expect(errOf(() => root.rename('f', root, 'e'))).toBe('ISDIR');
    expect(errOf(() => root.rename('d', root, 'full'))).toBe('NOTEMPTY');
    expect(errOf(() => root.rename('nope', root, 'x'))).toBe('NOENT');
    root.rename('f', root, 'g');
    expect(dec(root.toTree().g as Uint8Array)).toBe('x');
    expect(root.lookup('f')).toBeNull();
    root.rename('d', root, 'e');
    expect(Object.keys(root.toTree()).sort()).toEqual(['e', 'full', 'g']);
    expect((root.lookup('e') as MemoryDir).parent).toBe(root);
    expect(root.stat().nlink).toBe(4n);
  });

  it('rename of a directory to another parent fixes both link counts and the parent pointer', () => {
    const root = MemoryDirectory.from({ a: { moving: { x: {} } }, b: {} });
    const a = root.lookup('a') as MemoryDir;
    const b = root.lookup('b') as MemoryDir;
    a.rename('moving', b, 'moved');
    expect(a.stat().nlink).toBe(2n);
    expect(b.stat().nlink).toBe(3n);
    expect((b.lookup('moved') as MemoryDir).parent).toBe(b);
    // ... so a later loop check sees the new place.
    expect(errOf(() => b.rename('moved', (b.lookup('moved') as MemoryDir).lookup('x') as MemoryDir, 'y'))).toBe('INVAL');
  });
});

describe('open handles and unlinked files', () => {
  it('openHandles counts files open right now; handles are closed exactly once', () => {
    const h = new Harness({ a: 'a', b: 'b' });
    const fds = [h.open('a'), h.open('a'), h.open('b')];
    h.openDir('.');
    expect(h.root.openHandles).toBe(3);
    for (const fd of fds) h.p.fd_close(fd);
    expect(h.root.openHandles).toBe(0);
    expect(h.root.doubleCloses).toBe(0);
    expect(h.root.fs.handlesOpened).toBe(3);
  });

  it('a closed backend handle refuses use (EBADF) and a second close is counted, not repeated', () => {
    const root = MemoryDirectory.from({ f: 'data' });
    const handle = root.openFile('f', RW);
    handle.close();
    expect(errOf(() => handle.read(new Uint8Array(4), 0))).toBe('BADF');
    expect(errOf(() => handle.write(enc('x'), 0))).toBe('BADF');
    handle.close();
    expect(root.doubleCloses).toBe(1);
    expect(root.openHandles).toBe(0);
    expect(dec(root.toTree().f as Uint8Array)).toBe('data');
  });

  it('an unlinked file keeps its bytes (and its budget) until its last handle closes', () => {
    const root = MemoryDirectory.from({ big: new Uint8Array(1000), small: 'x' }, { maxBytes: 1500 });
    const h = new Harness(root);
    const fd = h.open('big');
    expect(root.fs.bytesUsed).toBe(1001);
    expect(h.unlink('big')).toBe(0);
    expect(root.fs.bytesUsed).toBe(1001);
    expect(E(h.write(h.open('small'), new Uint8Array(600)).errno)).toBe('NOSPC');
    expect(h.read(fd, 2000).data.byteLength).toBe(1000);
    expect(h.p.fd_close(fd)).toBe(0);
    expect(root.fs.bytesUsed).toBe(1);
    expect(h.write(h.open('small'), new Uint8Array(600)).n).toBe(600);
  });

  it('a file with another hard link survives the unlink of one name, open or not', () => {
    const h = new Harness({ a: 'shared' });
    expect(h.link('a', 'b')).toBe(0);
    const fd = h.open('a');
    expect(h.unlink('a')).toBe(0);
    expect(h.p.fd_close(fd)).toBe(0);
    expect(dec(h.root.toTree().b as Uint8Array)).toBe('shared');
    expect(h.root.fs.bytesUsed).toBe(6);
    expect(h.unlink('b')).toBe(0);
    expect(h.root.fs.bytesUsed).toBe(0);
  });

  it('rename over an open file: the old bytes stay readable, then are freed', () => {
    const h = new Harness({ old: 'old-bytes', new: 'new' });
    const fd = h.open('old');
    expect(h.rename('new', 'old')).toBe(0);
    expect(h.root.fs.bytesUsed).toBe(12);
    expect(dec(h.read(fd, 100).data)).toBe('old-bytes');
    h.p.fd_close(fd);
    expect(h.root.fs.bytesUsed).toBe(3);
  });
});

describe('a removed directory that is still open', () => {
  it('lists as empty and refuses every creation with ENOENT; the filesystem stays clean', () => {
    const h = new Harness({ gone: {}, keep: { f: 'data' }, other: {} });
    const d = h.openDir('gone');
    const keep = h.openDir('keep');
    expect(h.rmdir('gone')).toBe(0);
    expect(h.listAll(d)).toEqual(['.', '..']);
    expect(E(h.mkdir('x', d))).toBe('NOENT');
    expect(E(h.tryOpen('new', { dirfd: d, oflags: Oflags.CREAT }).errno)).toBe('NOENT');
    expect(E(h.symlink('t', 'l', d))).toBe('NOENT');
    expect(E(h.link('f', 'l', false, keep, d))).toBe('NOENT');
    expect(E(h.rename('f', 'moved', keep, d))).toBe('NOENT');
    expect(E(h.tryOpen('missing', { dirfd: d }).errno)).toBe('NOENT');
    // Nothing was lost on the way: the file that failed to move or link is intact.
    expect(dec((h.root.toTree().keep as Record<string, Uint8Array>).f)).toBe('data');
    expect(h.pathStat('keep/f').st.nlink).toBe(1n);
    expect(h.filestat(d).st.filetype).toBe(Filetype.DIRECTORY);
  });

  it('a directory replaced by rename is removed too', () => {
    const h = new Harness({ a: {}, b: {} });
    const b = h.openDir('b');
    expect(h.rename('a', 'b')).toBe(0);
    expect(E(h.mkdir('x', b))).toBe('NOENT');
    // The new b is a live directory.
    expect(h.mkdir('b/x')).toBe(0);
  });
});

describe('file contents', () => {
  it('writes past the end, truncation and regrowth read zeros, never old bytes', () => {
    const h = new Harness({ f: 'abcdefghij' });
    const fd = h.open('f');
    expect(h.p.fd_filestat_set_size(fd, 3n)).toBe(0);
    expect(h.p.fd_filestat_set_size(fd, 6n)).toBe(0);
    expect([...(h.root.toTree().f as Uint8Array)]).toEqual([97, 98, 99, 0, 0, 0]);
    h.seek(fd, 8);
    h.write(fd, 'Z');
    expect([...(h.root.toTree().f as Uint8Array)]).toEqual([97, 98, 99, 0, 0, 0, 0, 0, 90]);
    h.p.fd_filestat_set_size(fd, 0n);
    h.seek(fd, 0);
    h.write(fd, 'q');
    h.p.fd_allocate(fd, 0n, 5n);
    expect([...(h.root.toTree().f as Uint8Array)]).toEqual([113, 0, 0, 0, 0]);
  });

  it('many small appends stay fast (the buffer grows by doubling)', () => {
    const h = new Harness({ log: '' });
    const fd = h.open('log', { fdflags: 1 });
    const chunk = new Uint8Array(16).fill(65);
    const start = Date.now();
    for (let i = 0; i < 20000; i++) h.write(fd, chunk);
    expect(Date.now() - start).toBeLessThan(5000);
    expect(h.filestat(fd).st.size).toBe(320000n);
    expect(h.root.fs.bytesUsed).toBe(320000);
  });

  it('a write that would pass the budget is ENOSPC and changes nothing', () => {
    const h = new Harness(MemoryDirectory.from({ f: 'abc' }, { maxBytes: 5 }));
    const fd = h.open('f');
    h.seek(fd, 0, Whence.END);
    expect(E(h.write(fd, 'xyz').errno)).toBe('NOSPC');
    expect(dec(h.root.toTree().f as Uint8Array)).toBe('abc');
    expect(h.tell(fd).offset).toBe(3n);
    expect(E(h.p.fd_filestat_set_size(fd, 6n))).toBe('NOSPC');
    expect(h.write(fd, 'xy').n).toBe(2);
    expect(h.root.fs.bytesUsed).toBe(5);
    expect(() => MemoryDirectory.from({ a: 'toolong' }, { maxBytes: 3 })).toThrow(WasiError);
  });
});

describe('timestamps', () => {
  const now = () => BigInt(Date.now()) * 1_000_000n;

  it('new inodes get the current time; writes move mtime and ctime; reads move nothing', () => {
    const t0 = now() - 2_000_000n;
    const h = new Harness({});
    const fd = h.open('f', { oflags: Oflags.CREAT });
    const st0 = h.filestat(fd).st;
    expect(st0.atim).toBeGreaterThanOrEqual(t0);
    expect(st0.mtim).toBe(st0.atim);
    expect(h.p.fd_filestat_set_times(fd, 5n, 6n, 1 | 4)).toBe(0);
    h.read(fd, 10);
    expect(h.filestat(fd).st).toMatchObject({ atim: 5n, mtim: 6n });
    h.write(fd, 'x');
    const st1 = h.filestat(fd).st;
    expect(st1.atim).toBe(5n);
    expect(st1.mtim).toBeGreaterThanOrEqual(t0);
    expect(st1.ctim).toBe(st1.mtim);
  });

  it('creating or removing an entry moves the directory\'s mtime', () => {
    const h = new Harness({ d: {} });
    expect(h.p.fd_filestat_set_times(3, 0n, 1n, 4)).toBe(0);
    expect(h.mkdir('x')).toBe(0);
    expect(h.filestat(3).st.mtim).toBeGreaterThan(1n);
    expect(h.p.fd_filestat_set_times(3, 0n, 1n, 4)).toBe(0);
    expect(h.rmdir('x')).toBe(0);
    expect(h.filestat(3).st.mtim).toBeGreaterThan(1n);
  });

  it('a hard link and a rename move the file\'s ctime', () => {
    const h = new Harness({ f: 'x' });
    const fd = h.open('f');
    expect(h.p.fd_filestat_set_times(fd, 0n, 0n, 0)).toBe(0);
    const root = h.root.lookup('f') as MemoryFile;
    root.ctim = 1n;
    expect(h.link('f', 'g')).toBe(0);
    expect(root.ctim).toBeGreaterThan(1n);
    root.ctim = 1n;
    expect(h.rename('g', 'h')).toBe(0);
    expect(root.ctim).toBeGreaterThan(1n);
  });
});

it('the module exports its node classes', () => {
  expect(new MemoryDirectory()).toBeInstanceOf(MemoryDir);
  expect(MemoryDirectory.from({ l: { symlink: 'x' } }).lookup('l')).toBeInstanceOf(MemorySymlink);
  expect(Errno.NOSPC).toBe(51);
});

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isatty } from 'node:tty';
import { buildSync } from 'esbuild';
import { Errno, Filetype, Advice } from '../src/abi/constants';
import { WasiError } from '../src/abi/errors';
import type { DirectoryInode, FileHandle, Inode, OpenFileOptions, SymlinkInode } from '../src/backends/types';
import {
  HOST_ERRNO,
  NodeDirectory,
  NodeFileHandle,
  READ_ONLY_ERRNO,
  errnoFromHost,
  hostCall,
  nodeStdio,
} from '../src/backends/node';
import { usingNative } from './helpers/native';

const LINUX = process.platform === 'linux';
const linuxOnly = LINUX ? it : it.skip;

let tmp: string;
let root: NodeDirectory;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-node-'));
  root = new NodeDirectory(tmp);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const at = (...names: string[]) => path.join(tmp, ...names);
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

function opts(overrides: Partial<OpenFileOptions> = {}): OpenFileOptions {
  return { read: true, write: false, create: false, exclusive: false, truncate: false, ...overrides };
}
const RW_CREATE = { read: true, write: true, create: true };

function errnoOf(fn: () => unknown): Errno | 'no error' {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WasiError)) throw new Error(`not a WasiError: ${String(e)}`);
    return e.errno;
  }
  return 'no error';
}

function expectErrno(fn: () => unknown, errno: Errno): void {
  const got = errnoOf(fn);
  expect(got === 'no error' ? got : Errno[got]).toBe(Errno[errno]);
}

function dirOf(inode: Inode | null): DirectoryInode {
  if (inode?.kind !== 'directory') throw new Error('expected a directory');
  return inode;
}

/** Opens, runs, and always closes, so a failing test does not leak a host fd into the next. */
function withFile<T>(dir: DirectoryInode, name: string, o: Partial<OpenFileOptions>, run: (h: FileHandle) => T): T {
  const handle = dir.openFile(name, opts(o));
  try {
    return run(handle);
  } finally {
    handle.close();
  }
}

describe('errno mapping', () => {
  it('maps every POSIX code WASI has, with the aliases', () => {
    const expected: Record<string, Errno> = {
      EACCES: Errno.ACCES, EEXIST: Errno.EXIST, ENOTEMPTY: Errno.NOTEMPTY, ENOSPC: Errno.NOSPC,
      EISDIR: Errno.ISDIR, ENOTDIR: Errno.NOTDIR, ELOOP: Errno.LOOP, ENAMETOOLONG: Errno.NAMETOOLONG,
      EXDEV: Errno.XDEV, EMFILE: Errno.MFILE, ENFILE: Errno.NFILE, ENOENT: Errno.NOENT, EBADF: Errno.BADF,
      EINVAL: Errno.INVAL, EPERM: Errno.PERM, EBUSY: Errno.BUSY, EROFS: Errno.ROFS, EFBIG: Errno.FBIG,
      EAGAIN: Errno.AGAIN, EWOULDBLOCK: Errno.AGAIN, EPIPE: Errno.PIPE, EIO: Errno.IO, EMLINK: Errno.MLINK,
      ENXIO: Errno.NXIO, ETXTBSY: Errno.TXTBSY, EDQUOT: Errno.DQUOT, ESPIPE: Errno.SPIPE,
      EOVERFLOW: Errno.OVERFLOW, ENOSYS: Errno.NOSYS, ENOTSUP: Errno.NOTSUP, EOPNOTSUPP: Errno.NOTSUP,
      EFAULT: Errno.FAULT, EINTR: Errno.INTR, ECONNRESET: Errno.CONNRESET, E2BIG: Errno.TOOBIG,
      ENOMEM: Errno.NOMEM, EILSEQ: Errno.ILSEQ, ETIMEDOUT: Errno.TIMEDOUT, ESTALE: Errno.STALE,
    };
    for (const [code, errno] of Object.entries(expected)) expect([code, HOST_ERRNO.get(code)]).toEqual([code, errno]);
    // Every WASI errno but SUCCESS and NOTCAPABLE (no host has it) is reachable from a host code.
    const reachable = new Set(HOST_ERRNO.values());
    const missing = Object.values(Errno)
      .filter((v): v is Errno => typeof v === 'number' && !reachable.has(v))
      .map((v) => Errno[v]);
    expect(missing.sort()).toEqual(['NOTCAPABLE', 'SUCCESS']);
  });

  it('hostCall rethrows Node errors as WasiError and anything unexpected as EIO', () => {
    expect(hostCall(() => 42)).toBe(42);
    expectErrno(() => hostCall(() => fs.readFileSync(at('missing'))), Errno.NOENT);
    expectErrno(() => hostCall(() => { throw new Error('boom'); }), Errno.IO);
    expectErrno(() => hostCall(() => { throw new RangeError('offset out of bounds'); }), Errno.IO);
    expectErrno(() => hostCall(() => { throw 'a string'; }), Errno.IO);
    expectErrno(() => hostCall(() => { throw Object.assign(new Error('x'), { code: 'EWHATEVER' }); }), Errno.IO);
    const own = new WasiError(Errno.SPIPE);
    expect(() => hostCall(() => { throw own; })).toThrow(own);
    expect(errnoFromHost(null)).toBe(Errno.IO);
  });
});

describe('NodeDirectory', () => {
  it('refuses a missing or non-directory preopen at construction, and resolves a symlinked root', () => {
    expect(() => new NodeDirectory(at('missing'))).toThrow();
    fs.writeFileSync(at('file'), '');
    expect(() => new NodeDirectory(at('file'))).toThrow(/not a directory/);
    fs.mkdirSync(at('real'));
    fs.symlinkSync(at('real'), at('alias'));
    const viaAlias = new NodeDirectory(at('alias'));
    expect(viaAlias.stat().filetype).toBe(Filetype.DIRECTORY);
    expect(viaAlias.hostPath).toBe(fs.realpathSync(at('real')));
  });

  it('lookup returns the right inode kind without following symlinks, null when absent', () => {
    fs.writeFileSync(at('f'), 'x');
    fs.mkdirSync(at('d'));
    fs.symlinkSync('d', at('to-dir'));
    fs.symlinkSync('/etc/passwd', at('outside'));
    expect(root.lookup('f')?.kind).toBe('file');
    expect(root.lookup('d')?.kind).toBe('directory');
    expect(root.lookup('to-dir')?.kind).toBe('symlink');
    expect(root.lookup('outside')?.stat().filetype).toBe(Filetype.SYMBOLIC_LINK);
    expect((root.lookup('outside') as SymlinkInode).readlink()).toBe('/etc/passwd');
    expect(root.lookup('missing')).toBeNull();
  });

  it('every inode of a tree shares one fs identity; separate preopens never do', () => {
    fs.mkdirSync(at('d'));
    fs.writeFileSync(at('d', 'f'), '');
    const sub = dirOf(root.lookup('d'));
    expect(sub.fs).toBe(root.fs);
    expect(sub.lookup('f')?.fs).toBe(root.fs);
    expect(new NodeDirectory(tmp).fs).not.toBe(root.fs);
  });

  it('stat reports bigint fields with nanosecond times, as the host does', () => {
    fs.writeFileSync(at('f'), 'hello');
    const host = fs.lstatSync(at('f'), { bigint: true });
    const st = root.lookup('f')!.stat();
    expect(st).toEqual({
      dev: host.dev, ino: host.ino, filetype: Filetype.REGULAR_FILE, nlink: 1n, size: 5n,
      atim: host.atimeNs, mtim: host.mtimeNs, ctim: host.ctimeNs,
    });
    expect(root.stat().filetype).toBe(Filetype.DIRECTORY);
    expect(root.stat().ino).toBe(fs.statSync(tmp, { bigint: true }).ino);
  });

  linuxOnly('reports a FIFO as a file-like inode with its own filetype, and opens it without blocking', () => {
    fs.mkdirSync(at('d'));
    require('node:child_process').execFileSync('mkfifo', [at('pipe')]);
    const inode = root.lookup('pipe')!;
    expect(inode.kind).toBe('file');
    expect(inode.stat().filetype).toBe(Filetype.UNKNOWN);
    withFile(root, 'pipe', {}, (h) => expectErrno(() => h.read(new Uint8Array(4), 0), Errno.SPIPE));
  });

  it('list gives every entry sorted by name with filetype and inode, and no . or ..', () => {
    fs.writeFileSync(at('b'), '');
    fs.mkdirSync(at('a'));
    fs.symlinkSync('b', at('C'));
    fs.writeFileSync(at('é'), '');
    const entries = root.list();
    expect(entries.map((e) => e.name)).toEqual(['C', 'a', 'b', 'é']);
    expect(entries.map((e) => e.filetype)).toEqual([
      Filetype.SYMBOLIC_LINK, Filetype.DIRECTORY, Filetype.REGULAR_FILE, Filetype.REGULAR_FILE,
    ]);
    for (const e of entries) expect(e.ino).toBe(fs.lstatSync(at(e.name), { bigint: true }).ino);
    expect(root.list()).toEqual(entries);
  });

  it('refuses names that are not a single component with INVAL', () => {
    for (const bad of ['', '.', '..', 'a/b', '/etc', 'a\0b']) {
      expectErrno(() => root.lookup(bad), Errno.INVAL);
      expectErrno(() => root.openFile(bad, opts(RW_CREATE)), Errno.INVAL);
      expectErrno(() => root.mkdir(bad), Errno.INVAL);
      expectErrno(() => root.unlink(bad), Errno.INVAL);
    }
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('openFile', () => {
  it('creates, refuses an exclusive create of an existing file, and fails without create when absent', () => {
    expectErrno(() => root.openFile('new', opts()), Errno.NOENT);
    withFile(root, 'new', { ...RW_CREATE, exclusive: true }, (h) => expect(h.write(bytes('abc'), 0)).toBe(3));
    expect(fs.readFileSync(at('new'), 'utf8')).toBe('abc');
    expectErrno(() => root.openFile('new', opts({ ...RW_CREATE, exclusive: true })), Errno.EXIST);
    withFile(root, 'new', RW_CREATE, (h) => expect(h.size()).toBe(3));
  });

  it('truncates on request', () => {
    fs.writeFileSync(at('f'), 'content');
    withFile(root, 'f', { write: true, truncate: true }, (h) => expect(h.size()).toBe(0));
  });

  it('never follows a symlink: ELOOP, even to a plain file', () => {
    fs.writeFileSync(at('target'), 'secret');
    fs.symlinkSync('target', at('link'));
    expectErrno(() => root.openFile('link', opts()), Errno.LOOP);
    expectErrno(() => root.openFile('link', opts(RW_CREATE)), Errno.LOOP);
  });

  it('refuses a directory with EISDIR, read-only or not, and leaks no fd doing so', () => {
    fs.mkdirSync(at('d'));
    const before = { ...NodeFileHandle.counters };
    expectErrno(() => root.openFile('d', opts()), Errno.ISDIR);
    expectErrno(() => root.openFile('d', opts({ write: true })), Errno.ISDIR);
    expect(NodeFileHandle.counters.opened - before.opened).toBe(NodeFileHandle.counters.closed - before.closed);
  });

  it('gives ENOTDIR when a directory inode now names a file', () => {
    fs.mkdirSync(at('d'));
    const sub = dirOf(root.lookup('d'));
    fs.rmdirSync(at('d'));
    fs.writeFileSync(at('d'), '');
    expectErrno(() => sub.lookup('x'), Errno.NOTDIR);
    expectErrno(() => sub.openFile('x', opts(RW_CREATE)), Errno.NOTDIR);
  });

  linuxOnly('opens with O_NOFOLLOW and O_NONBLOCK, never O_APPEND', () => {
    withFile(root, 'f', RW_CREATE, (h) => {
      const fd = (h as unknown as { fd: number }).fd;
      const flags = parseInt(/flags:\s+(\d+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1], 8);
      expect(flags & fs.constants.O_APPEND).toBe(0);
      expect(flags & fs.constants.O_NOFOLLOW).toBe(fs.constants.O_NOFOLLOW);
      expect(flags & fs.constants.O_NONBLOCK).toBe(fs.constants.O_NONBLOCK);
      expect(flags & 3).toBe(fs.constants.O_RDWR); // O_ACCMODE
    });
  });
});

describe('NodeFileHandle', () => {
  it('reads and writes at explicit positions; a write at 0 of a full file lands at 0', () => {
    fs.writeFileSync(at('f'), 'hello world');
    withFile(root, 'f', { write: true }, (h) => {
      expect(h.write(bytes('HELLO'), 0)).toBe(5);
      expect(h.write(bytes('!'), 20)).toBe(1);
      const into = new Uint8Array(5);
      expect(h.read(into, 6)).toBe(5);
      expect(text(into)).toBe('world');
      expect(h.read(into, 21)).toBe(0);
      expect(h.read(new Uint8Array(0), 0)).toBe(0);
    });
    expect(fs.readFileSync(at('f'), 'latin1')).toBe('HELLO world\0\0\0\0\0\0\0\0\0!');
  });

  it('reads into and writes from views of a SharedArrayBuffer (shared wasm memory)', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const heap = new Uint8Array(memory.buffer);
    heap.set(bytes('shared'), 100);
    withFile(root, 'f', RW_CREATE, (h) => {
      expect(h.write(heap.subarray(100, 106), 0)).toBe(6);
      expect(h.read(heap.subarray(200, 206), 0)).toBe(6);
    });
    expect(text(heap.slice(200, 206))).toBe('shared');
    expect(fs.readFileSync(at('f'), 'utf8')).toBe('shared');
  });

  it('refuses negative or unsafe positions and sizes instead of letting Node reinterpret them', () => {
    withFile(root, 'f', RW_CREATE, (h) => {
      h.write(bytes('data'), 0);
      expectErrno(() => h.read(new Uint8Array(1), -1), Errno.INVAL);
      expectErrno(() => h.write(bytes('x'), -1), Errno.INVAL);
      expectErrno(() => h.write(bytes('x'), 2 ** 53), Errno.INVAL);
      expectErrno(() => h.truncate(-1), Errno.INVAL);
      expect(h.size()).toBe(4);
    });
  });

  it('stat, size and truncate agree with the host', () => {
    withFile(root, 'f', RW_CREATE, (h) => {
      h.write(bytes('0123456789'), 0);
      expect(h.size()).toBe(10);
      h.truncate(4);
      expect(h.size()).toBe(4);
      h.truncate(100);
      const st = h.stat();
      expect(st.size).toBe(100n);
      expect(st.filetype).toBe(Filetype.REGULAR_FILE);
      expect(st.ino).toBe(fs.statSync(at('f'), { bigint: true }).ino);
      h.sync();
      h.datasync();
      h.advise(0, 100, Advice.DONTNEED);
    });
  });

  it('allocate extends the file but never shrinks it', () => {
    withFile(root, 'f', RW_CREATE, (h) => {
      h.allocate(10, 20);
      expect(h.size()).toBe(30);
      h.allocate(0, 5);
      expect(h.size()).toBe(30);
      h.allocate(30, 0);
      expect(h.size()).toBe(30);
      expectErrno(() => h.allocate(-1, 5), Errno.INVAL);
    });
  });

  it('setTimes keeps microseconds on the host, reads nanoseconds back exactly, keeps null, and takes now', () => {
    withFile(root, 'f', RW_CREATE, (h) => {
      const atim = 1_500_000_000_123_456_000n;
      const mtim = 4_000_000_000_654_321_000n; // past 2038
      h.setTimes(atim, mtim);
      expect([h.stat().atim, h.stat().mtim]).toEqual([atim, mtim]);
      // The host rounds to the microsecond; the guest reads back the time it set (as the
      // official path_filestat test requires), and the inode's stat agrees with the handle's.
      h.setTimes(1_600_000_000_999_999_700n, null);
      // Through Node's fs; the native addon's utimensat keeps the nanoseconds.
      expect(fs.statSync(at('f'), { bigint: true }).atimeNs).toBe(usingNative() ? 1_600_000_000_999_999_700n : 1_600_000_001_000_000_000n);
      expect([h.stat().atim, h.stat().mtim]).toEqual([1_600_000_000_999_999_700n, mtim]);
      expect(root.lookup('f')!.stat().atim).toBe(1_600_000_000_999_999_700n);
      h.setTimes(atim, 'now');
      expect(h.stat().atim).toBe(atim);
      expect(Math.abs(Number(h.stat().mtim / 1_000_000n) - Date.now())).toBeLessThan(5_000);
      h.setTimes(-86_400_000_000_000n, null); // a day before the epoch: Node would read -1 s as "now"
      expect(h.stat().atim).toBe(-86_400_000_000_000n);
    });
  });

  it('an exact time set is forgotten once the host changes that time (a write moves mtime)', () => {
    withFile(root, 'f', RW_CREATE, (h) => {
      h.setTimes(null, 1_600_000_000_999_999_700n);
      expect(h.stat().mtim).toBe(1_600_000_000_999_999_700n);
      h.write(bytes('x'), 0);
      const host = fs.statSync(at('f'), { bigint: true }).mtimeNs;
      expect(host).not.toBe(1_600_000_001_000_000_000n);
      expect(h.stat().mtim).toBe(host);
    });
  });

  it('closes its host fd exactly once, and refuses use afterwards', () => {
    const before = { ...NodeFileHandle.counters };
    const h = root.openFile('f', opts(RW_CREATE));
    h.close();
    h.close();
    const after = NodeFileHandle.counters;
    expect(after.opened - before.opened).toBe(1);
    expect(after.closed - before.closed).toBe(1);
    expect(after.doubleCloseAttempts - before.doubleCloseAttempts).toBe(1);
    expectErrno(() => h.read(new Uint8Array(1), 0), Errno.BADF);
    expectErrno(() => h.write(bytes('x'), 0), Errno.BADF);
    expectErrno(() => h.stat(), Errno.BADF);
    expectErrno(() => h.sync(), Errno.BADF);
  });

  linuxOnly('opening and closing 1,000 handles leaves the process with the same fds', () => {
    const count = () => fs.readdirSync('/proc/self/fd').length;
    // The directory's own host fd opens on first use and stays open (a cache): open it first.
    root.list();
    const before = count();
    const counters = { ...NodeFileHandle.counters };
    const handles: FileHandle[] = [];
    for (let i = 0; i < 1000; i++) handles.push(root.openFile(`f${i % 10}`, opts(RW_CREATE)));
    expect(count()).toBe(before + 1000);
    for (const h of handles) h.close();
    expect(count()).toBe(before);
    expect(NodeFileHandle.counters.closed - counters.closed).toBe(1000);
    expect(NodeFileHandle.counters.doubleCloseAttempts).toBe(counters.doubleCloseAttempts);
  });
});

describe('directory mutations', () => {
  it('mkdir and rmdir, with EEXIST, ENOTEMPTY, ENOTDIR and ENOENT', () => {
    root.mkdir('d');
    expect(fs.statSync(at('d')).isDirectory()).toBe(true);
    expectErrno(() => root.mkdir('d'), Errno.EXIST);
    fs.writeFileSync(at('d', 'f'), '');
    expectErrno(() => root.rmdir('d'), Errno.NOTEMPTY);
    fs.unlinkSync(at('d', 'f'));
    root.rmdir('d');
    expectErrno(() => root.rmdir('d'), Errno.NOENT);
    fs.writeFileSync(at('f'), '');
    expectErrno(() => root.rmdir('f'), Errno.NOTDIR);
  });

  it('unlink removes files and symlinks (not their targets), and gives EISDIR for a directory', () => {
    fs.writeFileSync(at('f'), '');
    fs.symlinkSync('f', at('l'));
    fs.mkdirSync(at('d'));
    root.unlink('l');
    expect(fs.existsSync(at('f'))).toBe(true);
    root.unlink('f');
    expect(fs.readdirSync(tmp)).toEqual(['d']);
    expectErrno(() => root.unlink('f'), Errno.NOENT);
    expectErrno(() => root.unlink('d'), LINUX ? Errno.ISDIR : Errno.PERM);
  });

  it('symlink creates the link as given (dangling is fine), EEXIST when taken', () => {
    root.symlink('../../anywhere', 'l');
    expect(fs.readlinkSync(at('l'))).toBe('../../anywhere');
    expect((root.lookup('l') as SymlinkInode).readlink()).toBe('../../anywhere');
    expectErrno(() => root.symlink('x', 'l'), Errno.EXIST);
  });

  it('link makes a hard link, and links a symlink itself rather than its target', () => {
    fs.mkdirSync(at('d'));
    fs.writeFileSync(at('f'), 'x');
    root.link('f', dirOf(root.lookup('d')), 'g');
    expect(root.lookup('f')!.stat().nlink).toBe(2n);
    expect(fs.readFileSync(at('d', 'g'), 'utf8')).toBe('x');
    fs.symlinkSync('f', at('l'));
    root.link('l', root, 'l2');
    expect(fs.lstatSync(at('l2')).isSymbolicLink()).toBe(true);
    expectErrno(() => root.link('f', root, 'l2'), Errno.EXIST);
    expectErrno(() => root.link('missing', root, 'x'), Errno.NOENT);
  });

  it('rename moves and replaces with POSIX rules', () => {
    fs.mkdirSync(at('d'));
    fs.writeFileSync(at('a'), 'a');
    fs.writeFileSync(at('b'), 'b');
    root.rename('a', root, 'b');
    expect(fs.readFileSync(at('b'), 'utf8')).toBe('a');
    root.rename('b', dirOf(root.lookup('d')), 'moved');
    expect(fs.readFileSync(at('d', 'moved'), 'utf8')).toBe('a');
    fs.mkdirSync(at('e'));
    expectErrno(() => root.rename('e', root, 'd'), Errno.NOTEMPTY);
    fs.writeFileSync(at('f'), '');
    expectErrno(() => root.rename('e', root, 'f'), Errno.NOTDIR);
    expectErrno(() => root.rename('f', root, 'e'), Errno.ISDIR);
    expectErrno(() => root.rename('missing', root, 'x'), Errno.NOENT);
  });

  it('refuses rename and link into another tree with EXDEV (defence behind the core check)', () => {
    fs.writeFileSync(at('f'), '');
    const other = new NodeDirectory(tmp);
    expectErrno(() => root.rename('f', other, 'g'), Errno.XDEV);
    expectErrno(() => root.link('f', other, 'g'), Errno.XDEV);
    expect(fs.readdirSync(tmp)).toEqual(['f']);
  });

  it('setTimes on file, directory and symlink inodes; a symlink changes, not its target', () => {
    fs.writeFileSync(at('f'), '');
    fs.mkdirSync(at('d'));
    fs.symlinkSync('f', at('l'));
    const t = 1_000_000_000_000_000_000n;
    for (const name of ['f', 'd']) {
      root.lookup(name)!.setTimes(t, t);
      expect(fs.statSync(at(name), { bigint: true }).mtimeNs).toBe(t);
    }
    fs.utimesSync(at('f'), 5, 5);
    root.lookup('l')!.setTimes(null, t);
    expect(fs.lstatSync(at('l'), { bigint: true }).mtimeNs).toBe(t);
    expect(fs.statSync(at('f')).mtimeMs).toBe(5000);
    root.setTimes(t, null);
    expect(fs.statSync(tmp, { bigint: true }).atimeNs).toBe(t);
  });
});

describe('read-only preopen', () => {
  let ro: NodeDirectory;
  beforeEach(() => {
    fs.mkdirSync(at('d'));
    fs.writeFileSync(at('f'), 'keep');
    fs.symlinkSync('f', at('l'));
    ro = new NodeDirectory(tmp, { readOnly: true });
  });

  it('fails every mutation with EPERM, as wasmtime does, and changes nothing', () => {
    expect(READ_ONLY_ERRNO).toBe(Errno.PERM);
    const sub = dirOf(ro.lookup('d'));
    const mutations: (() => unknown)[] = [
      () => ro.openFile('f', opts({ write: true })),
      () => ro.openFile('new', opts({ create: true })),
      () => ro.openFile('f', opts({ truncate: true })),
      () => ro.mkdir('x'),
      () => ro.rmdir('d'),
      () => ro.unlink('f'),
      () => ro.symlink('f', 'x'),
      () => ro.link('f', sub, 'x'),
      () => ro.rename('f', sub, 'x'),
      () => ro.lookup('f')!.setTimes('now', 'now'),
      () => ro.lookup('l')!.setTimes('now', 'now'),
      () => sub.setTimes('now', 'now'),
      () => sub.mkdir('x'),
    ];
    const before = fs.statSync(at('f'), { bigint: true });
    for (const mutate of mutations) expectErrno(mutate, Errno.PERM);
    expect(fs.readdirSync(tmp).sort()).toEqual(['d', 'f', 'l']);
    expect(fs.readdirSync(at('d'))).toEqual([]);
    expect(fs.statSync(at('f'), { bigint: true }).mtimeNs).toBe(before.mtimeNs);
  });

  it('still reads, and refuses writes through a handle it opened', () => {
    withFile(ro, 'f', {}, (h) => {
      const into = new Uint8Array(4);
      expect(h.read(into, 0)).toBe(4);
      expect(text(into)).toBe('keep');
      for (const mutate of [
        () => h.write(bytes('x'), 0), () => h.truncate(0), () => h.allocate(0, 100), () => h.setTimes('now', null),
      ]) expectErrno(mutate, Errno.PERM);
    });
    expect(ro.list().map((e) => e.name)).toEqual(['d', 'f', 'l']);
    expect(fs.readFileSync(at('f'), 'utf8')).toBe('keep');
  });
});

describe('stdio', () => {
  it('reports CHARACTER_DEVICE for a terminal and UNKNOWN otherwise', () => {
    const { stdin, stdout, stderr } = nodeStdio();
    expect(stdin.filetype).toBe(isatty(0) ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN);
    expect(stdout.filetype).toBe(isatty(1) ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN);
    expect(stderr.stat().filetype).toBe(stderr.filetype);
    expect(stdout.kind).toBe('stream');
  });

  it("a closed stdout handle refuses writes while the process's stdout stays open", () => {
    const { stdout, stdin } = nodeStdio();
    stdout.close();
    stdout.close();
    expectErrno(() => stdout.write(bytes('x')), Errno.BADF);
    expectErrno(() => stdin.write(bytes('x')), Errno.BADF);
    expectErrno(() => stdout.read(new Uint8Array(1)), Errno.BADF);
    expect(() => fs.fstatSync(1)).not.toThrow();
    expect(nodeStdio().stdout.write(new Uint8Array(0))).toBe(0);
  });

  describe('in a child process with piped stdio', () => {
    let bundle: string;
    beforeAll(() => {
      bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-bundle-')), 'node-backend.js');
      buildSync({
        entryPoints: [path.join(__dirname, '../src/backends/node/index.ts')],
        bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent',
      });
    });
    afterAll(() => fs.rmSync(path.dirname(bundle), { recursive: true, force: true }));

    /** Runs `script` with `backend` bound; resolves with its stdout once it exits. */
    function runChild(script: string, stdin?: string): Promise<{ code: number | null; out: Buffer; err: string }> {
      const child = spawn(process.execPath, ['-e', `const backend = require(${JSON.stringify(bundle)});\n${script}`]);
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk));
      if (stdin !== undefined) child.stdin.end(stdin);
      return new Promise((resolve) =>
        child.on('close', (code) => {
          child.stdin.destroy();
          resolve({ code, out: Buffer.concat(out), err });
        }),
      );
    }

    it('writes all of a large buffer through a non-blocking stdout pipe, then survives a guest close', async () => {
      const { code, out, err } = await runChild(`
        process.stdout; // makes fd 1 non-blocking, so a full pipe answers EAGAIN
        const { stdout } = backend.nodeStdio();
        const data = new Uint8Array(4 << 20).fill(0x61);
        const n = stdout.write(data);
        stdout.close();
        let refused = '';
        try { stdout.write(new Uint8Array(1)); } catch (e) { refused = e.errno; }
        require('fs').fstatSync(1);
        // fd 1 is still non-blocking: under load the pipe may still be full here.
        for (;;) {
          try { require('fs').writeSync(1, '|' + n + '|' + refused); break; } catch (e) { if (e.code !== 'EAGAIN') throw e; }
        }
      `);
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out.length).toBe((4 << 20) + `|${4 << 20}|${Errno.BADF}`.length);
      expect(out.subarray(4 << 20).toString()).toBe(`|${4 << 20}|${Errno.BADF}`);
    });

    it('reads stdin until EOF (0), and gives AGAIN on a non-blocking stdin with nothing there', async () => {
      const eof = await runChild(`
        const { stdin } = backend.nodeStdio();
        const buf = new Uint8Array(64); let all = '', n;
        while ((n = stdin.read(buf)) > 0) all += Buffer.from(buf.subarray(0, n));
        process.stdout.write(all + '|' + n);
      `, 'piped input');
      expect(eof.out.toString()).toBe('piped input|0');

      const again = await runChild(`
        process.stdin; // makes fd 0 non-blocking without reading from it
        try { backend.nodeStdio().stdin.read(new Uint8Array(8)); process.stdout.write('read'); }
        catch (e) { process.stdout.write(String(e.errno)); }
        process.exit(0);
      `);
      expect(again.err).toBe('');
      expect(again.out.toString()).toBe(String(Errno.AGAIN));
    });
  });
});

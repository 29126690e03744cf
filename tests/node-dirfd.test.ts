// The host directory fds behind NodeDirectory (Linux, where directories are addressed through
// /proc/self/fd): one fd per directory, reused by every walk through it while it is open;
// a directory a descriptor holds keeps its fd, and so its meaning, wherever it is moved; the
// fds nobody holds are a bounded cache; everything closes, once, when the last descriptor does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Errno } from '../src/abi/constants';
import { NodeDirectory, NodeFileHandle } from '../src/backends/node';
import { addressing, dirFdCounters, setMaxCachedDirFds } from '../src/backends/node/host-dir';
import { hostOps } from '../src/backends/node/host-ops';
import type { DirectoryInode, Inode } from '../src/backends/types';
import { Guest } from './helpers/guest';
import { withoutNative } from './helpers/native';

if (!addressing.byFd) throw new Error('these tests need /proc/self/fd (Linux)');

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-dirfd-')));
  fs.mkdirSync(path.join(tmp, 'a', 'b', 'c'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'a', 'b', 'c', 'f'), 'deep');
});
afterEach(() => {
  setMaxCachedDirFds(64);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const hostFdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const opened = (): number => dirFdCounters.opened;

function dirOf(inode: Inode | null): DirectoryInode {
  if (inode?.kind !== 'directory') throw new Error('expected a directory');
  return inode;
}

describe('directory fds', () => {
  it('a walk opens each directory once; later walks reuse the fds (checked by lstat, not opened again)', () => {
    const g = Guest.over(new NodeDirectory(tmp));
    const start = opened();
    expect(g.stat('a/b/c/f').value.size).toBe(4n);
    expect(opened() - start).toBe(3); // a, b, c
    for (let i = 0; i < 20; i++) expect(g.stat('a/b/c/f').errno).toBe(Errno.SUCCESS);
    expect(opened() - start).toBe(3);
    g.end();
  });

  it('a directory replaced under the same name is a new directory: the walk opens it, never the old fd', () => {
    const g = Guest.over(new NodeDirectory(tmp));
    expect(g.stat('a/b/c/f').errno).toBe(Errno.SUCCESS);
    fs.renameSync(path.join(tmp, 'a', 'b'), path.join(tmp, 'b-old'));
    fs.mkdirSync(path.join(tmp, 'a', 'b', 'c'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'a', 'b', 'c', 'f'), 'replaced!');
    expect(g.stat('a/b/c/f').value.size).toBe(9n);
    g.end();
  });

  it('a directory fd keeps meaning its directory when the host moves it, and never follows a symlink put in its place', () => {
    fs.mkdirSync(path.join(tmp, 'outside'));
    fs.writeFileSync(path.join(tmp, 'outside', 'f'), 'OUTSIDE');
    fs.mkdirSync(path.join(tmp, 'box'));
    fs.renameSync(path.join(tmp, 'a'), path.join(tmp, 'box', 'a'));
    const g = Guest.over(new NodeDirectory(path.join(tmp, 'box')));
    const c = g.openDir('a/b/c').value;
    fs.renameSync(path.join(tmp, 'box', 'a'), path.join(tmp, 'box', 'moved'));
    fs.symlinkSync('../outside', path.join(tmp, 'box', 'a'));
    fs.symlinkSync('../outside', path.join(tmp, 'box', 'moved', 'b', 'c', 'up'));
    const f = g.open('f', { dirfd: c });
    expect(g.read(f.value).value).toBe('deep');
    expect(g.create('new', { dirfd: c }).errno).toBe(Errno.SUCCESS);
    expect(fs.existsSync(path.join(tmp, 'box', 'moved', 'b', 'c', 'new'))).toBe(true);
    expect(g.readdir(c).value.map((e) => e.name).sort()).toEqual(['.', '..', 'f', 'new', 'up']);
    // The core still refuses the symlinks: one climbs out of the preopen, one is absolute.
    expect(Errno[g.open('a/f').errno]).toBe('PERM');
    expect(Errno[g.open('up/f', { dirfd: c }).errno]).toBe('PERM');
    g.end();
    expect(fs.readdirSync(path.join(tmp, 'outside'))).toEqual(['f']);
  });

  it('the fds no descriptor holds are a bounded cache: past the cap the oldest close, and a closed one opens again by name', () => {
    setMaxCachedDirFds(4);
    for (let i = 0; i < 20; i++) fs.mkdirSync(path.join(tmp, `d${i}`));
    const g = Guest.over(new NodeDirectory(tmp));
    const base = hostFdCount();
    for (let i = 0; i < 20; i++) expect(g.mkdir(`d${i}/x`)).toBe(Errno.SUCCESS);
    // At most the cap, and what one operation opened before the next one trims.
    expect(hostFdCount() - base).toBeLessThanOrEqual(5);
    const dir = dirOf(new NodeDirectory(tmp).lookup('a'));
    const b = dirOf(dir.lookup('b'));
    for (let i = 0; i < 20; i++) expect(g.rmdir(`d${i}/x`)).toBe(Errno.SUCCESS);
    // `b` was closed as the oldest; it opens again through `a`, and is still the same directory.
    expect(dirOf(b.lookup('c')).lookup('f')?.kind).toBe('file');
    g.end();
  });

  it('a closed cache entry whose directory has moved is ENOENT, never another directory with its old name', () => {
    setMaxCachedDirFds(0);
    const a = dirOf(new NodeDirectory(tmp).lookup('a'));
    const b = dirOf(a.lookup('b'));
    expect(b.lookup('c')?.kind).toBe('directory'); // b is open now
    new NodeDirectory(tmp).list(); // the next operation trims the cache (cap 0): b's fd closes
    fs.renameSync(path.join(tmp, 'a', 'b'), path.join(tmp, 'a', 'b-moved'));
    fs.mkdirSync(path.join(tmp, 'a', 'b'));
    let errno: Errno | undefined;
    try {
      b.lookup('c');
    } catch (e) {
      errno = (e as { errno: Errno }).errno;
    }
    expect(errno).toBe(Errno.NOENT);
  });

  it('every directory fd of a run closes, once, when its last descriptor does', () => {
    const before = hostFdCount();
    const start = { ...dirFdCounters };
    const g = Guest.over(new NodeDirectory(tmp));
    const c = g.openDir('a/b/c').value;
    const dup = g.dup(c).value;
    expect(g.stat('a/b/c/f').errno).toBe(Errno.SUCCESS);
    expect(hostFdCount()).toBe(before + 4); // the preopen, a, b, c
    expect(g.close(c)).toBe(Errno.SUCCESS);
    expect(g.stat('f', false, dup).errno).toBe(Errno.SUCCESS);
    g.end();
    expect(hostFdCount()).toBe(before);
    expect(dirFdCounters.closed - start.closed).toBe(dirFdCounters.opened - start.opened);
  });

  it('a directory descriptor takes one fd of the process budget; when it is spent, the directory still opens, only cached', () => {
    const saved = NodeFileHandle.maxHostFds;
    try {
      const idle = NodeFileHandle.hostFdsHeld;
      const g = Guest.over(new NodeDirectory(tmp));
      expect(NodeFileHandle.hostFdsHeld).toBe(idle + 1); // the preopen
      const c = g.openDir('a/b/c').value;
      expect(NodeFileHandle.hostFdsHeld).toBe(idle + 2);
      NodeFileHandle.maxHostFds = NodeFileHandle.hostFdsHeld;
      const b = g.openDir('a/b');
      expect(b.errno).toBe(Errno.SUCCESS);
      expect(NodeFileHandle.hostFdsHeld).toBe(idle + 2);
      expect(g.stat('c/f', false, b.value).errno).toBe(Errno.SUCCESS);
      // Files still meet the cap.
      expect(Errno[g.open('f', { dirfd: c }).errno]).toBe('NFILE');
      g.end();
      expect(NodeFileHandle.hostFdsHeld).toBe(idle);
    } finally {
      NodeFileHandle.maxHostFds = saved;
    }
  });
});

describe('descriptors on directories that went away', () => {
  it('a preopen removed before the WASI object is made: the guest gets ENOENT, the embedder no exception', () => {
    const dir = new NodeDirectory(path.join(tmp, 'a'));
    fs.rmSync(path.join(tmp, 'a'), { recursive: true });
    const g = Guest.over(dir);
    expect(Errno[g.stat('b').errno]).toBe('NOENT');
    g.end();
  });

  it('a directory swapped for a file between its lookup and its open: path_open fails, no descriptor', () => {
    const g = Guest.over(new NodeDirectory(tmp));
    // The swap happens just before the host opens the directory (Node's fs or the addon alike).
    const ops = hostOps();
    const realOpen = ops.openDir.bind(ops);
    const spy = jest.spyOn(ops, 'openDir').mockImplementationOnce((...args) => {
      fs.rmSync(path.join(tmp, 'a'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'a'), 'now a file');
      return realOpen(...args);
    });
    try {
      expect(Errno[g.openDir('a').errno]).toBe('NOTDIR');
    } finally {
      spy.mockRestore();
    }
    g.end();
  });
});

describe('host errors around directory fds', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hostFs: typeof import('node:fs') = require('node:fs');

  // The fault is injected into Node's fs, between its open and its fstat (the addon makes both in one call).
  it('an fstat that fails right after a directory is opened closes that fd and reports the errno', () => withoutNative(() => {
    const g = Guest.over(new NodeDirectory(tmp));
    const before = hostFdCount();
    const start = { ...dirFdCounters };
    const spy = jest.spyOn(hostFs, 'fstatSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    });
    try {
      expect(Errno[g.stat('a/b').errno]).toBe('IO');
    } finally {
      spy.mockRestore();
    }
    expect(dirFdCounters.opened - start.opened).toBe(1);
    expect(dirFdCounters.closed - start.closed).toBe(1);
    expect(hostFdCount()).toBe(before);
    // The next walk opens it again and works.
    expect(g.stat('a/b').errno).toBe(Errno.SUCCESS);
    g.end();
    expect(hostFdCount()).toBe(before - 1);
  }));

  it('a close the host reports as failed still gives the fd up, once', () => {
    const before = hostFdCount();
    const start = { ...dirFdCounters };
    const g = Guest.over(new NodeDirectory(tmp));
    expect(g.stat('a/b/c/f').errno).toBe(Errno.SUCCESS);
    const realClose = hostFs.closeSync;
    const spy = jest.spyOn(hostFs, 'closeSync').mockImplementation((fd: number) => {
      realClose(fd);
      throw Object.assign(new Error('EINTR: interrupted'), { code: 'EINTR' });
    });
    try {
      g.end();
    } finally {
      spy.mockRestore();
    }
    expect(hostFdCount()).toBe(before);
    expect(dirFdCounters.closed - start.closed).toBe(dirFdCounters.opened - start.opened);
  });
});

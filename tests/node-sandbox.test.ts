// The sandbox escape suite on the real filesystem (NodeDirectory over a temp dir that sits
// next to a secret dir), and over MemoryDirectory with the same attempts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryDirectory } from '../src/backends/memory';
import { NodeDirectory, NodeFileHandle } from '../src/backends/node';
import { addressing } from '../src/backends/node/host-dir';
import { hostOps } from '../src/backends/node/host-ops';
import { toFileStat } from '../src/backends/node/stat';
import { NodeTree } from '../src/backends/node/tree';
import type { DirEntry, DirectoryInode, FileHandle, FileStat, Inode, OpenFileOptions } from '../src/backends/types';
import { Errno, Oflags } from '../src/abi/constants';
import { describeEscapeSuite, ESCAPE_ATTEMPTS, runEscapeAttempt, SECRET_MARKER, type EscapeWorld } from './helpers/escape-suite';
import { Guest } from './helpers/guest';

// The module object itself, so a spy on it is what the backend calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hostFs: typeof import('node:fs') = require('node:fs');

/** Everything under `root` except `root/sandbox`, read with plain fs calls (lstat, readlink, readFile). */
function hostSnapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const full = path.join(root, rel);
    const st = fs.lstatSync(full, { bigint: true });
    const meta = `mode=${st.mode.toString(8)} size=${st.size} nlink=${st.nlink} mtime=${st.mtimeNs} ino=${st.ino}`;
    if (st.isSymbolicLink()) out.set(rel, `${meta} -> ${fs.readlinkSync(full)}`);
    else if (st.isFile()) out.set(rel, `${meta} content=${JSON.stringify(fs.readFileSync(full, 'utf8'))}`);
    else if (st.isDirectory()) {
      const names = fs.readdirSync(full).sort();
      out.set(rel, `${meta} entries=${names.join(',')}`);
      for (const name of names) if (!(rel === '' && name === 'sandbox')) walk(path.join(rel, name));
    } else out.set(rel, `${meta} (special)`);
  };
  walk('');
  return out;
}

function nodeWorld(): EscapeWorld {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-escape-')));
  const start = { ...NodeFileHandle.counters };
  return {
    root: new NodeDirectory(dir),
    absolutePath: dir,
    // The embedder's preopen: its own NodeDirectory over the host path, as `--dir` makes it.
    preopen: () => new NodeDirectory(path.join(dir, 'sandbox')),
    snapshotOutside: () => hostSnapshot(dir),
    leaks() {
      const c = NodeFileHandle.counters;
      const problems: string[] = [];
      if (c.opened - start.opened !== c.closed - start.closed) {
        problems.push(`host fds: ${c.opened - start.opened} opened, ${c.closed - start.closed} closed`);
      }
      if (c.doubleCloseAttempts !== start.doubleCloseAttempts) problems.push('a host fd was closed twice');
      return problems;
    },
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function memoryWorld(): EscapeWorld {
  const root = new MemoryDirectory();
  return {
    root,
    absolutePath: '',
    leaks: () => [
      ...(root.openHandles === 0 ? [] : [`${root.openHandles} memory handles left open`]),
      ...(root.doubleCloses === 0 ? [] : [`${root.doubleCloses} double closes`]),
    ],
  };
}

describeEscapeSuite('escape suite over NodeDirectory (real files)', nodeWorld);
// Where the host has no /proc/self/fd (macOS, Windows), directories are addressed by checked
// host paths: the same attempts must fail there too (only a concurrent host process can win).
describe('in the path-addressed mode', () => {
  const byFd = addressing.byFd;
  beforeAll(() => (addressing.byFd = false));
  afterAll(() => (addressing.byFd = byFd));
  describeEscapeSuite('escape suite over NodeDirectory (real files, path-addressed)', nodeWorld);
});
describeEscapeSuite('escape suite over MemoryDirectory', memoryWorld);

/**
 * A deliberately broken backend: every call goes to the host by path from the root, so the
 * host follows every symlink on the way (lookups stat, not lstat; files open without
 * O_NOFOLLOW) and nothing is checked. It is what a backend that let the host resolve paths
 * would be.
 */
class FollowingDirectory implements DirectoryInode {
  readonly kind = 'directory';
  constructor(readonly hostPath: string, readonly fs: NodeTree) {}
  private at(name: string): string {
    return path.join(this.hostPath, name);
  }
  stat(): FileStat {
    return toFileStat(hostFs.statSync(this.hostPath, { bigint: true }));
  }
  setTimes(): void {}
  lookup(name: string): Inode | null {
    const p = this.at(name);
    const st = hostFs.statSync(p, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) return null;
    if (st.isDirectory()) return new FollowingDirectory(p, this.fs);
    return { kind: 'file', fs: this.fs, stat: () => toFileStat(hostFs.statSync(p, { bigint: true })), setTimes: () => {} };
  }
  list(): DirEntry[] {
    return hostFs.readdirSync(this.hostPath).sort().map((name) => {
      const st = hostFs.statSync(this.at(name), { bigint: true });
      return { name, filetype: toFileStat(st).filetype, ino: st.ino };
    });
  }
  openFile(name: string, o: OpenFileOptions): FileHandle {
    const flags = (o.read && o.write ? hostFs.constants.O_RDWR : o.write ? hostFs.constants.O_WRONLY : hostFs.constants.O_RDONLY)
      | (o.create ? hostFs.constants.O_CREAT : 0) | (o.truncate ? hostFs.constants.O_TRUNC : 0);
    return new NodeFileHandle(hostFs.openSync(this.at(name), flags), this.fs);
  }
  mkdir(name: string): void {
    hostFs.mkdirSync(this.at(name));
  }
  rmdir(name: string): void {
    hostFs.rmdirSync(this.at(name));
  }
  unlink(name: string): void {
    hostFs.unlinkSync(this.at(name));
  }
  symlink(target: string, name: string): void {
    hostFs.symlinkSync(target, this.at(name));
  }
  link(name: string, toDir: DirectoryInode, toName: string): void {
    hostFs.linkSync(this.at(name), (toDir as FollowingDirectory).at(toName));
  }
  rename(name: string, toDir: DirectoryInode, toName: string): void {
    hostFs.renameSync(this.at(name), (toDir as FollowingDirectory).at(toName));
  }
}

describe('the escape suite can fail', () => {
  // A suite that passes against anything proves nothing: over a backend that lets the host
  // follow symlinks, the independent checks (secret bytes in guest memory, changes outside)
  // must catch real escapes, not just unexpected errnos.
  it('catches real escapes through a backend that lets the host follow symlinks', async () => {
    const caught: string[] = [];
    for (const attempt of ESCAPE_ATTEMPTS) {
      const report = await runEscapeAttempt(() => {
        const w = nodeWorld();
        const sandbox = path.join(w.absolutePath, 'sandbox');
        return { ...w, preopen: () => new FollowingDirectory(sandbox, new NodeTree(false)) };
      }, attempt);
      if (report.failures.some((f) => f.startsWith('outside:') || f.startsWith('secret bytes'))) caught.push(attempt.name);
    }
    expect(caught.length).toBeGreaterThanOrEqual(10);
  });
});

describe('a host process swapping a directory for a symlink at each step of an open', () => {
  // Another host process swaps a directory the core has just looked up for a symlink to the
  // secret. Simulated deterministically: the swap runs just before the backend's n-th
  // openSync (the first opens the directory `sub`, the second the file in it). The race suite
  // (node-race.test.ts) does the same with a real concurrent process.
  let world: string;
  beforeEach(() => {
    world = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-race-')));
    fs.mkdirSync(path.join(world, 'secret'));
    fs.writeFileSync(path.join(world, 'secret', 'secret.txt'), `${SECRET_MARKER}-raced\n`);
    fs.mkdirSync(path.join(world, 'sandbox', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(world, 'sandbox', 'sub', 'secret.txt'), 'decoy\n');
  });
  afterEach(() => fs.rmSync(world, { recursive: true, force: true }));

  /**
   * Runs `open` with the swap done just before the backend's `nth` host open (of a directory
   * or a file, through Node's fs or the native addon alike); true if it was. Unless `oneCall`,
   * the open of an existing file in one host call (openExisting) is refused, so that what is
   * raced is the walk, one directory at a time; with it, the swap comes before that call.
   */
  function withSwapBeforeOpen<T>(nth: number, open: () => T, oneCall = false): [T, boolean] {
    const ops = hostOps();
    let swapped = false;
    let calls = 0;
    const before = (): void => {
      if (++calls !== nth) return;
      fs.renameSync(path.join(world, 'sandbox', 'sub'), path.join(world, 'sandbox', 'sub.moved'));
      fs.symlinkSync('../secret', path.join(world, 'sandbox', 'sub'));
      swapped = true;
    };
    const realDir = ops.openDir.bind(ops);
    const realFile = ops.openFile.bind(ops);
    const realExisting = ops.openExisting.bind(ops);
    const spies = [
      jest.spyOn(ops, 'openDir').mockImplementation((...args) => (before(), realDir(...args))),
      jest.spyOn(ops, 'openFile').mockImplementation((...args) => (before(), realFile(...args))),
      jest.spyOn(ops, 'openExisting').mockImplementation((...args) => (oneCall ? (before(), realExisting(...args)) : null)),
    ];
    try {
      return [open(), swapped];
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  const secretIntact = (): void => {
    expect(fs.readdirSync(path.join(world, 'secret'))).toEqual(['secret.txt']);
    expect(fs.readFileSync(path.join(world, 'secret', 'secret.txt'), 'utf8')).toBe(`${SECRET_MARKER}-raced\n`);
  };

  it('without the swap the same open reads the file inside (control)', () => {
    const g = Guest.over(new NodeDirectory(path.join(world, 'sandbox')));
    const fd = g.open('sub/secret.txt');
    expect(fd.errno).toBe(Errno.SUCCESS);
    expect(g.read(fd.value).value).toBe('decoy\n');
    g.end();
  });

  it('swapped before the directory is opened: the open is refused, no byte read, no host fd left', () => {
    const counters = { ...NodeFileHandle.counters };
    const fdsBefore = hostFs.readdirSync('/proc/self/fd').length;
    const g = Guest.over(new NodeDirectory(path.join(world, 'sandbox')));
    const [r, swapped] = withSwapBeforeOpen(1, () => g.open('sub/secret.txt'));
    expect(swapped).toBe(true);
    // The directory fd is opened O_NOFOLLOW|O_DIRECTORY: on the symlink now there, ENOTDIR.
    expect(Errno[r.errno]).toBe('NOTDIR');
    expect(Buffer.from(g.bytes).includes(SECRET_MARKER)).toBe(false);
    g.end();
    expect(hostFs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    const c = NodeFileHandle.counters;
    expect([c.opened - counters.opened, c.closed - counters.closed, c.doubleCloseAttempts - counters.doubleCloseAttempts]).toEqual([0, 0, 0]);
  });

  it('swapped after the directory is opened: the file opens in that directory, wherever it went', () => {
    const g = Guest.over(new NodeDirectory(path.join(world, 'sandbox')));
    const [r, swapped] = withSwapBeforeOpen(2, () => g.open('sub/secret.txt'));
    expect(swapped).toBe(true);
    expect(r.errno).toBe(Errno.SUCCESS);
    expect(g.read(r.value).value).toBe('decoy\n');
    g.end();
    secretIntact();
  });

  it('swapped just before the open in one host call: the symlink is refused there, and the walk refuses the climb out', () => {
    const g = Guest.over(new NodeDirectory(path.join(world, 'sandbox')));
    const [r, swapped] = withSwapBeforeOpen(1, () => g.open('sub/secret.txt'), true);
    expect(swapped).toBe(true);
    // openat2 refuses any symlink on the way (ELOOP); the walk then reads '../secret' and
    // finds that '..' would leave the preopen. Without openat2 (or over Node's fs) the walk
    // comes at once, to the same answer.
    expect(Errno[r.errno]).toBe('PERM');
    expect(Buffer.from(g.bytes).includes(SECRET_MARKER)).toBe(false);
    g.end();
    secretIntact();
  });

  it('a write open with O_TRUNC, swapped at either step, never truncates the file outside', () => {
    for (const nth of [1, 2]) {
      const g = Guest.over(new NodeDirectory(path.join(world, 'sandbox')));
      const [r, swapped] = withSwapBeforeOpen(nth, () => g.open('sub/secret.txt', { write: true, oflags: Oflags.TRUNC }));
      expect(swapped).toBe(true);
      expect(Errno[r.errno]).toBe(nth === 1 ? 'NOTDIR' : 'SUCCESS');
      g.end();
      secretIntact();
      // Put the world back for the next step.
      fs.unlinkSync(path.join(world, 'sandbox', 'sub'));
      fs.renameSync(path.join(world, 'sandbox', 'sub.moved'), path.join(world, 'sandbox', 'sub'));
    }
    // The second open truncated the decoy, inside the sandbox.
    expect(fs.readFileSync(path.join(world, 'sandbox', 'sub', 'secret.txt'), 'utf8')).toBe('');
  });
});

describe('overlapping preopens', () => {
  it('a preopen inside another one keeps meaning its directory when moved away through the outer one', () => {
    const world = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-overlap-')));
    try {
      fs.mkdirSync(path.join(world, 'secret'));
      fs.writeFileSync(path.join(world, 'secret', 'secret.txt'), `${SECRET_MARKER}-overlap\n`);
      fs.mkdirSync(path.join(world, 'sandbox', 'inner'), { recursive: true });
      fs.writeFileSync(path.join(world, 'sandbox', 'inner', 'own.txt'), 'own\n');
      const g = new Guest({
        preopens: { outer: new NodeDirectory(path.join(world, 'sandbox')), inner: new NodeDirectory(path.join(world, 'sandbox', 'inner')) },
      });
      const inner = 4;
      expect(g.stat('own.txt', false, inner).errno).toBe(Errno.SUCCESS);
      expect(g.rename('inner', 'inner.moved')).toBe(Errno.SUCCESS);
      expect(g.symlink('../secret', 'inner')).toBe(Errno.SUCCESS);
      // fd 4 is the directory, not the name "inner": as a POSIX directory fd, it followed the
      // move (to sandbox/inner.moved) and never sees the symlink put in its old place.
      expect(Errno[g.open('secret.txt', { dirfd: inner }).errno]).toBe('NOENT');
      expect(Errno[g.unlink('secret.txt', inner)]).toBe('NOENT');
      expect(g.mkdir('planted', inner)).toBe(Errno.SUCCESS);
      expect(fs.existsSync(path.join(world, 'sandbox', 'inner.moved', 'planted'))).toBe(true);
      expect(g.readdir(inner).value.map((e) => e.name).sort()).toEqual(['.', '..', 'own.txt', 'planted']);
      expect(g.rmdir('planted', inner)).toBe(Errno.SUCCESS);
      // Moved back, it is of course still the same directory.
      expect(g.unlink('inner')).toBe(Errno.SUCCESS);
      expect(g.rename('inner.moved', 'inner')).toBe(Errno.SUCCESS);
      expect(g.stat('own.txt', false, inner).errno).toBe(Errno.SUCCESS);
      g.end();
      expect(fs.readdirSync(path.join(world, 'secret'))).toEqual(['secret.txt']);
      expect(fs.readFileSync(path.join(world, 'secret', 'secret.txt'), 'utf8')).toBe(`${SECRET_MARKER}-overlap\n`);
      expect(Buffer.from(g.bytes).includes(SECRET_MARKER)).toBe(false);
    } finally {
      fs.rmSync(world, { recursive: true, force: true });
    }
  });
});

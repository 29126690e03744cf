// The sandbox escape suite on the real filesystem (NodeDirectory over a temp dir that sits
// next to a secret dir), and over MemoryDirectory with the same attempts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryDirectory } from '../src/backends/memory';
import { NodeDirectory, NodeFileHandle, NodeFileInode } from '../src/backends/node';
import { NodeTree } from '../src/backends/node/tree';
import type { FileHandle, Inode, OpenFileOptions } from '../src/backends/types';
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
describeEscapeSuite('escape suite over MemoryDirectory', memoryWorld);

/**
 * A deliberately broken backend: lookups follow symlinks on the host (stat, not lstat), files
 * open without O_NOFOLLOW, and nothing is checked after the open. It is what a backend that
 * let the host resolve paths would be.
 */
class FollowingDirectory extends NodeDirectory {
  override lookup(name: string): Inode | null {
    const p = path.join(this.hostPath, name);
    const st = hostFs.statSync(p, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) return null;
    return st.isDirectory() ? new FollowingDirectory(p, this.fs, st) : new NodeFileInode(p, this.fs);
  }

  override openFile(name: string, o: OpenFileOptions): FileHandle {
    const flags = (o.read && o.write ? hostFs.constants.O_RDWR : o.write ? hostFs.constants.O_WRONLY : hostFs.constants.O_RDONLY)
      | (o.create ? hostFs.constants.O_CREAT : 0) | (o.truncate ? hostFs.constants.O_TRUNC : 0);
    return new NodeFileHandle(hostFs.openSync(path.join(this.hostPath, name), flags), this.fs);
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
        return { ...w, preopen: () => new FollowingDirectory(sandbox, new NodeTree(false, null)) };
      }, attempt);
      if (report.failures.some((f) => f.startsWith('outside:') || f.startsWith('secret bytes'))) caught.push(attempt.name);
    }
    expect(caught.length).toBeGreaterThanOrEqual(10);
  });
});

describe('a host process racing the sandbox (Node has no openat)', () => {
  // Another host process swaps a directory the core has just checked for a symlink to the
  // secret, between the check and the open. Simulated deterministically: the swap runs just
  // before the backend's openSync.
  let world: string;
  beforeEach(() => {
    world = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-race-')));
    fs.mkdirSync(path.join(world, 'secret'));
    fs.writeFileSync(path.join(world, 'secret', 'secret.txt'), `${SECRET_MARKER}-raced\n`);
    fs.mkdirSync(path.join(world, 'sandbox', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(world, 'sandbox', 'sub', 'secret.txt'), 'decoy\n');
  });
  afterEach(() => fs.rmSync(world, { recursive: true, force: true }));

  /** Runs `open` with the swap done just before the backend's openSync; true if it was. */
  function withSwapBeforeOpen<T>(open: () => T): [T, boolean] {
    const realOpen = hostFs.openSync;
    let swapped = false;
    const spy = jest.spyOn(hostFs, 'openSync').mockImplementationOnce((...args: Parameters<typeof hostFs.openSync>) => {
      fs.renameSync(path.join(world, 'sandbox', 'sub'), path.join(world, 'sandbox', 'sub.moved'));
      fs.symlinkSync('../secret', path.join(world, 'sandbox', 'sub'));
      swapped = true;
      return realOpen(...args);
    });
    try {
      return [open(), swapped];
    } finally {
      spy.mockRestore();
    }
  }

  it('without the swap the same open reads the file inside (control)', () => {
    const g = Guest.over(new NodeDirectory(path.join(world, 'sandbox')));
    const fd = g.open('sub/secret.txt');
    expect(fd.errno).toBe(Errno.SUCCESS);
    expect(g.read(fd.value).value).toBe('decoy\n');
    g.end();
  });

  it('an open redirected out of the root is refused before a byte is read, and leaks no host fd', () => {
    const counters = { ...NodeFileHandle.counters };
    const fdsBefore = hostFs.readdirSync('/proc/self/fd').length;
    const g = Guest.over(new NodeDirectory(path.join(world, 'sandbox')));
    const [r, swapped] = withSwapBeforeOpen(() => g.open('sub/secret.txt'));
    expect(swapped).toBe(true);
    expect(Errno[r.errno]).toBe('PERM');
    expect(Buffer.from(g.bytes).includes(SECRET_MARKER)).toBe(false);
    g.end();
    expect(hostFs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    const c = NodeFileHandle.counters;
    expect([c.opened - counters.opened, c.closed - counters.closed, c.doubleCloseAttempts - counters.doubleCloseAttempts]).toEqual([1, 1, 0]);
  });

  it('a redirected write open gives the guest no fd either (the create itself is what Node cannot undo)', () => {
    const g = Guest.over(new NodeDirectory(path.join(world, 'sandbox')));
    const [r, swapped] = withSwapBeforeOpen(() => g.open('sub/secret.txt', { write: true, oflags: Oflags.TRUNC }));
    expect(swapped).toBe(true);
    expect(Errno[r.errno]).toBe('PERM');
    expect(g.write(3, 'x').errno).not.toBe(Errno.SUCCESS);
    g.end();
  });
});

describe('overlapping preopens', () => {
  it('a preopen inside another one, moved away through the outer one and replaced with a symlink, is not followed', () => {
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
      expect(Errno[g.open('secret.txt', { dirfd: inner }).errno]).toBe('NOENT');
      expect(Errno[g.unlink('secret.txt', inner)]).toBe('NOENT');
      expect(Errno[g.mkdir('planted', inner)]).toBe('NOENT');
      expect(Errno[g.readdir(inner).errno]).toBe('NOENT');
      // Moved back, the preopen names its own directory again and works.
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

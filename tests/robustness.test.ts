// Limits and "nothing lost", over MemoryDirectory and NodeDirectory:
// - every limit has a default and a clear errno: descriptors (EMFILE), MemoryDirectory bytes
//   and entries (ENOSPC), path and name length (ENAMETOOLONG), symlink hops (ELOOP), and the
//   host fds NodeDirectory may hold (ENFILE, below the process's own limit);
// - data a write reported as written is in the file however the program ends (exit, trap, a
//   JS exception from an embedder's import, a throwing stdout callback), fd_sync reaches the
//   host's fsync, and after a trap with 100 files open and a pipe half full every host
//   handle has been closed exactly once.
import * as os from 'node:os';
import * as path from 'node:path';
import { Errno, Oflags } from '../src/abi/constants';
import { MemoryDirectory } from '../src/backends/memory';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES } from '../src/backends/memory/fs';
import { NodeDirectory, NodeFileHandle, defaultMaxHostFds } from '../src/backends/node';
import { PipeEnd } from '../src/backends/pipe';
import { MAX_NAME_BYTES, MAX_PATH_BYTES, MAX_SYMLINK_HOPS } from '../src/backends/resolve';
import type { DirectoryInode } from '../src/backends/types';
import { DEFAULT_MAX_DESCRIPTORS } from '../src/descriptors/table';
import { WASI } from '../src/wasi';
import { errname as E, Harness } from './support/harness';

// The module object itself (not an import namespace), so jest can spy on fsyncSync where the
// Node backend calls it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs: typeof import('node:fs') = require('node:fs');

const tmps: string[] = [];
function tmpDir(): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-robust-')));
  tmps.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmps) fs.rmSync(d, { recursive: true, force: true });
});

/** Host handles open on a backend right now, as that backend counts them. */
interface World {
  name: 'memory' | 'node';
  root: DirectoryInode;
  /** Handles opened and not closed since the world was made. */
  open(): number;
  doubleCloses(): number;
  opened(): number;
  /** A file's bytes, read from the host side. */
  read(name: string): Uint8Array;
  exists(name: string): boolean;
}

function memoryWorld(root = new MemoryDirectory()): World {
  const fsState = root.fs;
  const start = fsState.handlesOpened;
  return {
    name: 'memory', root,
    open: () => root.openHandles,
    doubleCloses: () => root.doubleCloses,
    opened: () => fsState.handlesOpened - start,
    read: (name) => {
      let node: unknown = root;
      for (const part of name.split('/')) node = (node as MemoryDirectory).entries.get(part);
      return (node as { contents(): Uint8Array }).contents();
    },
    exists: (name) => root.toTree()[name] !== undefined,
  };
}

function nodeWorld(dir = tmpDir()): World {
  const c = NodeFileHandle.counters;
  const start = { ...c };
  return {
    name: 'node', root: new NodeDirectory(dir),
    open: () => (c.opened - start.opened) - (c.closed - start.closed),
    doubleCloses: () => c.doubleCloseAttempts - start.doubleCloseAttempts,
    opened: () => c.opened - start.opened,
    read: (name) => new Uint8Array(fs.readFileSync(path.join(dir, name))),
    exists: (name) => fs.existsSync(path.join(dir, name)),
  };
}

const worlds: [string, () => World][] = [['MemoryDirectory', () => memoryWorld()], ['NodeDirectory', () => nodeWorld()]];

function harness(w: World, options: ConstructorParameters<typeof WASI>[0] = {}): Harness {
  return new Harness({}, { preopens: { '/': w.root }, ...options });
}

const CREATE = { oflags: Oflags.CREAT };

describe('limits: the defaults', () => {
  it('descriptors 65536, MemoryDirectory 1 GiB and 2^20 entries, paths 4096 bytes, names 255, 40 symlink hops', () => {
    expect(DEFAULT_MAX_DESCRIPTORS).toBe(65536);
    expect(new WASI().table.maxDescriptors).toBe(65536);
    const root = new MemoryDirectory();
    expect([DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES]).toEqual([2 ** 30, 2 ** 20]);
    expect([root.fs.maxBytes, root.fs.maxEntries]).toEqual([2 ** 30, 2 ** 20]);
    expect([MAX_PATH_BYTES, MAX_NAME_BYTES, MAX_SYMLINK_HOPS]).toEqual([4096, 255, 40]);
  });

  it('NodeDirectory host fds: min(1024, soft RLIMIT_NOFILE - 64), below what the process may open', () => {
    const m = fs.existsSync('/proc/self/limits') ? /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8')) : null;
    const soft = m === null ? 1024 : m[1] === 'unlimited' ? Infinity : Number(m[1]);
    expect(defaultMaxHostFds()).toBe(Math.min(1024, soft - 64));
    expect(NodeFileHandle.maxHostFds).toBe(defaultMaxHostFds());
    expect(NodeFileHandle.maxHostFds).toBeLessThan(soft);
  });
});

describe.each(worlds)('limits over %s', (_name, make) => {
  it('EMFILE at maxDescriptors: from path_open, dup and pipe, with nothing created and no handle left open', () => {
    const w = make();
    const h = harness(w, { maxDescriptors: 8 }); // 0-2 stdio, 3 the preopen
    const fds = [0, 1, 2, 3].map((i) => h.open(`f${i}`, CREATE));
    expect(fds).toEqual([4, 5, 6, 7]);
    expect(E(h.tryOpen('f4', CREATE).errno)).toBe('MFILE');
    expect(w.exists('f4')).toBe(false); // the failed open created nothing
    expect(w.open()).toBe(4);
    expect(E(h.dup(4).errno)).toBe('MFILE');
    expect(E(h.pipe().errno)).toBe('MFILE');
    expect(h.fds()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Numbers stay below the limit, as RLIMIT_NOFILE makes them: F_DUPFD past it is EINVAL.
    expect(E(h.dupfd(4, 8).errno)).toBe('INVAL');
    expect(h.p.fd_close(5)).toBe(0);
    expect(h.open('f4', CREATE)).toBe(5);
    h.wasi.close();
    expect([w.open(), w.doubleCloses()]).toEqual([0, 0]);
  });

  it('ENAMETOOLONG past 4096 bytes of path, 255 of name or 4095 of symlink target, counted in UTF-8 bytes', () => {
    const w = make();
    const h = harness(w);
    const e255 = `${'é'.repeat(127)}x`; // 255 bytes
    const e256 = 'é'.repeat(128); // 256 bytes, 128 characters
    expect(h.open(e255, CREATE)).toBeGreaterThan(3);
    expect(E(h.tryOpen(e256, CREATE).errno)).toBe('NAMETOOLONG');
    expect(E(h.tryOpen('n'.repeat(256), CREATE).errno)).toBe('NAMETOOLONG');
    // 4096 bytes of path is the most: a longer one is refused before any lookup.
    const deep = 'd/'.repeat(2048); // 4096 bytes
    expect(E(h.tryOpen(deep).errno)).toBe('NOENT');
    expect(E(h.tryOpen(`${deep}x`).errno)).toBe('NAMETOOLONG');
    expect(E(h.tryOpen(`${'ü/'.repeat(1366)}`).errno)).toBe('NAMETOOLONG'); // 4098 bytes, 2732 characters
    expect(E(h.mkdir('m'.repeat(256)))).toBe('NAMETOOLONG');
    // A symlink target is a path too: 4095 bytes and its NUL make PATH_MAX.
    expect(h.symlink('t'.repeat(4095), 'long-link')).toBe(0);
    expect(E(h.symlink('t'.repeat(4096), 'too-long-link'))).toBe('NAMETOOLONG');
    expect(E(h.symlink('é'.repeat(2048), 'too-long-link'))).toBe('NAMETOOLONG');
    h.wasi.close();
    expect(w.open()).toBe(0);
  });

  it(`ELOOP past ${MAX_SYMLINK_HOPS} symlink hops; a chain of exactly ${MAX_SYMLINK_HOPS} resolves`, () => {
    const w = make();
    const h = harness(w);
    h.p.fd_close(h.open('target', CREATE));
    // l40 -> l39 -> ... -> l1 -> target: 40 hops from l40, 41 from l41.
    for (let i = 1; i <= MAX_SYMLINK_HOPS + 1; i++) expect(h.symlink(i === 1 ? 'target' : `l${i - 1}`, `l${i}`)).toBe(0);
    expect(h.open(`l${MAX_SYMLINK_HOPS}`)).toBeGreaterThan(3);
    expect(E(h.tryOpen(`l${MAX_SYMLINK_HOPS + 1}`).errno)).toBe('LOOP');
    expect(h.symlink('self', 'self')).toBe(0);
    expect(E(h.tryOpen('self').errno)).toBe('LOOP');
    expect(E(h.pathStat('self/x').errno)).toBe('LOOP');
    h.wasi.close();
    expect(w.open()).toBe(0);
  });
});

describe('limits: MemoryDirectory bytes and entries (ENOSPC)', () => {
  it('a write past maxBytes is ENOSPC; iovecs written before it stay written and are counted', () => {
    const root = MemoryDirectory.from({}, { maxBytes: 100 });
    const h = new Harness(root);
    const fd = h.open('f', CREATE);
    expect(h.write(fd, new Uint8Array(60)).n).toBe(60);
    expect(E(h.write(fd, new Uint8Array(41)).errno)).toBe('NOSPC');
    // Two buffers: the first fits, the second would pass the budget: a short write of 40.
    h.reset();
    const [a] = h.put(new Uint8Array(40).fill(1));
    const [b] = h.put(new Uint8Array(10).fill(2));
    const iov = h.iovecs([[a, 40], [b, 10]]);
    const out = h.alloc(4);
    expect(h.p.fd_write(fd, iov, 2, out)).toBe(0);
    expect(h.u32(out)).toBe(40);
    expect((root.toTree().f as Uint8Array).byteLength).toBe(100);
    expect(E(h.p.fd_filestat_set_size(fd, 101n))).toBe('NOSPC');
    // Freed bytes are free again.
    expect(h.p.fd_filestat_set_size(fd, 10n)).toBe(0);
    expect(h.seek(fd, 10).errno).toBe(0);
    expect(h.write(fd, new Uint8Array(90)).n).toBe(90);
    expect(root.fs.bytesUsed).toBe(100);
  });

  it('symlink targets count as bytes', () => {
    const root = MemoryDirectory.from({}, { maxBytes: 100 });
    const h = new Harness(root);
    expect(h.symlink('t'.repeat(60), 'a')).toBe(0);
    expect(E(h.symlink('t'.repeat(60), 'b'))).toBe('NOSPC');
    expect(h.unlink('a')).toBe(0);
    expect(h.symlink('t'.repeat(60), 'b')).toBe(0);
  });

  it('a flood of empty files, directories, links or symlinks ends in ENOSPC at maxEntries, before anything is made', () => {
    const root = MemoryDirectory.from({ dir: { a: '' } }, { maxEntries: 6 }); // dir and dir/a: 2
    const h = new Harness(root);
    h.p.fd_close(h.open('f1', CREATE));
    expect(h.mkdir('d1')).toBe(0);
    expect(h.symlink('f1', 's1')).toBe(0);
    expect(h.link('f1', 'h1')).toBe(0);
    expect(E(h.tryOpen('f2', CREATE).errno)).toBe('NOSPC');
    expect(E(h.mkdir('d2'))).toBe('NOSPC');
    expect(E(h.symlink('f1', 's2'))).toBe('NOSPC');
    expect(E(h.link('f1', 'h2'))).toBe('NOSPC');
    expect(Object.keys(root.toTree()).sort()).toEqual(['d1', 'dir', 'f1', 'h1', 's1']);
    // A rename moves an entry, it makes none; replacing one frees one.
    expect(h.rename('d1', 'dir/d1')).toBe(0);
    expect(E(h.mkdir('d2'))).toBe('NOSPC');
    expect(h.rename('s1', 'h1')).toBe(0);
    expect(h.mkdir('d2')).toBe(0);
    expect(root.fs.entries).toBe(6);
    expect(Object.keys(root.toTree()).sort()).toEqual(['d2', 'dir', 'f1', 'h1']);
    expect(root.openHandles).toBe(0);
  });
});

describe('limits: NodeDirectory never uses up the host process\'s fds (ENFILE)', () => {
  const saved = NodeFileHandle.maxHostFds;
  afterEach(() => {
    NodeFileHandle.maxHostFds = saved;
  });

  it('past the cap an open is ENFILE before the host is asked; dups share their fd; the cap spans every WASI object', () => {
    const dir = tmpDir();
    const w = nodeWorld(dir);
    const h1 = harness(w);
    const h2 = harness(nodeWorld(dir));
    // Room for three files beyond what is held now (the preopens' directories count too).
    NodeFileHandle.maxHostFds = NodeFileHandle.hostFdsHeld + 3;
    const a = h1.open('a', CREATE);
    h1.open('b', CREATE);
    h2.open('c', CREATE);
    const opened = NodeFileHandle.counters.opened;
    expect(E(h1.tryOpen('d', CREATE).errno)).toBe('NFILE');
    expect(E(h2.tryOpen('a').errno)).toBe('NFILE');
    expect(NodeFileHandle.counters.opened).toBe(opened); // the host was never asked
    expect(fs.existsSync(path.join(dir, 'd'))).toBe(false);
    // A dup is a descriptor, not a host fd: it needs no room, and it keeps the fd in use.
    const dup = h1.dup(a);
    expect(dup.errno).toBe(0);
    expect(h1.p.fd_close(a)).toBe(0);
    expect(E(h1.tryOpen('d', CREATE).errno)).toBe('NFILE');
    expect(h1.p.fd_close(dup.fd)).toBe(0);
    expect(h1.open('d', CREATE)).toBeGreaterThan(3);
    h1.wasi.close();
    h2.wasi.close();
    expect(NodeFileHandle.hostFdsHeld).toBe(0);
    expect(w.open()).toBe(0);
  });

  it('the default cap holds against a guest opening files in a loop', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    const idle = NodeFileHandle.hostFdsHeld;
    const h = harness(nodeWorld(dir));
    // What is held now includes the preopen's directory.
    const before = NodeFileHandle.hostFdsHeld;
    let opened = 0;
    let errno = 0;
    for (; opened < NodeFileHandle.maxHostFds + 10; opened++) {
      const r = h.tryOpen('f');
      if (r.errno !== 0) {
        errno = r.errno;
        break;
      }
    }
    expect(E(errno)).toBe('NFILE');
    expect(before + opened).toBe(NodeFileHandle.maxHostFds);
    h.wasi.close();
    expect(NodeFileHandle.hostFdsHeld).toBe(idle);
  });
});

// ---------------------------------------------------------------------------------------
// Nothing lost.

const lostModule = new WebAssembly.Module(fs.readFileSync(path.join(__dirname, 'wasm/lost.wasm')));

interface LostRun {
  code: number | null;
  error: unknown;
  stderr: string;
  stdout: string;
}

function runLost(w: World, mode: string, extra: { stdout?: (c: Uint8Array) => void; callback?: () => void } = {}): { run: LostRun; wasi: WASI } {
  let stderr = '';
  let stdout = '';
  const wasi = new WASI({
    args: ['lost', mode],
    preopens: { work: w.root },
    stdout: extra.stdout ?? ((c) => (stdout += Buffer.from(c).toString())),
    stderr: (c) => (stderr += Buffer.from(c).toString()),
  });
  const imports = { ...wasi.getImportObject(), env: { host_callback: extra.callback ?? (() => {}) } };
  const instance = new WebAssembly.Instance(lostModule, imports as unknown as WebAssembly.Imports);
  let code: number | null = null;
  let error: unknown = null;
  try {
    code = wasi.start(instance);
  } catch (e) {
    error = e;
  }
  return { run: { code, error, stderr, stdout }, wasi };
}

/** The byte lost.c writes at offset i of file n. */
const byteAt = (n: number, i: number) => 'a'.charCodeAt(0) + ((n * 7 + i) % 26);

/** Every file's last reported total, from the "w NAME TOTAL" lines. */
function reported(stderr: string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const m of stderr.matchAll(/^w (\S+) (\d+)$/gm)) totals.set(m[1], Number(m[2]));
  return totals;
}

/** Every byte reported as written is in the file, as written. */
function expectAllThere(w: World, totals: Map<string, number>, fileNumber: (name: string) => number): void {
  expect(totals.size).toBeGreaterThan(0);
  for (const [name, total] of totals) {
    const data = w.read(name);
    expect([name, data.byteLength >= total]).toEqual([name, true]);
    const n = fileNumber(name);
    let bad = -1;
    for (let i = 0; i < total; i++) if (data[i] !== byteAt(n, i)) { bad = i; break; }
    expect([name, bad]).toEqual([name, -1]);
  }
}

const abNumber = (name: string) => (name === 'a.bin' ? 1 : 2);

describe.each(worlds)('nothing lost over %s', (_name, make) => {
  it.each([
    ['exit', (r: LostRun) => expect(r.code).toBe(7)],
    ['trap', (r: LostRun) => expect(r.error).toBeInstanceOf(WebAssembly.RuntimeError)],
    ['callback', (r: LostRun) => expect(String(r.error)).toMatch(/embedder callback failed/)],
  ] as const)('ends by %s: every byte a write reported is in the file; every handle closed once', (mode, ended) => {
    const w = make();
    const fsyncs: number[] = [];
    const realFsync = fs.fsyncSync;
    const spy = jest.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
      fsyncs.push(Number(fs.fstatSync(fd).ino));
      realFsync(fd);
    });
    let run: LostRun;
    try {
      ({ run } = runLost(w, mode, { callback: () => { throw new Error('embedder callback failed'); } }));
    } finally {
      spy.mockRestore();
    }
    ended(run);
    const totals = reported(run.stderr);
    expect([totals.get('a.bin'), totals.get('b.bin')]).toEqual([15000, 3000]);
    expectAllThere(w, totals, abNumber);
    expect(run.stderr).toMatch(/^fsync a\.bin$/m);
    // fd_sync reaches the host's fsync on the file's own fd (MemoryDirectory has no disk).
    if (w.name === 'node') expect(fsyncs).toContain(Number(fs.statSync(path.join((w.root as NodeDirectory).hostPath, 'a.bin')).ino));
    else expect(fsyncs).toEqual([]);
    expect([w.open(), w.doubleCloses(), w.opened()]).toEqual([0, 0, 2]);
  });

  it('a throwing stdout callback fails that write (EIO) and loses nothing else', () => {
    const w = make();
    const { run } = runLost(w, 'stdout', { stdout: () => { throw new Error('stdout is gone'); } });
    expect(run.error).toBeNull();
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^stdout ${Errno.IO}$`, 'm'));
    const totals = reported(run.stderr);
    expect([totals.get('a.bin'), totals.get('b.bin')]).toEqual([15000, 5000]);
    expectAllThere(w, totals, abNumber);
    expect([w.open(), w.doubleCloses()]).toEqual([0, 0]);
  });

  it('a trap with 100 files open (some dup\'d) and a pipe half full: every host handle closed exactly once', () => {
    const w = make();
    const pipeCloses: PipeEnd[] = [];
    const spy = jest.spyOn(PipeEnd.prototype, 'close').mockImplementation(function (this: PipeEnd) {
      pipeCloses.push(this);
      if (this.end === 'read') this.pipe.readerOpen = false;
      else this.pipe.writerOpen = false;
    });
    let result: { run: LostRun; wasi: WASI };
    try {
      result = runLost(w, 'hundred');
    } finally {
      spy.mockRestore();
    }
    const { run, wasi } = result;
    expect(run.error).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(run.stderr).toMatch(/^pipe \d+ \d+$/m);
    expect(wasi.table.size).toBe(0);
    // 100 files, one handle each (the dups share them), all closed, none twice.
    expect([w.opened(), w.open(), w.doubleCloses()]).toEqual([100, 0, 0]);
    // The pipe: each end closed once, with 32 KiB still in it.
    expect(pipeCloses.length).toBe(2);
    expect(new Set(pipeCloses).size).toBe(2);
    expect(pipeCloses[0].pipe.available).toBe(32768);
    const totals = reported(run.stderr);
    expect(totals.size).toBe(100);
    expectAllThere(w, totals, (name) => Number(name.slice(1)));
    for (const [name, total] of totals) expect(total).toBe(100 + Number(name.slice(1)));
  });
});

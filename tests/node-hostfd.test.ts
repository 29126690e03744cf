// Host file descriptors under NodeDirectory, counted from outside: the entries of
// /proc/self/fd before and after (and during) programs, dup/close storms, every close
// order and a trap with 100 files open; plus NodeFileHandle's own counters. Then what the
// description model promises on real files: seek/tell/fdstat without a host call, APPEND
// shared by every dup, directory and metadata calls that agree with the host, host errors
// as errnos, and a guest close(1) that leaves Node's stdout working.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { Advice, Errno, Fdflags, Filetype, Oflags, Whence } from '../src/abi/constants';
import { NodeDirectory, NodeFileHandle } from '../src/backends/node';
import { errnoFromNumber } from '../src/backends/node/errno';
import { addressing } from '../src/backends/node/host-dir';
import { nativeAddon } from '../src/backends/node/native';
import { WASI } from '../src/wasi';
import { Guest } from './helpers/guest';
import { usingNative, withoutNative } from './helpers/native';

// The module object itself (not an import-star copy), so spies replace what the backend calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs: typeof import('node:fs') = require('node:fs');

const LINUX = process.platform === 'linux';
if (!LINUX) throw new Error('these tests count /proc/self/fd: Linux only');

const WASM = path.join(__dirname, 'wasm');

/** The process's open fds, as /proc/self/fd lists them (minus the one readdir itself uses). */
function hostFds(): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      out.push(`${name} -> ${fs.readlinkSync(`/proc/self/fd/${name}`)}`);
    } catch {
      // the directory fd readdir used, gone by now
    }
  }
  return out.sort();
}

const hostFdCount = (): number => hostFds().length;

/**
 * The preopen's own directory: NodeDirectory holds one host fd for it from the moment a WASI
 * object installs it until every descriptor on it is closed (the end of the run).
 */
const PREOPEN = addressing.byFd ? 1 : 0;

let tmp: string;
let counters: { opened: number; closed: number; doubleCloseAttempts: number };

beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-hostfd-')));
  counters = { ...NodeFileHandle.counters };
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every host fd NodeFileHandle opened since the test began is closed, none twice. */
function expectCountersBalanced(): void {
  const c = NodeFileHandle.counters;
  expect({ closed: c.closed - counters.closed, doubleCloseAttempts: c.doubleCloseAttempts - counters.doubleCloseAttempts })
    .toEqual({ closed: c.opened - counters.opened, doubleCloseAttempts: 0 });
}

const openedSinceStart = (): number => NodeFileHandle.counters.opened - counters.opened;

/** Runs a C program from tests/wasm with `dir` preopened as "data". */
function runProgram(name: string, args: string[], dir: string, onStdout?: (text: string) => void): { code: number; stdout: string; stderr: string } {
  const module = new WebAssembly.Module(fs.readFileSync(path.join(WASM, `${name}.wasm`)));
  let stdout = '';
  let stderr = '';
  const wasi = new WASI({
    args: [name, ...args],
    preopens: { data: new NodeDirectory(dir) },
    stdout: (chunk) => {
      const text = Buffer.from(chunk).toString();
      stdout += text;
      onStdout?.(text);
    },
    stderr: (chunk) => (stderr += Buffer.from(chunk).toString()),
  });
  const instance = new WebAssembly.Instance(module, wasi.getImportObject() as unknown as WebAssembly.Imports);
  const code = wasi.start(instance);
  return { code, stdout, stderr };
}

describe('host fds counted in /proc/self/fd', () => {
  it('the counter sees a host fd that is left open (the checks below can fail)', () => {
    const before = hostFdCount();
    const fd = fs.openSync(path.join(tmp, 'x'), 'w');
    expect(hostFdCount()).toBe(before + 1);
    fs.closeSync(fd);
    expect(hostFdCount()).toBe(before);
  });

  it.each(['close', 'exit'])('a C program that opens 100 files and dups a third of them (%s): one host fd per file and one for the preopen, none left after', (mode) => {
    const before = hostFds();
    let during = -1;
    const { code, stdout, stderr } = runProgram('hostfd', [mode, '100'], tmp, () => {
      if (during === -1) during = hostFdCount();
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.startsWith('opened 100 files\n')).toBe(true);
    // 134 descriptors over 100 descriptions: exactly 100 host fds, the dups share them.
    expect(during).toBe(before.length + 100 + PREOPEN);
    expect(hostFds()).toEqual(before);
    expect(openedSinceStart()).toBe(100);
    expectCountersBalanced();
    expect(fs.readFileSync(path.join(tmp, 'f042.txt'), 'utf8')).toBe('data/f042.txt');
  });

  it('a trap in the middle of a run with 100 files open releases every host fd', () => {
    const before = hostFds();
    let during = -1;
    expect(() => runProgram('hostfd', ['trap', '100'], tmp, () => (during = hostFdCount()))).toThrow(WebAssembly.RuntimeError);
    expect(during).toBe(before.length + 100 + PREOPEN);
    expect(hostFds()).toEqual(before);
    expect(openedSinceStart()).toBe(100);
    expectCountersBalanced();
  });

  it('10,000 dup/close cycles through wasix_32v1 fd_dup and fd_close hold exactly one host fd', () => {
    fs.writeFileSync(path.join(tmp, 'f'), 'abc');
    const before = hostFdCount();
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.open('f').value;
    expect(hostFdCount()).toBe(before + PREOPEN + 1);
    for (let i = 0; i < 10_000; i++) {
      const d = g.dup(fd);
      if (d.errno !== Errno.SUCCESS || g.close(d.value) !== Errno.SUCCESS) throw new Error(`cycle ${i}: ${Errno[d.errno]}`);
    }
    // Dups of dups, closed in the opposite order, for good measure.
    const chain = [fd];
    for (let i = 0; i < 100; i++) chain.push(g.dup(chain[chain.length - 1]).value);
    expect(hostFdCount()).toBe(before + PREOPEN + 1);
    for (const d of chain.slice(1).reverse()) expect(g.close(d)).toBe(Errno.SUCCESS);
    expect(g.read(fd).value).toBe('abc');
    expect(g.close(fd)).toBe(Errno.SUCCESS);
    expect(hostFdCount()).toBe(before + PREOPEN);
    expect(g.close(fd)).toBe(Errno.BADF);
    g.end();
    expect(hostFdCount()).toBe(before);
    expect(openedSinceStart()).toBe(1);
    expectCountersBalanced();
  });

  const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  it.each(orders)('three dups closed in the order %i %i %i: the host fd closes with the last one, once', (...order) => {
    fs.writeFileSync(path.join(tmp, 'digits'), '0123456789');
    const before = hostFdCount();
    const g = Guest.over(new NodeDirectory(tmp));
    const fds = [g.open('digits').value];
    fds.push(g.dup(fds[0]).value, g.dup(fds[0]).value);
    expect(hostFdCount()).toBe(before + PREOPEN + 1);
    let next = 0;
    const open = new Set(fds);
    for (const [step, victim] of order.entries()) {
      expect(g.close(fds[victim])).toBe(Errno.SUCCESS);
      open.delete(fds[victim]);
      expect(g.close(fds[victim])).toBe(Errno.BADF);
      expect(g.read(fds[victim], 1).errno).toBe(Errno.BADF);
      // The rest still read on, at the one shared offset.
      for (const fd of open) expect(g.read(fd, 1).value).toBe(String(next++));
      expect(hostFdCount()).toBe(before + PREOPEN + (step < 2 ? 1 : 0));
    }
    g.end();
    expect(hostFdCount()).toBe(before);
    expect(openedSinceStart()).toBe(1);
    expectCountersBalanced();
  });

  it('fd_renumber onto an open file closes that file\'s host fd (its last reference), once', () => {
    fs.writeFileSync(path.join(tmp, 'a'), 'A');
    fs.writeFileSync(path.join(tmp, 'b'), 'B');
    const before = hostFdCount();
    const g = Guest.over(new NodeDirectory(tmp));
    const a = g.open('a').value;
    const b = g.open('b').value;
    expect(hostFdCount()).toBe(before + PREOPEN + 2);
    expect(g.renumber(a, b)).toBe(Errno.SUCCESS);
    expect(hostFdCount()).toBe(before + PREOPEN + 1);
    expect(g.read(b).value).toBe('A');
    expect(g.read(a).errno).toBe(Errno.BADF);
    // A dup keeps a description alive through a renumber onto it.
    const c = g.open('b').value;
    const cDup = g.dup(c).value;
    expect(g.renumber(b, c)).toBe(Errno.SUCCESS);
    expect(hostFdCount()).toBe(before + PREOPEN + 2);
    expect(g.read(cDup).value).toBe('B');
    g.end();
    expect(hostFdCount()).toBe(before);
    expectCountersBalanced();
  });

  it('a failed open (ELOOP, EISDIR, EEXIST, ENOENT) leaves no host fd behind', () => {
    fs.mkdirSync(path.join(tmp, 'd'));
    fs.writeFileSync(path.join(tmp, 'f'), '');
    fs.symlinkSync('f', path.join(tmp, 'l'));
    const before = hostFdCount();
    const g = Guest.over(new NodeDirectory(tmp));
    expect(g.open('l', { follow: false }).errno).toBe(Errno.LOOP);
    expect(g.open('d', { write: true }).errno).toBe(Errno.ISDIR);
    expect(g.create('f', { oflags: Oflags.EXCL }).errno).toBe(Errno.EXIST);
    expect(g.open('missing').errno).toBe(Errno.NOENT);
    expect(hostFdCount()).toBe(before + PREOPEN);
    g.end();
    expectCountersBalanced();
  });
});

/** Spies on every function of the fs module and of the native addon; returns the names called while `run` ran. */
function fsCallsDuring(run: () => void): string[] {
  const spies = [fs as unknown, nativeAddon ?? {}].flatMap((module) => {
    const target = module as Record<string, () => unknown>;
    const names = Object.keys(target).filter((k) => typeof target[k] === 'function' && /^[a-z]/.test(k));
    return names.map((name) => [name, jest.spyOn(target, name)] as const);
  });
  let called: string[] = [];
  try {
    run();
  } finally {
    // Read before restoring: mockRestore also forgets the calls.
    called = spies.filter(([, spy]) => spy.mock.calls.length > 0).map(([name]) => name);
    for (const [, spy] of spies) spy.mockRestore();
  }
  return called;
}

describe('offsets and status flags live in the description', () => {
  it('fd_seek (SET, CUR), fd_tell and fd_fdstat_get make no host call at all', () => {
    fs.writeFileSync(path.join(tmp, 'f'), 'hello world');
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.open('f').value;
    const dup = g.dup(fd).value;
    const results: unknown[] = [];
    const calls = fsCallsDuring(() => {
      for (let i = 0; i < 100; i++) {
        results.push(g.seek(fd, BigInt(i % 11)).value, g.seek(dup, 1n, Whence.CUR).value, g.tell(fd).value, g.fdstat(dup).value.filetype);
      }
    });
    expect(calls).toEqual([]);
    expect(results.slice(0, 4)).toEqual([0n, 1n, 1n, Filetype.REGULAR_FILE]);
    // The spies do see the calls that must reach the host.
    expect(fsCallsDuring(() => g.read(fd))).toEqual([usingNative() ? 'pread' : 'readSync']);
    expect(fsCallsDuring(() => g.fdStat(fd))).toEqual([usingNative() ? 'fstat' : 'fstatSync']);
    g.end();
    expectCountersBalanced();
  });

  it('APPEND given at open: every dup appends, whatever its offset, and sees the flag', () => {
    const file = path.join(tmp, 'log');
    fs.writeFileSync(file, '0123456789');
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.open('log', { write: true, fdflags: Fdflags.APPEND }).value;
    const dups = [fd, g.dup(fd).value, g.dup(fd).value];
    for (const [i, d] of dups.entries()) {
      expect(g.fdstat(d).value.flags & Fdflags.APPEND).toBe(Fdflags.APPEND);
      expect(g.seek(d, 2n).value).toBe(2n);
      expect(g.write(d, 'abc'[i]).value).toBe(1);
      expect(g.tell(d).value).toBe(BigInt(11 + i));
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('0123456789abc');
    g.end();
    expectCountersBalanced();
  });

  it('APPEND set later with fd_fdstat_set_flags on one dup reaches every dup; clearing it does too', () => {
    const file = path.join(tmp, 'log');
    fs.writeFileSync(file, '0123456789');
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.open('log', { write: true }).value;
    const dups = [fd, g.dup(fd).value, g.dup(fd).value];
    expect(g.write(fd, 'A').value).toBe(1); // at 0: no APPEND yet
    expect(g.setFlags(dups[2], Fdflags.APPEND)).toBe(Errno.SUCCESS);
    for (const [i, d] of dups.entries()) {
      expect(g.fdstat(d).value.flags).toBe(Fdflags.APPEND);
      g.seek(d, 0n);
      expect(g.write(d, 'xyz'[i]).value).toBe(1);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('A123456789xyz');
    expect(g.setFlags(dups[1], 0)).toBe(Errno.SUCCESS);
    for (const d of dups) expect(g.fdstat(d).value.flags).toBe(0);
    g.seek(dups[0], 1n);
    expect(g.write(dups[0], 'B').value).toBe(1);
    expect(fs.readFileSync(file, 'utf8')).toBe('AB23456789xyz');
    g.end();
    expectCountersBalanced();
  });

  it('the host fd is never opened O_APPEND, so positional writes stay positional', () => {
    fs.writeFileSync(path.join(tmp, 'f'), '0123456789');
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.open('f', { write: true, fdflags: Fdflags.APPEND }).value;
    const fdinfo = hostFds().filter((l) => l.endsWith(`${tmp}/f`)).map((l) => l.split(' ')[0]);
    expect(fdinfo).toHaveLength(1);
    const flags = /flags:\s+(\d+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fdinfo[0]}`, 'utf8'))![1];
    expect(parseInt(flags, 8) & fs.constants.O_APPEND).toBe(0);
    g.end();
    expectCountersBalanced();
  });
});

describe('real directories and metadata through the syscalls', () => {
  it('fd_readdir lists . and .. and every entry, with cookies that resume exactly', () => {
    const names = Array.from({ length: 60 }, (_, i) => `entry-${String(i).padStart(2, '0')}-${'x'.repeat(i % 7)}`);
    for (const n of names) fs.writeFileSync(path.join(tmp, n), n);
    fs.mkdirSync(path.join(tmp, 'subdir'));
    fs.symlinkSync('entry-00-', path.join(tmp, 'link'));
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.openDir('.').value;
    // Small buffers: many calls, each resuming from the last whole entry's cookie.
    const seen: { name: string; next: bigint; type: number }[] = [];
    let cookie = 0n;
    for (;;) {
      const batch = g.readdir(fd, cookie, 150).value;
      if (batch.length === 0) break;
      seen.push(...batch);
      cookie = batch[batch.length - 1].next;
    }
    expect(seen.map((e) => e.name).sort()).toEqual(['.', '..', ...fs.readdirSync(tmp)].sort());
    expect(seen.find((e) => e.name === 'subdir')!.type).toBe(Filetype.DIRECTORY);
    expect(seen.find((e) => e.name === 'link')!.type).toBe(Filetype.SYMBOLIC_LINK);
    expect(seen.find((e) => e.name === names[5])!.type).toBe(Filetype.REGULAR_FILE);
    // Resuming from any cookie gives the same tail.
    const from = seen[30].next;
    const tail = g.readdir(fd, from, 40000).value.map((e) => e.name);
    expect(tail).toEqual(seen.slice(31).map((e) => e.name));
    g.end();
    expectCountersBalanced();
  });

  it('path_filestat_get agrees with lstat/stat of the host; no-follow stats the link', () => {
    fs.writeFileSync(path.join(tmp, 'f'), 'twelve bytes');
    fs.linkSync(path.join(tmp, 'f'), path.join(tmp, 'hard'));
    fs.symlinkSync('f', path.join(tmp, 'sym'));
    const g = Guest.over(new NodeDirectory(tmp));
    const host = fs.statSync(path.join(tmp, 'f'), { bigint: true });
    const st = g.stat('sym', true).value;
    expect(st).toEqual({ filetype: Filetype.REGULAR_FILE, size: 12n, nlink: 2n, mtim: host.mtimeNs });
    const link = g.stat('sym', false).value;
    expect([link.filetype, link.size]).toEqual([Filetype.SYMBOLIC_LINK, 1n]);
    expect(g.stat('.', false).value.filetype).toBe(Filetype.DIRECTORY);
    g.end();
  });

  it('symlinks, hard links, rename, unlink, mkdir and rmdir reach the real directory', () => {
    const g = Guest.over(new NodeDirectory(tmp));
    expect(g.mkdir('d')).toBe(Errno.SUCCESS);
    const f = g.create('d/f', { write: true }).value;
    g.write(f, 'content');
    g.close(f);
    expect(g.symlink('d/f', 'sym')).toBe(Errno.SUCCESS);
    expect(fs.readlinkSync(path.join(tmp, 'sym'))).toBe('d/f');
    expect(g.readlink('sym').value).toBe('d/f');
    expect(g.link('d/f', 'hard')).toBe(Errno.SUCCESS);
    expect(fs.statSync(path.join(tmp, 'hard')).ino).toBe(fs.statSync(path.join(tmp, 'd/f')).ino);
    expect(g.rename('hard', 'd/renamed')).toBe(Errno.SUCCESS);
    expect(fs.readFileSync(path.join(tmp, 'd/renamed'), 'utf8')).toBe('content');
    expect(g.rmdir('d')).toBe(Errno.NOTEMPTY);
    expect(g.unlink('d/f')).toBe(Errno.SUCCESS);
    expect(g.unlink('d/renamed')).toBe(Errno.SUCCESS);
    expect(g.unlink('d')).toBe(Errno.ISDIR);
    expect(g.rmdir('d')).toBe(Errno.SUCCESS);
    expect(g.unlink('sym')).toBe(Errno.SUCCESS);
    expect(fs.readdirSync(tmp)).toEqual([]);
    g.end();
    expectCountersBalanced();
  });

  it('set_times: the host keeps the microseconds Node can pass, and the guest reads back its nanoseconds', () => {
    fs.writeFileSync(path.join(tmp, 'f'), '');
    const g = Guest.over(new NodeDirectory(tmp));
    const atim = 1_600_000_000_123_456_789n;
    const mtim = 1_700_000_000_987_654_321n;
    expect(g.setTimes('f', atim, mtim)).toBe(Errno.SUCCESS);
    const host = fs.statSync(path.join(tmp, 'f'), { bigint: true });
    // Node passes seconds as a double and libuv keeps microseconds: the host holds the
    // time rounded to the microsecond, exactly. The native addon's utimensat passes nanoseconds.
    const onHost = (ns: bigint) => (usingNative() ? ns : ((ns + 500n) / 1000n) * 1000n);
    expect(host.mtimeNs).toBe(onHost(mtim));
    expect(host.atimeNs).toBe(onHost(atim));
    // And the guest reads back exactly what it set, to the nanosecond, through the path and the fd.
    expect(g.stat('f').value.mtim).toBe(mtim);
    const fd = g.open('f', { write: true }).value;
    const mtim2 = 1_700_000_001_000_000_007n;
    expect(g.raw('fd_filestat_set_times', fd, 0n, mtim2, 4)).toBe(Errno.SUCCESS);
    expect(fs.statSync(path.join(tmp, 'f'), { bigint: true }).mtimeNs).toBe(onHost(mtim2));
    expect(g.stat('f').value.mtim).toBe(mtim2);
    g.end();
    expectCountersBalanced();
  });

  it('fd_allocate grows, fd_filestat_set_size truncates and extends, fd_advise accepts hints', () => {
    const file = path.join(tmp, 'f');
    fs.writeFileSync(file, '0123456789');
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.open('f', { write: true }).value;
    expect(g.raw('fd_allocate', fd, 0n, 100n)).toBe(Errno.SUCCESS);
    expect(fs.statSync(file).size).toBe(100);
    expect(g.raw('fd_allocate', fd, 0n, 5n)).toBe(Errno.SUCCESS);
    expect(fs.statSync(file).size).toBe(100);
    expect(g.raw('fd_filestat_set_size', fd, 4n)).toBe(Errno.SUCCESS);
    expect(fs.readFileSync(file, 'utf8')).toBe('0123');
    expect(g.raw('fd_filestat_set_size', fd, 6n)).toBe(Errno.SUCCESS);
    expect(fs.readFileSync(file)).toEqual(Buffer.from('0123\0\0'));
    expect(g.raw('fd_advise', fd, 0n, 6n, Advice.SEQUENTIAL)).toBe(Errno.SUCCESS);
    expect(g.raw('fd_advise', fd, 0n, 6n, 99)).toBe(Errno.INVAL);
    const ro = g.open('f').value;
    expect(g.raw('fd_filestat_set_size', ro, 0n)).not.toBe(Errno.SUCCESS);
    expect(fs.statSync(file).size).toBe(6);
    g.end();
    expectCountersBalanced();
  });

  it('fd_sync and fd_datasync are a real fsync and fdatasync of the host fd', () => {
    fs.writeFileSync(path.join(tmp, 'f'), '');
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.open('f', { write: true }).value;
    g.write(fd, 'durable');
    expect(fsCallsDuring(() => expect(g.raw('fd_sync', fd)).toBe(Errno.SUCCESS))).toEqual(['fsyncSync']);
    expect(fsCallsDuring(() => expect(g.raw('fd_datasync', fd)).toBe(Errno.SUCCESS))).toEqual(['fdatasyncSync']);
    g.end();
    expectCountersBalanced();
  });

  // Faults are injected into Node's fs, so this runs over it, addon or not.
  it('host errors become their errno, and an unexpected one EIO, never an exception', () => withoutNative(() => {
    fs.writeFileSync(path.join(tmp, 'f'), 'data');
    const g = Guest.over(new NodeDirectory(tmp));
    const fd = g.open('f', { write: true }).value;
    const cases: [unknown, Errno][] = [
      [Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), Errno.ACCES],
      [Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' }), Errno.NOSPC],
      [Object.assign(new Error('EDQUOT: quota'), { code: 'EDQUOT' }), Errno.DQUOT],
      [Object.assign(new Error('weird'), { code: 'ESOMETHINGNEW' }), Errno.IO],
      [new TypeError('unexpected'), Errno.IO],
      ['not even an Error', Errno.IO],
    ];
    for (const [thrown, errno] of cases) {
      const spy = jest.spyOn(fs, 'writeSync').mockImplementation(() => { throw thrown; });
      try {
        expect([String(thrown), Errno[g.write(fd, 'x').errno]]).toEqual([String(thrown), Errno[errno]]);
      } finally {
        spy.mockRestore();
      }
    }
    const spy = jest.spyOn(fs, 'lstatSync').mockImplementation(() => { throw new RangeError('odd'); });
    try {
      expect(Errno[g.stat('f').errno]).toBe('IO');
    } finally {
      spy.mockRestore();
    }
    expect(fs.readFileSync(path.join(tmp, 'f'), 'utf8')).toBe('data');
    g.end();
    expectCountersBalanced();
  }));

  it("the native addon's -errno results map as Node's error codes do", () => {
    const { ENOENT, ENOSPC, EDQUOT, ENOTEMPTY, ELOOP } = os.constants.errno;
    expect([ENOENT, ENOSPC, EDQUOT!, ENOTEMPTY, ELOOP].map((n) => Errno[errnoFromNumber(n)])).toEqual(['NOENT', 'NOSPC', 'DQUOT', 'NOTEMPTY', 'LOOP']);
    expect(errnoFromNumber(100_000)).toBe(Errno.IO);
  });
});

describe('stdio', () => {
  let bundle: string;
  beforeAll(() => {
    bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-stdio-bundle-')), 'refwasi-node.js');
    buildSync({
      entryPoints: [path.join(__dirname, '../src/node.ts')],
      bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent',
    });
  });
  afterAll(() => fs.rmSync(path.dirname(bundle), { recursive: true, force: true }));

  /** Runs the probe's close-stdout under `makeWasi` in a child, then writes to the child's own stdout. */
  async function closeStdoutInChild(makeWasi: string): Promise<{ status: number | null; out: string; err: string }> {
    const script = `
      const fs = require('fs');
      const wasi = ${makeWasi};
      const module = new WebAssembly.Module(fs.readFileSync(${JSON.stringify(path.join(WASM, 'cli_probe.wasm'))}));
      const code = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
      fs.fstatSync(1);
      process.stdout.write('host: process.stdout still works, guest exit ' + code + '\\n');
    `;
    const child = spawn(process.execPath, ['--no-warnings', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { status, out, err };
  }

  it("a guest close(1) releases only the guest's reference: Node's own stdout keeps working", async () => {
    const { status, out, err } = await closeStdoutInChild(`(() => {
      const refwasi = require(${JSON.stringify(bundle)});
      const stdio = refwasi.nodeStdio();
      return new refwasi.WASI({ args: ['cli_probe', 'close-stdout'], stdout: stdio.stdout, stderr: stdio.stderr });
    })()`);
    expect(err).toBe(`guest: close(1) = 0, then write(1) = -1 errno ${Errno.BADF}\n`);
    expect(out).toBe('guest: before close(1)\nhost: process.stdout still works, guest exit 0\n');
    expect(status).toBe(0);
  });

  it('the same check fails under node:wasi, which closes Node\'s own fd 1 (control)', async () => {
    const { status, out, err } = await closeStdoutInChild(
      `new (require('node:wasi').WASI)({ version: 'preview1', args: ['cli_probe', 'close-stdout'] })`,
    );
    expect(out).toBe('guest: before close(1)\n');
    expect(err).toContain('EBADF');
    expect(status).not.toBe(0);
  });
});

// browser_wasi_shim interop: the real @bjorn3/browser_wasi_shim 0.4.2 objects given to
// refwasi (ShimWASI, the drop-in for its WASI class, and WASI's own options), then driven
// by the C fixtures and by syscalls called directly. The package is ESM only, so it is
// bundled to CommonJS with esbuild here (jest runs CommonJS).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type * as ShimModule from '@bjorn3/browser_wasi_shim';
import { Errno, Filetype, MemoryDirectory, Oflags, Rights, shimFs, ShimWASI, WASI } from '../src';

function loadShim(): typeof ShimModule {
  const entry = require.resolve('@bjorn3/browser_wasi_shim');
  const out = buildSync({ entryPoints: [entry], bundle: true, format: 'cjs', platform: 'neutral', write: false, logLevel: 'silent' });
  const mod = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', out.outputFiles[0].text)(mod, mod.exports);
  return mod.exports as unknown as typeof ShimModule;
}

const shim = loadShim();
const SUITE = join(__dirname, '..', 'fixtures', 'testsuite');

interface Spec {
  args?: string[];
  dirs?: string[];
  env?: Record<string, string>;
  exit_code?: number;
  stdout?: string;
  refwasi?: { renumber?: 'strict' | 'permissive' };
}

type ShimInode = InstanceType<typeof shim.File> | InstanceType<typeof shim.Directory>;

/** A directory on disk as shim inodes ([name, inode] pairs, as PreopenDirectory takes them). */
function shimEntries(dir: string): Map<string, ShimInode> {
  return new Map(readdirSync(dir).sort().map((name): [string, ShimInode] => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return [name, new shim.Directory(shimEntries(p))];
    return [name, new shim.File(readFileSync(p))];
  }));
}

/** A shim directory read back as { name: hex | subtree }. */
function readBack(contents: Map<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, inode] of [...contents].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (inode instanceof shim.Directory) out[name] = readBack(inode.contents);
    else out[name] = Buffer.from((inode as InstanceType<typeof shim.File>).data).toString('hex');
  }
  return out;
}

/** ConsoleStdout that also counts fd_close calls (a user subclass, as the issue asks). */
class CountingOutput extends shim.ConsoleStdout {
  closes = 0;
  text = '';
  constructor() {
    super((bytes) => {
      this.text += new TextDecoder().decode(bytes);
    });
  }
  override fd_close(): number {
    this.closes++;
    return 0;
  }
}

class CountingPreopen extends shim.PreopenDirectory {
  closes = 0;
  override fd_close(): number {
    this.closes++;
    return 0;
  }
}

const specs = readdirSync(SUITE).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

describe('ShimWASI: browser_wasi_shim objects, refwasi semantics', () => {
  it('finds the fixture suite, with the np.load fixture among it', () => {
    expect(specs.length).toBeGreaterThan(0);
    expect(specs).toContain('numpy_load');
  });

  test.each(specs)('fixture %s over shim inodes', async (name) => {
    const spec = JSON.parse(readFileSync(join(SUITE, `${name}.json`), 'utf8')) as Spec;
    const stdout = new CountingOutput();
    const stderr = new CountingOutput();
    const preopens = (spec.dirs ?? []).map((d) => new CountingPreopen(d, shimEntries(join(SUITE, d))));
    const before = preopens.map((p) => readBack(p.dir.contents));
    const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const fds = [new shim.OpenFile(new shim.File([])), stdout, stderr, ...preopens];
    const opened = shimFs.openHandles;
    const doubles = shimFs.doubleCloses;

    const wasi = new ShimWASI([`${name}.wasm`, ...(spec.args ?? [])], env, fds, { renumber: spec.refwasi?.renumber });
    const { instance } = await WebAssembly.instantiate(readFileSync(join(SUITE, `${name}.wasm`)), {
      wasi_snapshot_preview1: wasi.wasiImport, wasix_32v1: wasi.wasixImport,
    } as WebAssembly.Imports);
    const code = wasi.start(instance);

    expect({ code, stdout: stdout.text, stderr: stderr.text }).toEqual({
      code: spec.exit_code ?? 0, stdout: spec.stdout ?? stdout.text, stderr: stderr.text,
    });
    expect(preopens.map((p) => readBack(p.dir.contents))).toEqual(before);
    // Each shim Fd was the host handle of one description: closed exactly once, whatever the dups did.
    expect([stdout.closes, stderr.closes, ...preopens.map((p) => p.closes)]).toEqual(fds.slice(1).map(() => 1));
    expect(shimFs.openHandles).toBe(opened);
    expect(shimFs.doubleCloses).toBe(doubles);
  });
});

/** Calls syscalls directly over a memory of our own: a tiny guest in JS. */
class Guest {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  readonly sys: Record<string, (...args: unknown[]) => number>;
  readonly ext: Record<string, (...args: unknown[]) => number>;
  constructor(wasi: WASI) {
    wasi.setMemory(this.memory);
    const imports = wasi.getImportObject();
    this.sys = imports.wasi_snapshot_preview1 as unknown as Record<string, (...args: unknown[]) => number>;
    this.ext = imports.wasix_32v1 as unknown as Record<string, (...args: unknown[]) => number>;
  }
  get view(): DataView {
    return new DataView(this.memory.buffer);
  }
  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, len);
  }
  put(ptr: number, data: string | Uint8Array): number {
    const b = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.bytes(ptr, b.byteLength).set(b);
    return b.byteLength;
  }
  open(dirfd: number, path: string, oflags = 0, fdflags = 0): number {
    const len = this.put(1024, path);
    const rights = BigInt(Rights.FD_READ | Rights.FD_WRITE | Rights.FD_SEEK | Rights.FD_TELL | Rights.FD_FILESTAT_GET | Rights.FD_FILESTAT_SET_SIZE | Rights.FD_READDIR | Rights.PATH_OPEN);
    const errno = this.sys.path_open(dirfd, 1, 1024, len, oflags, rights, rights, fdflags, 16);
    if (errno !== 0) throw new Error(`path_open ${path}: ${Errno[errno]}`);
    return this.view.getUint32(16, true);
  }
  write(fd: number, text: string): number {
    const len = this.put(2048, text);
    this.view.setUint32(0, 2048, true);
    this.view.setUint32(4, len, true);
    const errno = this.sys.fd_write(fd, 0, 1, 8);
    return errno === 0 ? this.view.getUint32(8, true) : -errno;
  }
  read(fd: number, n: number): string | number {
    this.view.setUint32(0, 4096, true);
    this.view.setUint32(4, n, true);
    const errno = this.sys.fd_read(fd, 0, 1, 8);
    if (errno !== 0) return -errno;
    return new TextDecoder().decode(this.bytes(4096, this.view.getUint32(8, true)));
  }
  dup(fd: number): number {
    const errno = this.ext.fd_dup(fd, 16);
    if (errno !== 0) throw new Error(`fd_dup: ${Errno[errno]}`);
    return this.view.getUint32(16, true);
  }
  seek(fd: number, offset: number, whence = 0): number {
    const errno = this.sys.fd_seek(fd, BigInt(offset), whence, 24);
    return errno === 0 ? Number(this.view.getBigUint64(24, true)) : -errno;
  }
  path(fn: string, dirfd: number, path: string, ...rest: unknown[]): number {
    const len = this.put(1024, path);
    return this.sys[fn](dirfd, 1024, len, ...rest);
  }
  path2(fn: string, dirfd: number, from: string, todir: number, to: string): number {
    const a = this.put(1024, from);
    const b = this.put(1536, to);
    return this.sys[fn](dirfd, 1024, a, todir, 1536, b);
  }
  filestat(fd: number): { filetype: number; nlink: bigint; size: bigint; mtim: bigint } {
    const errno = this.sys.fd_filestat_get(fd, 64);
    if (errno !== 0) throw new Error(`fd_filestat_get: ${Errno[errno]}`);
    const v = this.view;
    return { filetype: v.getUint8(64 + 16), nlink: v.getBigUint64(64 + 24, true), size: v.getBigUint64(64 + 32, true), mtim: v.getBigUint64(64 + 48, true) };
  }
}

describe('shim Fds given to refwasi behave with dup semantics', () => {
  it('a ConsoleStdout subclass as stdout: dups share it, fd_close runs once at the last close', () => {
    const out = new CountingOutput();
    const wasi = new WASI({ stdout: out });
    const g = new Guest(wasi);
    const d = g.dup(1);
    expect(g.write(d, 'via dup;')).toBe(8);
    expect(g.sys.fd_close(1)).toBe(0);
    expect(out.closes).toBe(0);
    expect(g.write(d, 'still open')).toBe(10);
    expect(g.sys.fd_close(1)).toBe(Errno.BADF);
    expect(g.sys.fd_close(d)).toBe(0);
    expect(out.closes).toBe(1);
    wasi.close();
    expect(out.closes).toBe(1);
    expect(out.text).toBe('via dup;still open');
  });

  it('an OpenFile as stdin is a regular file: the offset starts at its own position and is shared by dups', () => {
    const input = new shim.OpenFile(new shim.File(new TextEncoder().encode('0123456789')));
    input.fd_seek(2n, 0);
    const wasi = new WASI({ stdin: input });
    const g = new Guest(wasi);
    expect(g.filestat(0).filetype).toBe(Filetype.REGULAR_FILE);
    const d = g.dup(0);
    expect(g.read(0, 3)).toBe('234');
    expect(g.read(d, 3)).toBe('567');
    expect(g.seek(d, 1)).toBe(1);
    expect(g.read(0, 2)).toBe('12');
    wasi.close();
  });

  it('a PreopenDirectory as a preopen: files and directories made by the program land in the shim\'s own inodes', () => {
    const pre = new CountingPreopen('/data', new Map([['keep.txt', new shim.File(new TextEncoder().encode('kept'))]]));
    const wasi = new WASI({ preopens: { '/data': pre } });
    const g = new Guest(wasi);
    expect(g.path('path_create_directory', 3, 'sub')).toBe(0);
    const fd = g.open(3, 'sub/new.txt', Oflags.CREAT | Oflags.EXCL);
    expect(g.write(fd, 'hello shim')).toBe(10);
    const dup = g.dup(fd);
    expect(g.sys.fd_close(fd)).toBe(0);
    expect(g.write(dup, '!')).toBe(1);
    expect(g.sys.fd_close(dup)).toBe(0);
    const sub = pre.dir.contents.get('sub');
    expect(sub).toBeInstanceOf(shim.Directory);
    const file = (sub as InstanceType<typeof shim.Directory>).contents.get('new.txt');
    expect(file).toBeInstanceOf(shim.File);
    expect(new TextDecoder().decode((file as InstanceType<typeof shim.File>).data)).toBe('hello shim!');

    expect(g.path2('path_rename', 3, 'sub/new.txt', 3, 'moved.txt')).toBe(0);
    expect([...pre.dir.contents.keys()].sort()).toEqual(['keep.txt', 'moved.txt', 'sub']);
    expect(g.path2('path_rename', 3, 'sub', 3, 'sub/inner')).toBe(Errno.INVAL);
    expect(g.sys.path_link(3, 0, 1024, g.put(1024, 'moved.txt'), 3, 1536, g.put(1536, 'hard.txt'))).toBe(0);
    expect(pre.dir.contents.get('hard.txt')).toBe(pre.dir.contents.get('moved.txt'));
    expect(g.sys.path_symlink(1024, g.put(1024, 'keep.txt'), 3, 1536, g.put(1536, 'link'))).toBe(Errno.PERM);
    expect(g.path('path_unlink_file', 3, 'moved.txt')).toBe(0);
    expect(g.path('path_remove_directory', 3, 'sub')).toBe(0);
    expect([...pre.dir.contents.keys()].sort()).toEqual(['hard.txt', 'keep.txt']);
    expect(pre.closes).toBe(0);
    wasi.close();
    expect(pre.closes).toBe(1);
  });

  it('a user Inode whose Fd only reads sequentially is read at refwasi offsets through fd_seek + fd_read', () => {
    class Sequential extends shim.Fd {
      pos = 0n;
      constructor(readonly bytes: Uint8Array) {
        super();
      }
      override fd_fdstat_get() {
        return { ret: 0, fdstat: new shim.wasi.Fdstat(shim.wasi.FILETYPE_REGULAR_FILE, 0) };
      }
      override fd_seek(offset: bigint, whence: number) {
        if (whence !== shim.wasi.WHENCE_SET) return { ret: Errno.INVAL, offset: 0n };
        this.pos = offset;
        return { ret: 0, offset };
      }
      override fd_read(size: number) {
        const data = this.bytes.slice(Number(this.pos), Number(this.pos) + size);
        this.pos += BigInt(data.length);
        return { ret: 0, data };
      }
      override fd_filestat_get() {
        return { ret: 0, filestat: new shim.wasi.Filestat(99n, shim.wasi.FILETYPE_REGULAR_FILE, BigInt(this.bytes.length)) };
      }
    }
    class SequentialFile extends shim.Inode {
      override path_open() {
        return { ret: 0, fd_obj: new Sequential(new TextEncoder().encode('abcdefgh')) };
      }
      override stat() {
        return new shim.wasi.Filestat(this.ino, shim.wasi.FILETYPE_REGULAR_FILE, 8n);
      }
    }
    const dir = new shim.Directory(new Map([['seq', new SequentialFile()]]));
    const wasi = new WASI({ preopens: { '/': dir } });
    const g = new Guest(wasi);
    const fd = g.open(3, 'seq');
    const d = g.dup(fd);
    expect(g.read(fd, 3)).toBe('abc');
    expect(g.read(d, 3)).toBe('def');
    expect(g.seek(fd, -2, 2)).toBe(6);
    expect(g.read(d, 10)).toBe('gh');
    expect(g.write(fd, 'x')).toBe(-Errno.NOTSUP);
    wasi.close();
  });

  it('MemoryDirectory and shim preopens side by side: rename across them is EXDEV', () => {
    const wasi = new WASI({
      preopens: { '/mem': MemoryDirectory.from({ 'a.txt': 'a' }), '/shim': new shim.PreopenDirectory('/shim', new Map()) },
    });
    const g = new Guest(wasi);
    expect(g.path2('path_rename', 3, 'a.txt', 4, 'a.txt')).toBe(Errno.XDEV);
    wasi.close();
  });

  it('unlinked shim files live on through their descriptors with nlink 0', () => {
    const pre = new shim.PreopenDirectory('/d', new Map([['f', new shim.File(new TextEncoder().encode('data'))]]));
    const wasi = new ShimWASI(['x'], [], [new shim.OpenFile(new shim.File([])), new CountingOutput(), new CountingOutput(), pre]);
    const g = new Guest(wasi.wasi);
    const fd = g.open(3, 'f');
    expect(g.path('path_unlink_file', 3, 'f')).toBe(0);
    expect(pre.dir.contents.has('f')).toBe(false);
    expect(g.read(fd, 10)).toBe('data');
    expect(g.filestat(fd).nlink).toBe(0n);
    wasi.wasi.close();
  });
});

// The imports that catch for themselves (the hot ones, at their exact arity): they follow the
// same rules as every other import. Nothing but an errno comes out of them, except proc_exit's
// unwinding and traps; a host callback that moved memory reruns the call; no memory bound
// yet is EFAULT; and memory grown under the import is seen at once.
import { Errno, Filetype, Whence } from '../src/abi/constants';
import { MemoryMoved, ProcExit, WasiTrap } from '../src/abi/errors';
import { MemoryDirectory } from '../src/backends/memory';
import type { FileStat, StreamHandle } from '../src/backends/types';
import { WASI } from '../src/wasi';
import { OUT, Raw, SCRATCH } from './helpers/raw-preview1';

/** preview1 and wasix_32v1 parameter counts of the imports that guard themselves. */
const ARITY: [string, string, number][] = [
  ['wasi_snapshot_preview1', 'fd_seek', 4], ['wasi_snapshot_preview1', 'fd_tell', 2],
  ['wasi_snapshot_preview1', 'fd_fdstat_get', 2], ['wasi_snapshot_preview1', 'clock_time_get', 3],
  ['wasi_snapshot_preview1', 'fd_write', 4], ['wasi_snapshot_preview1', 'fd_read', 4],
  ['wasi_snapshot_preview1', 'path_open', 9], ['wasi_snapshot_preview1', 'fd_close', 1],
  ['wasi_snapshot_preview1', 'fd_readdir', 5], ['wasi_snapshot_preview1', 'fd_renumber', 2],
  ['wasix_32v1', 'fd_dup', 2],
];

/** A stream whose every operation does what the test says. */
class Scripted implements StreamHandle {
  readonly kind = 'stream';
  readonly filetype = Filetype.CHARACTER_DEVICE;
  constructor(private readonly act: (op: string) => number) {}
  read(into: Uint8Array): number {
    const n = this.act('read');
    into.fill(0x61, 0, n);
    return n;
  }
  write(data: Uint8Array): number {
    return Math.min(this.act('write'), data.length);
  }
  stat(): FileStat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }
  close(): void {
    this.act('close');
  }
}

function iov(raw: Raw, len: number): number {
  raw.view.setUint32(512, SCRATCH, true);
  raw.view.setUint32(516, len, true);
  return 512;
}

describe('imports that catch for themselves', () => {
  it.each(ARITY)('%s.%s takes exactly its ABI parameters (%i)', (module, name, n) => {
    const imports = new WASI().getImportObject() as unknown as Record<string, Record<string, (...a: unknown[]) => number>>;
    expect(imports[module][name].length).toBe(n);
  });

  it('a host error that is not a WASI errno is EIO, from reads, writes and close', () => {
    const boom = () => { throw new TypeError('host trouble'); };
    const raw = new Raw({ stdin: new Scripted(boom), stdout: new Scripted(boom) });
    expect(raw.p1.fd_read(0, iov(raw, 4), 1, OUT)).toBe(Errno.IO);
    expect(raw.p1.fd_write(1, iov(raw, 4), 1, OUT)).toBe(Errno.IO);
    expect(raw.p1.fd_close(1)).toBe(Errno.IO);
  });

  it('proc_exit unwinding and traps pass through unchanged', () => {
    const raw = new Raw({ stdout: new Scripted(() => { throw new ProcExit(3); }), stdin: new Scripted(() => { throw new WasiTrap('stop'); }) });
    expect(() => raw.p1.fd_write(1, iov(raw, 4), 1, OUT)).toThrow(ProcExit);
    expect(() => raw.p1.fd_read(0, iov(raw, 4), 1, OUT)).toThrow(WasiTrap);
  });

  it('memory that moved before anything was consumed reruns the call; for ever moving, EFAULT', () => {
    let moves = 3;
    const raw = new Raw({ stdin: new Scripted(() => { if (moves-- > 0) throw new MemoryMoved(); return 2; }) });
    expect(raw.p1.fd_read(0, iov(raw, 4), 1, OUT)).toBe(0);
    expect(raw.u32(OUT)).toBe(2);
    const stuck = new Raw({ stdin: new Scripted(() => { throw new MemoryMoved(); }) });
    expect(stuck.p1.fd_read(0, iov(stuck, 4), 1, OUT)).toBe(Errno.FAULT);
  });

  it('before a memory is bound, every pointer is EFAULT (and a bad fd still EBADF first)', () => {
    const p1 = new WASI({ preopens: { '/': new MemoryDirectory() } }).getImportObject().wasi_snapshot_preview1 as unknown as Record<string, (...a: unknown[]) => number>;
    expect(p1.fd_fdstat_get(1, 0)).toBe(Errno.FAULT);
    expect(p1.fd_fdstat_get(99, 0)).toBe(Errno.BADF);
    expect(p1.clock_time_get(1, 0n, 0)).toBe(Errno.FAULT);
    expect(p1.fd_tell(1, 0)).toBe(Errno.SPIPE);
    expect(p1.fd_write(1, 0, 0, 0)).toBe(Errno.FAULT);
  });

  it('memory grown after binding is used at once, by the same import functions', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const raw = new Raw({ preopens: { '/': MemoryDirectory.from({ f: 'abcdef' }) } }, memory);
    const fd = raw.open('f');
    const far = 65536 + 100; // past the first page
    expect(raw.p1.fd_seek(fd, 3n, Whence.SET, far)).toBe(Errno.FAULT);
    memory.grow(1);
    expect(raw.p1.fd_seek(fd, 3n, Whence.SET, far)).toBe(0);
    expect(raw.u64(far)).toBe(3n);
    expect(raw.p1.fd_fdstat_get(fd, far)).toBe(0);
    expect(raw.view.getUint8(far)).toBe(Filetype.REGULAR_FILE);
    expect(raw.p1.clock_time_get(1, 0n, far)).toBe(0);
    expect(raw.u64(far)).toBeGreaterThan(0n);
  });

  it('the same over a shared memory that grows', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const raw = new Raw({ preopens: { '/': MemoryDirectory.from({ f: 'abcdef' }) } }, memory);
    const fd = raw.open('f');
    const far = 65536 + 8;
    expect(raw.p1.fd_tell(fd, far)).toBe(Errno.FAULT);
    memory.grow(1);
    expect(raw.p1.fd_seek(fd, 2n, Whence.SET, OUT)).toBe(0);
    expect(raw.p1.fd_tell(fd, far)).toBe(0);
    expect(raw.u64(far)).toBe(2n);
  });
});

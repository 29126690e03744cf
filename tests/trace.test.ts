// The syscall trace: every WASI call reported as it returns, with its arguments decoded from
// guest memory, its errno by name, what it wrote back and its duration; and, when no trace is
// asked for, the import object exactly as it is without one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Clockid, Errno, Eventtype, Oflags, RIGHTS_ALL } from '../src/abi/constants';
import { MemoryDirectory } from '../src/backends/memory';
import { decodedFunctions, formatTraceEvent, type TraceEvent } from '../src/trace';
import { runThreads } from '../src/node';
import { WASI, type WASIOptions } from '../src/wasi';

const PROBE = path.join(__dirname, 'wasm', 'cli_probe.wasm');
type Fn = (...args: (number | bigint)[]) => number;

function traced(options: WASIOptions = {}): { wasi: WASI; events: TraceEvent[]; p1: Record<string, Fn>; x: Record<string, Fn>; memory: WebAssembly.Memory } {
  const events: TraceEvent[] = [];
  const wasi = new WASI({ ...options, trace: (e) => events.push(e) });
  const memory = new WebAssembly.Memory({ initial: 1 });
  wasi.setMemory(memory);
  const imports = wasi.getImportObject() as unknown as Record<string, Record<string, Fn>>;
  return { wasi, events, p1: imports.wasi_snapshot_preview1, x: imports.wasix_32v1, memory };
}

const LINE = /^(wasix:)?[a-z_0-9]+\(.*\) = .+ <\d+\.\d+(µs|ms|s)>$/;
const timeless = (line: string): string => line.replace(/ <[^>]+>$/, '');

describe('a real program, traced', () => {
  it('cli_probe writing a file: every call, decoded, in order', () => {
    const events: TraceEvent[] = [];
    const data = new MemoryDirectory();
    const wasi = new WASI({ args: ['cli_probe', 'write', 'data/out.json', '{}'], preopens: { data }, trace: (e) => events.push(e) });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(PROBE)), wasi.getImportObject() as WebAssembly.Imports);
    expect(wasi.start(instance)).toBe(0);
    const lines = events.map(formatTraceEvent);
    for (const line of lines) expect(line).toMatch(LINE);
    const open = events.find((e) => e.name === 'path_open')!;
    expect(open.module).toBe('wasi_snapshot_preview1');
    expect(open.rawArgs).toHaveLength(9);
    expect(open.args.map((a) => [a.name, a.value])).toEqual([
      ['fd', 3], ['path', 'out.json'], ['oflags', Oflags.CREAT | Oflags.TRUNC], ['fs_rights_base', expect.any(BigInt)],
      ['fs_rights_inheriting', expect.any(BigInt)], ['fdflags', 0], ['lookupflags', 1],
    ]);
    expect(open.errno).toBe(0);
    expect(open.errnoName).toBeNull();
    expect(open.results).toEqual([{ name: 'fd', value: 4, text: '4' }]);
    expect(open.durationMs).toBeGreaterThanOrEqual(0);
    expect(timeless(formatTraceEvent(open))).toBe('path_open(3, "out.json", CREAT|TRUNC, ...) = 4');
    // The start-up preopen scan, the write and the close, as wasi-libc makes them.
    expect(lines.map(timeless)).toEqual(expect.arrayContaining([
      'fd_prestat_get(3) = {tag=DIR, name_len=4}',
      'fd_prestat_dir_name(3, 4) = "data"',
      'fd_prestat_get(4) = EBADF',
      'fd_write(4, [2, 0]) = 2',
      'fd_close(4) = 0',
    ]));
    expect(events.filter((e) => e.name === 'fd_write').every((e) => e.args[1].name === 'iovs')).toBe(true);
  });

  it('proc_exit is reported with its code, though it never returns', () => {
    const events: TraceEvent[] = [];
    const wasi = new WASI({ args: ['cli_probe', 'exit', '3'], trace: (e) => events.push(e) });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(PROBE)), wasi.getImportObject() as WebAssembly.Imports);
    expect(wasi.start(instance)).toBe(3);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ name: 'proc_exit', errno: null, exitCode: 3 });
    expect(timeless(formatTraceEvent(last))).toBe('proc_exit(3) = ? (exit 3)');
  });
});

describe('decoders', () => {
  it('every import function, of both modules, has its own decoder', () => {
    const imports = new WASI().getImportObject() as unknown as Record<string, Record<string, unknown>>;
    const decoded = decodedFunctions();
    for (const module of Object.keys(imports)) expect(decoded[module]?.slice().sort()).toEqual(Object.keys(imports[module]).sort());
  });

  it('fd_renumber onto a closed fd: the errno by name', () => {
    const { p1, events } = traced();
    expect(p1.fd_renumber(4, 1)).toBe(Errno.BADF);
    expect(events[0]).toMatchObject({ name: 'fd_renumber', rawArgs: [4, 1], errno: Errno.BADF, errnoName: 'EBADF', results: [] });
    expect(timeless(formatTraceEvent(events[0]))).toBe('fd_renumber(4, 1) = EBADF');
  });

  it('fd_seek: signed offset, whence by name, the new offset read back', () => {
    const data = MemoryDirectory.from({ 'f.txt': 'hello world' });
    const { p1, events, memory } = traced({ preopens: { d: data } });
    new Uint8Array(memory.buffer).set(new TextEncoder().encode('f.txt'), 100);
    expect(p1.path_open(3, 0, 100, 5, 0, BigInt(RIGHTS_ALL), 0n, 0, 200)).toBe(0);
    expect(p1.fd_seek(4, -5n, 2, 208)).toBe(0);
    expect(timeless(formatTraceEvent(events[1]))).toBe('fd_seek(4, -5, END) = 6');
    expect(events[1].results[0].value).toBe(6n);
  });

  it('wasix_32v1: fd_dup, fd_pipe, fd_fdflags_get', () => {
    const { x, events } = traced();
    expect(x.fd_dup(1, 0)).toBe(0);
    expect(x.fd_pipe(0, 4)).toBe(0);
    expect(x.fd_dup2(1, 10, 1, 0)).toBe(0);
    expect(x.fd_fdflags_get(10, 0)).toBe(0);
    expect(events.map((e) => timeless(formatTraceEvent(e)))).toEqual([
      'wasix:fd_dup(1) = 3',
      'wasix:fd_pipe() = {read_fd=4, write_fd=5}',
      'wasix:fd_dup2(1, 10, 1) = 10',
      'wasix:fd_fdflags_get(10) = CLOEXEC',
    ]);
    expect(events[0].module).toBe('wasix_32v1');
  });

  it('poll_oneoff: the subscriptions by kind', () => {
    const { p1, events, memory } = traced();
    const view = new DataView(memory.buffer);
    view.setUint8(1000 + 8, Eventtype.CLOCK);
    view.setUint32(1000 + 16, Clockid.MONOTONIC, true);
    view.setBigUint64(1000 + 24, 1000n, true);
    view.setUint8(1048 + 8, Eventtype.FD_READ);
    view.setUint32(1048 + 16, 0, true);
    expect(p1.poll_oneoff(1000, 2000, 2, 3000)).toBe(0);
    expect(timeless(formatTraceEvent(events[0]))).toMatch(/^poll_oneoff\(\[clock\(MONOTONIC, 1000ns\), fd_read\(0\)\]\) = [12]$/);
  });

  it('a bad pointer is shown as a pointer, and the call still gives its own errno', () => {
    const { p1, events } = traced({ preopens: { d: new MemoryDirectory() } });
    expect(p1.path_open(3, 0, 0x7ffffff0, 64, 0, 0n, 0n, 0, 0)).toBe(Errno.FAULT);
    expect(timeless(formatTraceEvent(events[0]))).toBe('path_open(3, 0x7ffffff0, 0, ..., NOFOLLOW) = EFAULT');
    expect(p1.fd_write(1, 0xfffffff8, 4, 0)).toBe(Errno.FAULT);
    expect(timeless(formatTraceEvent(events[1]))).toBe('fd_write(1, 0xfffffff8[4]) = EFAULT');
  });

  it('lookup flags as open(2) reads them: following goes unsaid, NOFOLLOW is shown', () => {
    const { p1, events, memory } = traced({ preopens: { d: MemoryDirectory.from({ f: 'x' }) } });
    new Uint8Array(memory.buffer)[100] = 0x66;
    expect(p1.path_filestat_get(3, 1, 100, 1, 200)).toBe(0);
    expect(p1.path_filestat_get(3, 0, 100, 1, 200)).toBe(0);
    expect(p1.path_filestat_get(3, 3, 100, 1, 200)).toBe(Errno.INVAL);
    expect(events.map((e) => timeless(formatTraceEvent(e)))).toEqual([
      'path_filestat_get(3, "f") = {filetype=REGULAR_FILE, size=1}',
      'path_filestat_get(3, "f", NOFOLLOW) = {filetype=REGULAR_FILE, size=1}',
      'path_filestat_get(3, "f", 0x2) = EINVAL',
    ]);
    expect(events[0].args[2]).toEqual({ name: 'lookupflags', value: 1, text: 'SYMLINK_FOLLOW', optional: true });
  });

  it('paths that are not UTF-8 are shown byte by byte', () => {
    const { p1, events, memory } = traced({ preopens: { d: new MemoryDirectory() } });
    new Uint8Array(memory.buffer).set([0x61, 0xff, 0x22], 100);
    expect(p1.path_unlink_file(3, 100, 3)).toBe(Errno.ILSEQ);
    expect(timeless(formatTraceEvent(events[0]))).toBe('path_unlink_file(3, "a\\xff\\x22") = EILSEQ');
  });

  it('calls before any memory is bound are traced too', () => {
    const events: TraceEvent[] = [];
    const wasi = new WASI({ trace: (e) => events.push(e) });
    const p1 = wasi.getImportObject().wasi_snapshot_preview1 as unknown as Record<string, Fn>;
    expect(p1.fd_write(1, 16, 1, 0)).toBe(Errno.FAULT);
    expect(timeless(formatTraceEvent(events[0]))).toBe('fd_write(1, 0x10[1]) = EFAULT');
  });

  it('every function, called with zeros, is reported and formatted without a throw', () => {
    const { p1, x, events } = traced({ preopens: { d: new MemoryDirectory() } });
    const names: string[] = [];
    for (const [family, prefix] of [[p1, ''], [x, 'wasix:']] as const) {
      for (const [name, fn] of Object.entries(family)) {
        if (name === 'proc_exit') continue;
        fn(0, 0, 0, 0, 0, 0, 0, 0, 0);
        names.push(prefix + name);
      }
    }
    expect(events.map((e) => formatTraceEvent(e).split('(')[0])).toEqual(names);
    for (const e of events) expect(formatTraceEvent(e)).toMatch(LINE);
  });

  it('a trap in a syscall is reported with what was thrown', () => {
    const { p1, events } = traced();
    expect(() => p1.proc_exit(200)).toThrow(/exit status outside/);
    expect(events[0]).toMatchObject({ name: 'proc_exit', errno: null });
    expect(events[0].thrown).toBeInstanceOf(Error);
    expect(timeless(formatTraceEvent(events[0]))).toMatch(/^proc_exit\(200\) = \? \(trap: proc_exit\(200\): exit status outside/);
  });
});

describe('a handler that throws', () => {
  it('ends the program as a trap does: start() rethrows, every descriptor closed', () => {
    const wasi = new WASI({ args: ['cli_probe', 'exit', '0'], trace: () => { throw new Error('handler failed'); } });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(PROBE)), wasi.getImportObject() as WebAssembly.Imports);
    expect(() => wasi.start(instance)).toThrow('handler failed');
    expect(wasi.table.has(1)).toBe(false);
  });
});

describe('off', () => {
  it('without a trace handler the import functions are the untraced ones', () => {
    const plain = new WASI().wasiImport as unknown as Record<string, unknown>;
    const unset = new WASI({ trace: undefined }).wasiImport as unknown as Record<string, unknown>;
    const on = new WASI({ trace: () => {} }).wasiImport as unknown as Record<string, unknown>;
    for (const name of Object.keys(plain)) {
      expect(String(unset[name])).toBe(String(plain[name]));
      expect(String(on[name])).not.toBe(String(plain[name]));
    }
  });
});

describe('threads', () => {
  it("every thread's calls go through the one handler", async () => {
    const suite = path.join(__dirname, '..', 'fixtures', 'threads');
    const events: TraceEvent[] = [];
    const spec = JSON.parse(fs.readFileSync(path.join(suite, 'append_two_threads.json'), 'utf8')) as { dirs?: string[]; args?: string[] };
    const preopens = Object.fromEntries((spec.dirs ?? []).map((d) => [d, MemoryDirectory.from({})]));
    const code = await runThreads(fs.readFileSync(path.join(suite, 'append_two_threads.wasm')), {
      args: ['append_two_threads', ...(spec.args ?? [])], preopens, stdout: () => {}, stderr: () => {}, trace: (e) => events.push(e),
    });
    expect(code).toBe(0);
    // Only the two spawned threads write: 300 records of 16 bytes each, through their own APPEND opens.
    const writes = events.filter((e) => e.name === 'fd_write' && e.results[0]?.value === 16);
    expect(writes).toHaveLength(600);
    const opens = events.filter((e) => e.name === 'path_open').map((e) => formatTraceEvent(e).replace(/ = .*/, ''));
    expect(opens.filter((o) => o === 'path_open(3, "log.txt", CREAT, ..., APPEND, NOFOLLOW)')).toHaveLength(2);
    for (const e of events) expect(formatTraceEvent(e)).toMatch(LINE);
  });
});

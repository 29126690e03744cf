// Commands and reactors: start() runs _start, initialize() runs _initialize; every wrong
// combination (start on a reactor, initialize on a command, either twice, one after the
// other) is a clear error that leaves the WASI object as it was.
import { Errno } from '../src/abi/constants';
import { WASI } from '../src/wasi';
import { I32, op, PROC_EXIT, wasmModule, type ImportFunc } from './helpers/tiny-wasm';

const FDSTAT_GET: ImportFunc = { module: 'wasi_snapshot_preview1', name: 'fd_fdstat_get', params: [I32, I32], results: [I32] };

/** _initialize counts its calls in the exported global `inits`; probe(fd) is fd_fdstat_get's errno. */
function reactor(withInitialize = true, exportMemory = true): Uint8Array<ArrayBuffer> {
  return wasmModule({
    imports: [FDSTAT_GET],
    memory: { pages: 1, export: exportMemory },
    globals: [{ name: 'inits', value: 0 }],
    funcs: [
      ...(withInitialize ? [{ name: '_initialize', body: [...op.globalGet(0), ...op.i32(1), ...op.i32Add, ...op.globalSet(0)] }] : []),
      { name: 'probe', params: [I32], results: [I32], body: [...op.localGet(0), ...op.i32(64), ...op.call(0)] },
    ],
  });
}

function command(): Uint8Array<ArrayBuffer> {
  return wasmModule({ imports: [PROC_EXIT], funcs: [{ name: '_start', body: [...op.i32(5), ...op.call(0)] }] });
}

function instantiate(bytes: Uint8Array<ArrayBuffer>, wasi: WASI): WebAssembly.Instance {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), wasi.getImportObject() as WebAssembly.Imports);
}

const inits = (i: WebAssembly.Instance) => (i.exports.inits as WebAssembly.Global).value as number;
const probe = (i: WebAssembly.Instance, fd: number) => (i.exports.probe as (fd: number) => number)(fd);

describe('reactors', () => {
  it('initialize() runs _initialize once; descriptors stay open for the exports until close()', () => {
    const wasi = new WASI();
    const r = instantiate(reactor(), wasi);
    expect(inits(r)).toBe(0);
    wasi.initialize(r);
    expect(inits(r)).toBe(1);
    expect(probe(r, 1)).toBe(Errno.SUCCESS);
    expect(probe(r, 1)).toBe(Errno.SUCCESS);
    wasi.close();
    expect(probe(r, 1)).toBe(Errno.BADF);
    expect(wasi.table.size).toBe(0);
  });

  it('a reactor without _initialize can be initialized too', () => {
    const wasi = new WASI();
    const r = instantiate(reactor(false), wasi);
    wasi.initialize(r);
    expect(probe(r, 0)).toBe(Errno.SUCCESS);
  });

  it('initialize() twice is an error, and _initialize is not run again', () => {
    const wasi = new WASI();
    const r = instantiate(reactor(), wasi);
    wasi.initialize(r);
    expect(() => wasi.initialize(r)).toThrow('initialize() called on a WASI object that is already initialized');
    expect(inits(r)).toBe(1);
  });

  it('start() on a reactor says to call initialize(), and changes nothing', () => {
    const wasi = new WASI();
    const r = instantiate(reactor(), wasi);
    expect(() => wasi.start(r)).toThrow(new TypeError('this module is a reactor: call initialize(), not start()'));
    expect(inits(r)).toBe(0);
    wasi.initialize(r);
    expect(inits(r)).toBe(1);
  });

  it('a reactor whose memory is imported needs setMemory() first', () => {
    const wasi = new WASI();
    const memoryless = instantiate(reactor(true, false), wasi);
    expect(() => wasi.initialize(memoryless)).toThrow('the instance exports no memory; call setMemory first');
    expect(inits(memoryless)).toBe(0);
    wasi.setMemory(new WebAssembly.Memory({ initial: 1 }));
    wasi.initialize(memoryless);
    expect(probe(memoryless, 2)).toBe(Errno.SUCCESS);
  });
});

describe('commands', () => {
  it('start() returns the exit code and closes every descriptor', () => {
    const wasi = new WASI();
    expect(wasi.start(instantiate(command(), wasi))).toBe(5);
    expect(wasi.table.size).toBe(0);
  });

  it('initialize() on a command says to call start(), and changes nothing', () => {
    const wasi = new WASI();
    const c = instantiate(command(), wasi);
    expect(() => wasi.initialize(c)).toThrow(new TypeError('this module is a command: call start(), not initialize()'));
    expect(wasi.start(c)).toBe(5);
  });

  it('start() twice is an error', () => {
    const wasi = new WASI();
    const c = instantiate(command(), wasi);
    wasi.start(c);
    expect(() => wasi.start(c)).toThrow('start() called on a WASI object that is already ended');
    expect(() => wasi.start(instantiate(command(), wasi))).toThrow('already ended');
  });

  it('start() after initialize() and initialize() after start() are errors', () => {
    const a = new WASI();
    a.initialize(instantiate(reactor(), a));
    expect(() => a.start(instantiate(command(), a))).toThrow('start() called on a WASI object that is already initialized');
    const b = new WASI();
    b.start(instantiate(command(), b));
    expect(() => b.initialize(instantiate(reactor(), b))).toThrow('initialize() called on a WASI object that is already ended');
  });

  it('a module with neither entry point: start() says there is no _start', () => {
    const wasi = new WASI();
    const none = instantiate(wasmModule({ funcs: [] }), wasi);
    expect(() => wasi.start(none)).toThrow(new TypeError('the module exports no _start'));
  });

  it('a command started while another instance of it runs (a thread) is refused', () => {
    const wasi = new WASI();
    let nested: unknown;
    const bytes = wasmModule({
      imports: [{ module: 'host', name: 'during', params: [], results: [] }, PROC_EXIT],
      funcs: [{ name: '_start', body: [...op.call(0), ...op.i32(0), ...op.call(1)] }],
    });
    const module = new WebAssembly.Module(bytes);
    const imports = {
      ...wasi.getImportObject(),
      host: {
        during: () => {
          try {
            wasi.start(new WebAssembly.Instance(module, imports as WebAssembly.Imports));
          } catch (e) {
            nested = e;
          }
        },
      },
    };
    expect(wasi.start(new WebAssembly.Instance(module, imports as WebAssembly.Imports))).toBe(0);
    expect(String(nested)).toBe('Error: start() called on a WASI object that is already running');
  });
});

// refwasi/node as a drop-in for node:wasi: the same program (tests/wasm/nodewasi_app.wasm, a
// C program reading and writing files in a preopen and exiting through proc_exit) run by the
// same node:wasi-style script, once with `require('node:wasi')` and once with only that import
// changed, in child processes: same output, same files, same exit status. Then every option as
// node:wasi means it, and every bad option refused.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { WASI as CoreWASI, MemoryDirectory } from '../src/index';
import { WASI, NodeDirectory } from '../src/node';
import { exitCommand } from './helpers/tiny-wasm';

const APP = path.join(__dirname, 'wasm', 'nodewasi_app.wasm');
let work: string;
let nodeEntry: string;

beforeAll(() => {
  work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-dropin-')));
  nodeEntry = path.join(work, 'refwasi-node.js');
  buildSync({ entryPoints: [path.join(__dirname, '..', 'src', 'node.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: nodeEntry, logLevel: 'error' });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A program written for node:wasi, word for word as its documentation has it. */
function nodeWasiScript(returnOnExit: boolean): string {
  return `
const { readFileSync } = require('node:fs');
const { WASI } = require('node:wasi');
const wasi = new WASI({
  version: 'preview1',
  args: ['nodewasi_app', '/sandbox'],
  env: process.env,
  preopens: { '/sandbox': process.argv[2] },
  returnOnExit: ${returnOnExit},
});
const wasm = new WebAssembly.Module(readFileSync(${JSON.stringify(APP)}));
const instance = new WebAssembly.Instance(wasm, wasi.getImportObject());
const code = wasi.start(instance);
console.log('start returned ' + code);
process.exitCode = code;
`;
}

function runScript(source: string, dir: string): { status: number | null; stdout: string; out: string } {
  const file = path.join(work, `script-${Math.random().toString(36).slice(2)}.js`);
  fs.writeFileSync(file, source);
  const r = spawnSync(process.execPath, ['--no-warnings', file, dir], { encoding: 'utf8', env: { ...process.env, GREETING: 'hello' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, out: fs.readFileSync(path.join(dir, 'out.txt'), 'utf8') };
}

function sandbox(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'in.txt'), 'one\ntwo\nthree\n');
  return dir;
}

describe('a node:wasi program switches by changing its import', () => {
  it.each([true, false])('returnOnExit: %s gives what node:wasi gives', (returnOnExit) => {
    const script = nodeWasiScript(returnOnExit);
    const withRefwasi = script.replace("require('node:wasi')", `require(${JSON.stringify(nodeEntry)})`);
    expect(withRefwasi).not.toBe(script);
    const node = runScript(script, sandbox(`node-${returnOnExit}`));
    const ours = runScript(withRefwasi, sandbox(`refwasi-${returnOnExit}`));
    const expected = {
      status: 3,
      // returnOnExit: false ends the process inside proc_exit: the script's last lines never run.
      stdout: returnOnExit ? 'lines=3 greeting=hello\nstart returned 3\n' : 'lines=3 greeting=hello\n',
      out: 'ONE\nTWO\nTHREE\n',
    };
    expect(node).toEqual(expected);
    expect(ours).toEqual(expected);
  });
});

describe("node:wasi's options", () => {
  const run = (wasi: WASI, wasm: Uint8Array<ArrayBuffer>): number =>
    wasi.start(new WebAssembly.Instance(new WebAssembly.Module(wasm), wasi.getImportObject() as WebAssembly.Imports));

  it('returnOnExit defaults to true, as on Node 20: start() returns the code', () => {
    expect(run(new WASI({ version: 'preview1' }), exitCommand(7))).toBe(7);
    expect(run(new WASI({ version: 'preview1', returnOnExit: true }), exitCommand(0))).toBe(0);
  });

  it('version may be left out (node:wasi requires it); anything but preview1 is a TypeError', () => {
    expect(run(new WASI(), exitCommand(1))).toBe(1);
    expect(() => new WASI({ version: 'unstable' as never })).toThrow(new TypeError("version: refwasi implements only 'preview1', not 'unstable'"));
    expect(() => new WASI({ version: 1 as never })).toThrow(TypeError);
    expect(() => new CoreWASI({ version: 'preview2' as never })).toThrow(TypeError);
  });

  it('a preopen given as a host path is a NodeDirectory; a missing one fails at construction', () => {
    const dir = sandbox('preopen-path');
    const viaPath = new WASI({ preopens: { '/sandbox': dir } });
    expect(viaPath.table.get(3).preopenPath).toBe('/sandbox');
    expect(viaPath.table.get(3).handle.kind).toBe('directory');
    expect(() => new WASI({ preopens: { '/x': path.join(work, 'missing') } })).toThrow(/preopens\['\/x'\]: cannot open '.*missing': ENOENT/);
    // Directory objects still work, mixed with paths, in order.
    const mixed = new WASI({ preopens: { a: new MemoryDirectory(), b: dir, c: new NodeDirectory(dir) } });
    expect([3, 4, 5].map((fd) => mixed.table.get(fd).preopenPath)).toEqual(['a', 'b', 'c']);
  });

  it('env takes process.env: variables set to undefined are left out', () => {
    const env: NodeJS.ProcessEnv = { A: '1', B: undefined, C: '' };
    const wasi = new WASI({ env });
    const imports = wasi.getImportObject().wasi_snapshot_preview1 as unknown as Record<string, (...a: number[]) => number>;
    const memory = new WebAssembly.Memory({ initial: 1 });
    wasi.setMemory(memory);
    expect(imports.environ_sizes_get(0, 4)).toBe(0);
    const view = new DataView(memory.buffer);
    expect([view.getUint32(0, true), view.getUint32(4, true)]).toEqual([2, 'A=1\0C=\0'.length]);
    expect(() => new WASI({ env: { A: 1 } as never })).toThrow(new TypeError('env.A must be a string, not number'));
  });

  it('stdout and stderr as host fd numbers: written, and borrowed (never closed by the guest)', () => {
    const file = path.join(work, 'stdout.txt');
    const fd = fs.openSync(file, 'w');
    try {
      const wasi = new WASI({ args: ['app', '/sandbox'], stdout: fd, stderr: fd, preopens: { '/sandbox': sandbox('fd-out') } });
      expect(run(wasi, new Uint8Array(fs.readFileSync(APP)))).toBe(3);
      // start() closed every guest descriptor; the host fd is still ours.
      expect(() => fs.fstatSync(fd)).not.toThrow();
      fs.writeSync(fd, 'after\n');
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('lines=3 greeting=(none)\nafter\n');
  });

  it('stdin as a host fd number is read from that fd', () => {
    const file = path.join(work, 'stdin.txt');
    fs.writeFileSync(file, 'from a host fd');
    const fd = fs.openSync(file, 'r');
    try {
      const wasi = new WASI({ stdin: fd });
      const imports = wasi.getImportObject().wasi_snapshot_preview1 as unknown as Record<string, (...a: number[]) => number>;
      const memory = new WebAssembly.Memory({ initial: 1 });
      wasi.setMemory(memory);
      new DataView(memory.buffer).setUint32(0, 64, true);
      new DataView(memory.buffer).setUint32(4, 100, true);
      expect(imports.fd_read(0, 0, 1, 8)).toBe(0);
      const n = new DataView(memory.buffer).getUint32(8, true);
      expect(Buffer.from(memory.buffer, 64, n).toString()).toBe('from a host fd');
      expect(imports.fd_close(0)).toBe(0);
      expect(() => fs.fstatSync(fd)).not.toThrow();
    } finally {
      fs.closeSync(fd);
    }
  });

  it("node:wasi's methods: start, initialize, getImportObject, wasiImport", () => {
    const wasi = new WASI({ version: 'preview1' });
    const imports = wasi.getImportObject();
    expect(Object.keys(imports).sort()).toEqual(['wasi_snapshot_preview1', 'wasix_32v1']);
    expect(wasi.wasiImport).toBe(imports.wasi_snapshot_preview1);
    expect(typeof wasi.start).toBe('function');
    expect(typeof wasi.initialize).toBe('function');
  });

  it.each([
    [{ bogus: 1 }, /unknown WASI option 'bogus'/],
    [{ returnOnexit: true }, /unknown WASI option 'returnOnexit'/],
    [{ returnOnExit: 'yes' }, /returnOnExit must be a boolean/],
    [{ stdout: -1 }, /stdout must be a host fd/],
    [{ stdin: 1.5 }, /stdin must be a host fd/],
    [{ args: 'prog' }, /args must be an array of strings/],
    [{ args: ['a', 1] }, /args must be an array of strings/],
    [{ preopens: ['x'] }, /preopens must be an object/],
    [{ preopens: { '/a': 3 } }, /preopens\['\/a'\] must be a directory/],
    [{ trace: true }, /trace must be a function/],
  ])('%j is a TypeError', (options, message) => {
    expect(() => new WASI(options as never)).toThrow(TypeError);
    expect(() => new WASI(options as never)).toThrow(message);
  });

  it('options that are not an object are a TypeError', () => {
    expect(() => new WASI('x' as never)).toThrow(new TypeError("WASI options must be an object, not 'x'"));
    expect(() => new WASI(null as never)).toThrow(TypeError);
  });
});

describe('the browser-safe entry says what needs refwasi/node', () => {
  it.each([
    [{ preopens: { '/sandbox': './data' } }, "preopens['/sandbox']: a host path needs the Node backend: import { WASI } from 'refwasi/node'"],
    [{ stdout: 1 }, "stdout: a host fd number needs the host's fds: import { WASI } from 'refwasi/node'"],
    [{ stdin: 0 }, "stdin: a host fd number needs the host's fds: import { WASI } from 'refwasi/node'"],
    [{ returnOnExit: false }, "returnOnExit: false ends the host process on proc_exit: import { WASI } from 'refwasi/node'"],
    [{ frobnicate: true }, /^unknown WASI option 'frobnicate'/],
  ])('%j', (options, message) => {
    expect(() => new CoreWASI(options as never)).toThrow(TypeError);
    expect(() => new CoreWASI(options as never)).toThrow(message);
  });

  it('takes node:wasi options that mean the same there: version, returnOnExit: true, env with undefined', () => {
    expect(() => new CoreWASI({ version: 'preview1', returnOnExit: true, env: { A: undefined, B: 'b' } })).not.toThrow();
  });
});

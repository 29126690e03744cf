// Every C fixture of fixtures/testsuite again, with the same expectations as
// tests/fixtures.test.ts, but over real directories: each listed dir is copied to a temp dir
// and preopened through NodeDirectory. Afterwards the copy must be as it was, every host fd
// NodeFileHandle opened must be closed exactly once, and /proc/self/fd must list exactly
// the fds it listed before the run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeDirectory, NodeFileHandle } from '../src/backends/node';
import { WASI } from '../src/wasi';
import { listSpecs, readSpec, SUITE } from './helpers/fixture-specs';

const specs = listSpecs();

/** The process's open fds as /proc/self/fd shows them (fd -> target), sorted. */
function hostFds(): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      out.push(`${name} -> ${fs.readlinkSync(`/proc/self/fd/${name}`)}`);
    } catch {
      // the fd readdir itself used
    }
  }
  return out.sort();
}

/** A directory on disk as path -> what it is (files by content), for before/after comparison. */
function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    out[rel] = st.isFile() ? `file:${fs.readFileSync(p).toString('hex')}` : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `symlink:${fs.readlinkSync(p)}` : 'other';
  }
  return out;
}

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-fixtures-node-')));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Outcome {
  got: { exit_code: number; stdout: string; stderr: string };
  copies: Record<string, string>;
  fdsBefore: string[];
  fdsAfter: string[];
  opened: number;
  closed: number;
  doubleCloses: number;
  tableSize: number;
}

/** Runs fixture `name` over fresh copies of its dirs; everything measured stays synchronous. */
function runOverNode(name: string): Outcome {
  const spec = readSpec(name);
  const module = new WebAssembly.Module(fs.readFileSync(path.join(SUITE, `${name}.wasm`)));
  const copies: Record<string, string> = {};
  for (const dir of spec.dirs ?? []) {
    copies[dir] = path.join(tmp, dir);
    fs.cpSync(path.join(SUITE, dir), copies[dir], { recursive: true });
  }
  const counters = { ...NodeFileHandle.counters };
  const fdsBefore = hostFds();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const preopens: Record<string, NodeDirectory> = {};
  for (const [dir, copy] of Object.entries(copies)) preopens[dir] = new NodeDirectory(copy);
  const wasi = new WASI({
    args: [`${name}.wasm`, ...(spec.args ?? [])],
    env: spec.env ?? {},
    preopens,
    stdout: (chunk) => void stdout.push(Buffer.from(chunk)),
    stderr: (chunk) => void stderr.push(Buffer.from(chunk)),
    renumber: spec.refwasi?.renumber ?? 'strict',
  });
  const code = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject() as unknown as WebAssembly.Imports));
  const fdsAfter = hostFds();
  const c = NodeFileHandle.counters;
  return {
    got: { exit_code: code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') },
    copies,
    fdsBefore,
    fdsAfter,
    opened: c.opened - counters.opened,
    closed: c.closed - counters.closed,
    doubleCloses: c.doubleCloseAttempts - counters.doubleCloseAttempts,
    tableSize: wasi.table.size,
  };
}

describe('C fixtures over NodeDirectory (real directories)', () => {
  it('has the fixture suite', () => {
    expect(specs.length).toBeGreaterThanOrEqual(30);
    expect(specs).toEqual(expect.arrayContaining(['numpy_npy', 'numpy_load', 'close_order', 'dup_thousand']));
  });

  test.each(specs)('%s', (name) => {
    const spec = readSpec(name);
    const r = runOverNode(name);
    expect(r.got).toEqual({
      exit_code: spec.exit_code ?? 0,
      stdout: spec.stdout ?? r.got.stdout,
      stderr: spec.stderr ?? r.got.stderr,
    });
    for (const [dir, copy] of Object.entries(r.copies)) {
      expect({ dir, tree: treeOf(copy) }).toEqual({ dir, tree: treeOf(path.join(SUITE, dir)) });
    }
    // From the host side: every host fd opened was closed exactly once, and the process
    // holds exactly the fds it held before.
    expect({ closed: r.closed, doubleCloses: r.doubleCloses }).toEqual({ closed: r.opened, doubleCloses: 0 });
    expect(r.fdsAfter).toEqual(r.fdsBefore);
    expect(r.tableSize).toBe(0);
  });

  it('the file-using fixtures really opened host files (the balance above is not vacuous)', () => {
    expect(runOverNode('close_order').opened).toBeGreaterThanOrEqual(6);
    expect(runOverNode('numpy_npy').opened).toBeGreaterThanOrEqual(2);
  });
});

/** Parses a NumPy format 1.0 .npy of little-endian float64 (what numpy_npy writes). */
function parseNpy(bytes: Buffer): { descr: string; fortran: string; shape: number[]; values: number[] } {
  expect(bytes.subarray(0, 6).equals(Buffer.from([0x93, ...Buffer.from('NUMPY')]))).toBe(true);
  expect([bytes[6], bytes[7]]).toEqual([1, 0]);
  const headerLen = bytes.readUInt16LE(8);
  expect((10 + headerLen) % 64).toBe(0);
  const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
  expect(header.endsWith('\n')).toBe(true);
  const m = /^\{'descr': '([^']*)', 'fortran_order': (True|False), 'shape': \(([\d, ]*)\), \} *\n$/.exec(header);
  if (m === null) throw new Error(`not an .npy header: ${JSON.stringify(header)}`);
  const shape = m[3].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const data = bytes.subarray(10 + headerLen);
  const values = Array.from({ length: data.length / 8 }, (_, i) => data.readDoubleLE(8 * i));
  return { descr: m[1], fortran: m[2], shape, values };
}

describe('the NumPy story', () => {
  it('numpy_npy writes a real .npy file: caught just before the fixture removes it, it parses', () => {
    let captured: Buffer | null = null;
    const unlink = NodeDirectory.prototype.unlink;
    const spy = jest.spyOn(NodeDirectory.prototype, 'unlink').mockImplementation(function (this: NodeDirectory, name: string) {
      if (name.endsWith('.npy')) captured = fs.readFileSync(path.join(this.hostPath, name));
      return unlink.call(this, name);
    });
    try {
      const r = runOverNode('numpy_npy');
      expect(r.got.exit_code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(captured).not.toBeNull();
    expect(parseNpy(captured!)).toEqual({
      descr: '<f8', fortran: 'False', shape: [5], values: [0.5, -1.25, 3, 1e10, -0.0078125],
    });
  });

  it('the committed small.npy that numpy_load reads parses the same way', () => {
    expect(parseNpy(fs.readFileSync(path.join(SUITE, 'fs-tests.dir', 'small.npy')))).toEqual({
      descr: '<f8', fortran: 'False', shape: [3], values: [1.5, -2.25, 1024],
    });
  });
});

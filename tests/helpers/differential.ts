// The differential runs: one seeded C program (tests/wasm/differential.c), run natively on
// Linux (the reference), under refwasi over MemoryDirectory and NodeDirectory, and (the
// variant without the dup extension) under node:wasi. Each run gives the program's transcript
// and the final tree of its directory as seen from the host.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryDirectory, type Tree } from '../../src/backends/memory';
import { NodeDirectory, NodeFileHandle } from '../../src/backends/node';
import { WASI } from '../../src/wasi';

export const REPO = path.resolve(__dirname, '../..');

export interface Variant {
  name: 'differential' | 'differential-nodup';
  defines: string[];
}

export const DIFFERENTIAL = {
  source: 'tests/wasm/differential.c',
  /** Everything tests/wasm/build.ts reads besides the system headers: a change to any makes its outputs stale. */
  inputs: ['tests/wasm/differential.c', 'tests/wasm/lost.c', 'fixtures/include/refwasi_dup.h'],
  /** The .wasm it writes. */
  outputs: ['tests/wasm/differential.wasm', 'tests/wasm/differential-nodup.wasm', 'tests/wasm/lost.wasm'],
  variants: [
    { name: 'differential', defines: [] },
    { name: 'differential-nodup', defines: ['-DNO_DUP'] },
  ] as Variant[],
  seeds: [1, 2, 3, 4, 5],
  ops: 1200,
  golden: 'tests/wasm/differential.golden.json',
};

/** The directory every run starts from. */
export const INITIAL_TREE = { 'seed.txt': 'seed data\n', d0: { 'inner.txt': 'inner\n' } } satisfies Tree;

export interface RunResult {
  stdout: string;
  /** `path` for directories (ending in /), `path size sha256` for files, sorted. */
  tree: string[];
  exitCode: number;
}

export interface Golden {
  /** sha256 of every input, by path. */
  sources: Record<string, string>;
  /** sha256 of every output, by path. */
  wasm: Record<string, string>;
  compiler: string;
  ops: number;
  runs: Record<string, Record<string, RunResult>>;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

export function fileHash(file: string): string {
  return sha256(fs.readFileSync(path.join(REPO, file)));
}

export function hashes(files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, fileHash(f)]));
}

// ---------------------------------------------------------------------------------------
// Trees.

function writeTree(dir: string, tree: Tree): void {
  for (const [name, value] of Object.entries(tree)) {
    const at = path.join(dir, name);
    if (typeof value === 'string' || value instanceof Uint8Array) fs.writeFileSync(at, value);
    else {
      fs.mkdirSync(at);
      writeTree(at, value as Tree);
    }
  }
}

/** A host directory's tree, listed the same way for every run. */
export function hostTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const rel = prefix + name;
    const st = fs.lstatSync(full);
    if (st.isDirectory()) {
      out.push(`${rel}/`);
      out.push(...hostTree(full, `${rel}/`));
    } else if (st.isFile()) {
      const data = fs.readFileSync(full);
      out.push(`${rel} ${data.byteLength} ${sha256(data)}`);
    } else {
      out.push(`${rel} other`);
    }
  }
  return out;
}

export function memoryTree(tree: Tree, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of Object.keys(tree).sort()) {
    const v = tree[name];
    const rel = prefix + name;
    if (v instanceof Uint8Array) out.push(`${rel} ${v.byteLength} ${sha256(v)}`);
    else if (typeof v === 'string') out.push(`${rel} ${Buffer.byteLength(v)} ${sha256(v)}`);
    else if ('symlink' in v && typeof v.symlink === 'string') out.push(`${rel} other`);
    else {
      out.push(`${rel}/`);
      out.push(...memoryTree(v as Tree, `${rel}/`));
    }
  }
  return out;
}

function tempDir(tag: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `refwasi-${tag}-`)));
}

// ---------------------------------------------------------------------------------------
// Linux.

/**
 * A native C compiler that can build against the system's headers: NATIVE_CC, else gcc, else
 * cc, else clang; null if there is none (a compiler without libc headers does not count).
 */
export function nativeCompiler(): string | null {
  const candidates = process.env.NATIVE_CC ? [process.env.NATIVE_CC] : ['gcc', 'cc', 'clang'];
  const dir = tempDir('differential-cc');
  try {
    const src = path.join(dir, 'probe.c');
    fs.writeFileSync(src, '#include <dirent.h>\n#include <fcntl.h>\n#include <stdio.h>\n#include <unistd.h>\nint main(void) { return 0; }\n');
    for (const cc of candidates) {
      const r = spawnSync(cc, ['-o', path.join(dir, 'probe'), src], { encoding: 'utf8' });
      if (!r.error && r.status === 0) return cc;
    }
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function compilerVersion(cc: string): string {
  return spawnSync(cc, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
}

export function compileNative(cc: string, v: Variant, outDir: string): string {
  const bin = path.join(outDir, v.name);
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-I', path.join(REPO, 'fixtures/include'), ...v.defines, '-o', bin, path.join(REPO, DIFFERENTIAL.source)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${cc} failed: ${r.stderr}${r.error?.message ?? ''}`);
  return bin;
}

export function runNative(bin: string, seed: number, ops: number): RunResult {
  const cwd = tempDir('differential-native');
  try {
    fs.mkdirSync(path.join(cwd, 'work'));
    writeTree(path.join(cwd, 'work'), INITIAL_TREE);
    const r = spawnSync(bin, [String(seed), String(ops)], { cwd, encoding: 'utf8', env: {}, timeout: 60_000 });
    if (r.error) throw r.error;
    return { stdout: r.stdout, tree: hostTree(path.join(cwd, 'work')), exitCode: r.status ?? -1 };
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// refwasi.

const modules = new Map<string, WebAssembly.Module>();
export function loadModule(v: Variant): WebAssembly.Module {
  let m = modules.get(v.name);
  if (!m) {
    m = new WebAssembly.Module(fs.readFileSync(path.join(REPO, `tests/wasm/${v.name}.wasm`)));
    modules.set(v.name, m);
  }
  return m;
}

export interface RefwasiRun extends RunResult {
  /** Host handles left open or closed twice after the run (must be empty). */
  leaks: string[];
}

export function runRefwasi(v: Variant, backend: 'memory' | 'node', seed: number, ops: number): RefwasiRun {
  const chunks: Buffer[] = [];
  const args = [v.name, String(seed), String(ops)];
  if (backend === 'memory') {
    const root = MemoryDirectory.from(INITIAL_TREE);
    const wasi = new WASI({ args, preopens: { work: root }, stdout: (c) => chunks.push(Buffer.from(c)), stderr: (c) => chunks.push(Buffer.from(c)) });
    const code = wasi.start(new WebAssembly.Instance(loadModule(v), wasi.getImportObject()));
    const leaks = [
      ...(root.openHandles !== 0 ? [`${root.openHandles} handles open`] : []),
      ...(root.doubleCloses !== 0 ? [`${root.doubleCloses} double closes`] : []),
    ];
    return { stdout: Buffer.concat(chunks).toString('utf8'), tree: memoryTree(root.toTree()), exitCode: code, leaks };
  }
  const dir = tempDir('differential-node');
  try {
    writeTree(dir, INITIAL_TREE);
    const before = { ...NodeFileHandle.counters };
    const wasi = new WASI({ args, preopens: { work: new NodeDirectory(dir) }, stdout: (c) => chunks.push(Buffer.from(c)), stderr: (c) => chunks.push(Buffer.from(c)) });
    const code = wasi.start(new WebAssembly.Instance(loadModule(v), wasi.getImportObject()));
    const c = NodeFileHandle.counters;
    const leaks: string[] = [];
    if (c.opened - before.opened !== c.closed - before.closed) leaks.push(`host fds: ${c.opened - before.opened} opened, ${c.closed - before.closed} closed`);
    if (c.doubleCloseAttempts !== before.doubleCloseAttempts) leaks.push('a host fd closed twice');
    return { stdout: Buffer.concat(chunks).toString('utf8'), tree: hostTree(dir), exitCode: code, leaks };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// node:wasi.

export function runNodeWasi(v: Variant, seed: number, ops: number): RunResult {
  // Loaded here so that only this run pays for (and warns about) the experimental module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WASI: NodeWASI } = require('node:wasi') as typeof import('node:wasi');
  const dir = tempDir('differential-nodewasi');
  const out = path.join(tempDir('differential-nodewasi-out'), 'stdout');
  const fd = fs.openSync(out, 'w');
  try {
    writeTree(dir, INITIAL_TREE);
    const wasi = new NodeWASI({
      version: 'preview1', args: [v.name, String(seed), String(ops)], env: {}, preopens: { work: dir }, stdout: fd, stderr: fd, returnOnExit: true,
    });
    const instance = new WebAssembly.Instance(loadModule(v), wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    fs.closeSync(fd);
    return { stdout: fs.readFileSync(out, 'utf8'), tree: hostTree(dir), exitCode: code };
  } finally {
    try { fs.closeSync(fd); } catch { /* closed already */ }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/** The first line where two transcripts differ, with a little context; null if they are equal. */
export function firstDifference(got: string, want: string): string | null {
  if (got === want) return null;
  const a = got.split('\n');
  const b = want.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `line ${i + 1}:\n  got:  ${a[i] ?? '(end)'}\n  want: ${b[i] ?? '(end)'}\n  before: ${a.slice(Math.max(0, i - 3), i).join(' | ')}`;
    }
  }
  return 'transcripts differ';
}

// ---------------------------------------------------------------------------------------
// node:wasi's documented bugs (README, docs/robustness.md), as they show in a transcript.

export interface Deviation {
  name: string;
  /** What node:wasi does wrong, as the docs say it. */
  bug: string;
  /** Does this bug explain node:wasi's line `got` where Linux printed `want`? */
  explains(got: string, want: string): boolean;
}

export const NODE_WASI_DEVIATIONS: Deviation[] = [
  {
    name: 'renumber-self',
    bug: 'fd_renumber(fd, fd) succeeds even when fd is not open (EBADF everywhere else)',
    explains: (got, want) => /^\d+ renumber (\d+) \1 = 0$/.test(got) && want === got.replace(/= 0$/, '= EBADF'),
  },
  {
    name: 'fdflags-raw',
    bug: "fd_fdstat_get reports the host's raw open flags as fdflags: O_WRONLY (1) reads as APPEND, and the real O_APPEND never shows",
    explains: (got, want) => {
      const g = /^(\d+ getfl \d+ = (\w+))( append)?$/.exec(got);
      const w = /^(\d+ getfl \d+ = (\w+))( append)?$/.exec(want);
      // Same line but for " append", which node:wasi shows exactly when the access mode is w.
      return g !== null && w !== null && g[1] === w[1] && (g[3] !== undefined) === (g[2] === 'w');
    },
  },
];

/** Compares line by line; a line that differs must be explained by one of `deviations`. */
export function compareAllowing(got: string, want: string, deviations: Deviation[]): { problem: string | null; used: Record<string, number> } {
  const used: Record<string, number> = {};
  const a = got.split('\n');
  const b = want.split('\n');
  if (a.length !== b.length) return { problem: firstDifference(got, want), used };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const d = deviations.find((x) => x.explains(a[i], b[i]));
    if (!d) return { problem: `line ${i + 1}:\n  got:  ${a[i]}\n  want: ${b[i]}`, used };
    used[d.name] = (used[d.name] ?? 0) + 1;
  }
  return { problem: null, used };
}

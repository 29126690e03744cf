// One test under one in-process runtime, in a child process of the conformance runner: the
// child's stdout, stderr and exit status are the program's, exactly as for an external
// command, so every runtime is judged the same way. Run as
// `node --no-warnings child.js '<Request as JSON>'`; the preopens are the test's isolated copies.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tree } from '../backends/memory';

export interface Request {
  runtime: 'refwasi' | 'refwasi-node' | 'node:wasi' | 'browser_wasi_shim';
  wasm: string;
  /** argv, program name first. */
  args: string[];
  env: Record<string, string>;
  /** Host copies, preopened under their guest names. */
  dirs: { host: string; guest: string }[];
  renumber: 'strict' | 'permissive';
  /** Where browser_wasi_shim's ESM entry is (resolved by the parent). */
  shim?: string;
}

/** A host directory as a MemoryDirectory tree (files as bytes, symlinks kept). */
function treeOf(dir: string): Tree {
  const tree: Tree = {};
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) tree[name] = { symlink: readlinkSync(p) };
    else if (st.isDirectory()) tree[name] = treeOf(p);
    else tree[name] = new Uint8Array(readFileSync(p));
  }
  return tree;
}

async function runRefwasi(req: Request, module: WebAssembly.Module, bytes: Uint8Array): Promise<number> {
  // Loaded here, not at the top, so the other runtimes never load refwasi at all.
  const { WASI, MemoryDirectory, NodeDirectory, importsThreadSpawn, runThreads } = require('../node') as typeof import('../node');
  const preopens: Record<string, InstanceType<typeof MemoryDirectory> | InstanceType<typeof NodeDirectory>> = {};
  for (const d of req.dirs) preopens[d.guest] = req.runtime === 'refwasi' ? MemoryDirectory.from(treeOf(d.host)) : new NodeDirectory(d.host);
  const options = {
    args: req.args, env: req.env, preopens, renumber: req.renumber, stdin: 'inherit', stdout: 'inherit', stderr: 'inherit',
  } as const;
  // A threaded program runs as `wasmtime run -S threads` runs it: a worker per thread, one WASI.
  if (importsThreadSpawn(module)) return runThreads(bytes, options);
  const wasi = new WASI(options);
  return wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
}

function runNodeWasi(req: Request, module: WebAssembly.Module): number {
  const { WASI } = require('node:wasi') as typeof import('node:wasi');
  const preopens = Object.fromEntries(req.dirs.map((d) => [d.guest, d.host]));
  const wasi = new WASI({ version: 'preview1', args: req.args, env: req.env, preopens, returnOnExit: true });
  return wasi.start(new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports));
}

// The part of browser_wasi_shim's API used here, typed locally: it is an optional dependency.
interface ShimModule {
  WASI: new (args: string[], env: string[], fds: unknown[]) => { wasiImport: WebAssembly.ModuleImports; start(i: WebAssembly.Instance): number };
  File: new (data: Uint8Array) => unknown;
  Directory: new (contents: Map<string, unknown>) => unknown;
  OpenFile: new (file: unknown) => unknown;
  ConsoleStdout: new (write: (b: Uint8Array) => void) => unknown;
  PreopenDirectory: new (name: string, contents: Map<string, unknown>) => unknown;
}

async function runShim(req: Request, module: WebAssembly.Module): Promise<number> {
  if (req.shim === undefined) throw new Error('browser_wasi_shim is not installed');
  const shim = (await import(pathToFileURL(req.shim).href)) as ShimModule;
  const contents = (dir: string): Map<string, unknown> => {
    const map = new Map<string, unknown>();
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) map.set(name, new shim.Directory(contents(p)));
      else if (st.isFile()) map.set(name, new shim.File(new Uint8Array(readFileSync(p))));
      // The shim has no symlinks: they are left out.
    }
    return map;
  };
  const fds = [
    new shim.OpenFile(new shim.File(new Uint8Array())),
    new shim.ConsoleStdout((b) => process.stdout.write(b)),
    new shim.ConsoleStdout((b) => process.stderr.write(b)),
    ...req.dirs.map((d) => new shim.PreopenDirectory(d.guest, contents(d.host))),
  ];
  const wasi = new shim.WASI(req.args, Object.entries(req.env).map(([k, v]) => `${k}=${v}`), fds);
  return wasi.start(new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi.wasiImport }));
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '') as Request;
  const bytes = new Uint8Array(readFileSync(req.wasm));
  const module = new WebAssembly.Module(bytes);
  try {
    const code = req.runtime === 'node:wasi' ? runNodeWasi(req, module)
      : req.runtime === 'browser_wasi_shim' ? await runShim(req, module)
      : await runRefwasi(req, module, bytes);
    process.exitCode = code;
  } catch (e) {
    // A trap or a runtime's own exception: one line, and the status wasmtime gives a trap.
    process.stderr.write(`${req.runtime}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`.replace(/\n(?!$)/g, ' '));
    process.exitCode = 134;
  }
}

void main();

// Run by tests/threads-stdin.test.ts in a child process (bundled by esbuild first, with the
// kernel worker and the thread worker beside it): runs a threaded wasm program whose stdin
// is the child's own host stdin, and sets the exit code without process.exit, so the child
// ends only if nothing (a read of stdin still in flight) keeps it alive.
//   argv: 'run' | 'embed', the wasm path, then the program's arguments
//   run:   runThreads (the kernel in this thread, every guest thread in a worker)
//   embed: new WASI({ threads: true }) (the kernel in a worker of its own), `_start` on this
//          thread, each spawned thread in a worker that joins with its handle
//   STDIN_FD=n: stdin is host fd n instead of 'inherit'
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { memoryImport, runThreads, WASI, type WASIOptions } from '../../src/node';

const [mode, file, ...args] = process.argv.slice(2);
const bytes = fs.readFileSync(file);
const stdin = process.env.STDIN_FD === undefined ? 'inherit' : Number(process.env.STDIN_FD);
const dir = path.join(path.dirname(file), 'fs-tests.dir');
const options: WASIOptions = { args: [path.basename(file), ...args], stdin, stdout: 'inherit', stderr: 'inherit', preopens: { 'fs-tests.dir': dir } };

async function embed(): Promise<number> {
  const module = new WebAssembly.Module(bytes);
  const limits = memoryImport(bytes)!;
  const memory = new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum, shared: true });
  const wasi = new WASI({ ...options, threads: true });
  const workers: Worker[] = [];
  let nextTid = 1;
  const spawn = (arg: number): number => {
    const tid = nextTid++;
    const workerData = { handle: wasi.threadHandle(), module, memory, tid, arg };
    workers.push(new Worker(path.join(__dirname, 'embedder-thread.js'), { workerData }));
    return tid;
  };
  const imports = { ...wasi.getImportObject(), env: { memory }, wasi: { 'thread-spawn': spawn } } as WebAssembly.Imports;
  const instance = new WebAssembly.Instance(module, imports);
  wasi.setMemory(memory);
  const code = wasi.start(instance);
  // Set now: `wasi.ended` keeps nothing alive, so the process may end before it settles.
  process.exitCode = code;
  await wasi.ended;
  await Promise.all(workers.map((w) => w.terminate()));
  return code;
}

(mode === 'embed' ? embed() : runThreads(bytes, options)).then(
  (code) => { process.exitCode = code; },
  (e) => { fs.writeSync(2, `child failed: ${String(e?.stack ?? e)}\n`); process.exitCode = 99; },
);

import { Worker } from 'node:worker_threads';
import { WasiTrap } from '../abi/errors';
import type { WASI } from '../wasi';
import type { ProgramEnd } from './kernel';
import { memoryImport } from './memory-import';
import { nodeThreadWorkerSource, type ThreadOutcome, type ThreadStart } from './worker-source';

/**
 * Runs a wasi-threads program (a command that imports a shared memory and
 * `wasi.thread-spawn`) as `wasmtime run -S threads` does: `_start` in a worker, one more
 * worker for every thread running at once, all over one shared memory and one WASI (this
 * thread is the kernel: it runs no guest code, so it is always free to serve the threads'
 * calls). A worker whose thread is over waits for the next spawn, and one spare is kept
 * started, so a spawn costs an instance, not a worker start.
 * Resolves with the exit code once every worker is stopped and every descriptor closed:
 * `_start` returning is 0, proc_exit in any thread is its code; a trap in any thread rejects
 * with a WasiTrap.
 */
export async function runThreadsWith(wasi: WASI, module: WebAssembly.Module, bytes: Uint8Array): Promise<number> {
  const kernel = wasi.kernel;
  if (kernel === null) throw new TypeError('runThreads needs a WASI made with { threads: true }');
  const mem = memoryImport(bytes);
  if (mem === null) throw new TypeError('a threaded program imports its memory; this module does not');
  if (!mem.shared || mem.maximum === undefined) throw new TypeError('a threaded program imports a shared memory with a maximum');
  const memory = new WebAssembly.Memory({ initial: mem.initial, maximum: mem.maximum, shared: true });
  wasi.setMemory(memory);
  const source = nodeThreadWorkerSource();
  const all = new Set<Worker>();
  const idle: Worker[] = [];
  const ended = new Promise<ProgramEnd>((resolve) => kernel.onEnd(resolve));

  const fresh = (): Worker => {
    const worker = new Worker(source, { eval: true });
    all.add(worker);
    worker.on('error', (e) => kernel.finish({ kind: 'trap', message: String(e?.message ?? e) }));
    worker.on('exit', () => all.delete(worker));
    worker.unref();
    return worker;
  };
  const start = (entry: ThreadStart['entry'], tid: number, startArg: number): void => {
    const worker = idle.pop() ?? fresh();
    const handle = kernel.handle();
    worker.once('message', (m: ThreadOutcome) => {
      kernel.release(handle);
      if ('exit' in m) kernel.finish({ kind: 'exit', code: m.exit });
      else if ('trap' in m) kernel.finish({ kind: 'trap', message: m.trap });
      // A thread returning from wasi_thread_start is just over; `_start` returning ends the program.
      else if (entry === 'start') kernel.finish({ kind: 'exit', code: 0 });
      else idle.push(worker);
    });
    const data: ThreadStart = { module, memory, memoryModule: mem.module, memoryName: mem.name, handle, entry, tid, startArg };
    worker.postMessage(data);
    if (idle.length === 0 && kernel.end === null) idle.push(fresh());
  };
  kernel.spawner = (tid, arg) => start('thread', tid, arg);
  start('start', 0, 0);

  // The kernel's channels keep the event loop alive while any thread waits on a call;
  // this keeps it alive while threads compute without calling.
  const alive = setInterval(() => {}, 1 << 30);
  const end = await ended;
  clearInterval(alive);
  kernel.spawner = null;
  await Promise.all([...all].map((w) => w.terminate()));
  if (end.kind === 'trap') throw new WasiTrap(end.message);
  return end.code;
}

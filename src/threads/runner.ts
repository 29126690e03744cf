import { WasiTrap } from '../abi/errors';
import type { WASI } from '../wasi';
import type { ProgramEnd } from './kernel';
import { memoryImport } from './memory-import';
import type { ThreadOutcome, ThreadStart } from './worker-source';

/** What a host gives the runner: workers that run one thread at a time (see worker-source.ts). */
export interface ThreadWorkers<W> {
  /** A new worker; it calls `outcome` when the thread it runs is over, `failed` if it dies. */
  create(outcome: (m: ThreadOutcome) => void, failed: (message: string) => void): W;
  post(worker: W, start: ThreadStart): void;
  terminate(worker: W): Promise<unknown> | void;
  /** Called once, when the program ends: the host may let its event loop go. */
  ended?(): void;
}

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
export async function runProgramThreads<W>(wasi: WASI, module: WebAssembly.Module, bytes: Uint8Array, host: ThreadWorkers<W>): Promise<number> {
  const kernel = wasi.kernel;
  if (kernel === null) throw new TypeError('runThreads needs a WASI made with { threads: true }');
  const mem = memoryImport(bytes);
  if (mem === null) throw new TypeError('a threaded program imports its memory; this module does not');
  if (!mem.shared || mem.maximum === undefined) throw new TypeError('a threaded program imports a shared memory with a maximum');
  const memory = new WebAssembly.Memory({ initial: mem.initial, maximum: mem.maximum, shared: true });
  wasi.setMemory(memory);
  // This thread runs no guest code: it only serves, so it must never wait on host stdin.
  kernel.readStreamsWithoutBlocking();
  const all = new Set<W>();
  const idle: W[] = [];
  /** What each busy worker's thread does when it is over. */
  const onOver = new Map<W, (m: ThreadOutcome) => void>();
  const ended = new Promise<ProgramEnd>((resolve) => kernel.onEnd(resolve));

  const fresh = (): W => {
    const worker: W = host.create(
      (m) => onOver.get(worker)?.(m),
      (message) => kernel.finish({ kind: 'trap', message }),
    );
    all.add(worker);
    return worker;
  };
  const start = (entry: ThreadStart['entry'], tid: number, startArg: number): void => {
    const worker = idle.pop() ?? fresh();
    const handle = kernel.handle();
    onOver.set(worker, (m) => {
      onOver.delete(worker);
      kernel.release(handle);
      if ('exit' in m) kernel.finish({ kind: 'exit', code: m.exit });
      else if ('trap' in m) kernel.finish({ kind: 'trap', message: m.trap });
      // A thread returning from wasi_thread_start is just over; `_start` returning ends the program.
      else if (entry === 'start') kernel.finish({ kind: 'exit', code: 0 });
      else idle.push(worker);
    });
    host.post(worker, { module, memory, memoryModule: mem.module, memoryName: mem.name, handle, entry, tid, startArg });
    if (idle.length === 0 && kernel.end === null) idle.push(fresh());
  };
  kernel.spawner = (tid, arg) => start('thread', tid, arg);
  start('start', 0, 0);

  const end = await ended;
  kernel.spawner = null;
  host.ended?.();
  await Promise.all([...all].map((w) => host.terminate(w)));
  if (end.kind === 'trap') throw new WasiTrap(end.message);
  return end.code;
}

import { ProcExit, WasiTrap } from '../abi/errors';
import { CHANNEL, isThreadHandle, threadClient, type ThreadHandle } from './channel';

type ImportFn = (...args: never[]) => number;
type Family = Record<string, ImportFn>;

/**
 * One more thread of a program whose WASI lives elsewhere (`WASI.fromThreadHandle`): the
 * same descriptor table, files, args, env, stdio and clocks, reached through the kernel.
 * Its imports block the calling thread (Atomics.wait) until the kernel answers, so it runs
 * in a worker (node:worker_threads or a Web Worker), never on a browser's main thread.
 */
export class WASIThread {
  private readonly imports: Record<string, Family>;

  constructor(handle: ThreadHandle) {
    if (!isThreadHandle(handle)) throw new TypeError('not a thread handle: pass what wasi.threadHandle() returned');
    if (!mayBlock()) {
      throw new TypeError('a thread waits (Atomics.wait) for each of its calls, which a browser\'s main thread may not do: join the program from a Web Worker');
    }
    this.imports = threadClient(
      handle,
      CHANNEL,
      (code) => { throw new ProcExit(code); },
      (message) => { throw new WasiTrap(message); },
    ) as unknown as Record<string, Family>;
  }

  /** The imports to instantiate this thread's instance with (`wasi_snapshot_preview1`, `wasix_32v1`, `wasi`). */
  getImportObject(): Record<string, Family> {
    return this.imports;
  }

  /** The `wasi_snapshot_preview1` functions alone (node:wasi's and browser_wasi_shim's name). */
  get wasiImport(): Family {
    return this.imports.wasi_snapshot_preview1;
  }

  /**
   * Binds this thread's instance. Nothing of the program runs: its initialization
   * (`_initialize`, data segments) belongs to its first thread. The memory must be the
   * program's shared one; the kernel reads and writes it directly.
   */
  initialize(instance: WebAssembly.Instance): void {
    const memory = instance.exports.memory;
    if (memory instanceof WebAssembly.Memory && !(memory.buffer instanceof SharedArrayBuffer)) {
      throw new TypeError('a thread of a program needs its shared memory (WebAssembly.Memory with shared: true)');
    }
  }

  /** Threads run `wasi_thread_start`, never `_start`: that is the program's first thread. */
  start(): never {
    throw new TypeError('a thread does not run _start: call initialize(instance), then its thread entry');
  }
}

/** False where Atomics.wait is refused (a browser's main thread). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

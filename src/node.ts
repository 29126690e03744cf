// refwasi/node: the Node-only parts (host files, host stdio). Re-exports the core too.
export * from './index';
export * from './backends/node';
export { NodeStdin } from './backends/node/stdin';

import { NodeStdin } from './backends/node/stdin';
import { NodeStdioHandle } from './backends/node/stdio';
import type { ThreadHandle } from './threads/channel';
import { KERNEL_IN_THREAD, type ProgramEnd } from './threads/kernel';
import { ThreadedProgram } from './threads/threaded-wasi';
import { WASI as CoreWASI, type InputOption, type OutputOption, type WASIOptions as CoreWASIOptions } from './wasi';

/** The core options, plus 'inherit' for stdio: the host process's own fd 0, 1 or 2. */
export interface WASIOptions extends Omit<CoreWASIOptions, 'stdin' | 'stdout' | 'stderr'> {
  /** ...or 'inherit': blocking reads of the process's stdin (see NodeStdin). */
  stdin?: InputOption | 'inherit';
  /** ...or 'inherit': written straight to the process's fd 1. */
  stdout?: OutputOption | 'inherit';
  stderr?: OutputOption | 'inherit';
}

/**
 * The WASI class of refwasi/node: the core one, with stdin/stdout/stderr 'inherit' mapped to
 * the host process's stdio. `import { WASI } from 'refwasi'` stays browser-safe.
 *
 * With `threads: true` the program's kernel (its descriptor table, files and stdio) runs in
 * a worker of its own, and this object's instance reaches it through a channel like every
 * thread that joins with `threadHandle()`: see docs/threads.md.
 */
export class WASI extends CoreWASI {
  private readonly program: ThreadedProgram | null = null;

  constructor(options: WASIOptions = {}) {
    const { stdin, stdout, stderr, ...rest } = options;
    if (options.threads && !(KERNEL_IN_THREAD in options)) {
      super({});
      const modules: Record<string, string[]> = {};
      for (const [name, family] of Object.entries(super.getImportObject())) modules[name] = Object.keys(family);
      modules.wasi = ['thread-spawn'];
      this.program = new ThreadedProgram(options, modules);
      return;
    }
    super({
      ...rest,
      stdin: stdin === 'inherit' ? new NodeStdin(0) : stdin,
      stdout: stdout === 'inherit' ? new NodeStdioHandle(1) : stdout,
      stderr: stderr === 'inherit' ? new NodeStdioHandle(2) : stderr,
    });
  }

  override getImportObject(): ReturnType<CoreWASI['getImportObject']> {
    return (this.program?.imports ?? super.getImportObject()) as ReturnType<CoreWASI['getImportObject']>;
  }

  override get wasiImport(): CoreWASI['wasiImport'] {
    return this.program ? this.program.imports.wasi_snapshot_preview1 : super.wasiImport;
  }

  override setMemory(memory: WebAssembly.Memory): void {
    if (!this.program) return super.setMemory(memory);
    // The kernel reads and writes the program's memory from its own thread.
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new TypeError('threads: true needs the program\'s memory to be shared');
    this.memoryGiven = true;
    this.program.kernel.setMemory(memory);
  }

  override threadHandle(): ThreadHandle {
    return this.program ? this.program.kernel.handle() : super.threadHandle();
  }

  override start(instance: WebAssembly.Instance): number {
    if (!this.program) return super.start(instance);
    const entry = instance.exports._start;
    if (typeof entry !== 'function') throw new TypeError('the module exports no _start');
    this.bindShared(instance);
    return this.program.run(entry as () => void);
  }

  override initialize(instance: WebAssembly.Instance): void {
    if (!this.program) return super.initialize(instance);
    this.bindShared(instance);
    const init = instance.exports._initialize;
    if (typeof init === 'function') (init as () => void)();
  }

  /**
   * Threads (`threads: true`): settles when the program has ended and every chunk of its
   * output has reached the stdout/stderr callbacks (which the kernel's worker sends here).
   */
  get ended(): Promise<ProgramEnd> {
    if (!this.program) return Promise.reject(new TypeError('ended is for a WASI made with { threads: true }'));
    const kernel = this.program.kernel;
    return new Promise((resolve) => kernel.onEnd(resolve));
  }

  override close(): void {
    if (this.program) this.program.kernel.finish({ kind: 'exit', code: 0 });
    super.close();
  }

  private memoryGiven = false;

  private bindShared(instance: WebAssembly.Instance): void {
    const memory = instance.exports.memory;
    if (memory instanceof WebAssembly.Memory) this.setMemory(memory);
    else if (!this.memoryGiven) throw new TypeError('the instance exports no memory; call setMemory first');
  }
}

import { runThreadsWith } from './threads/run-node';
export { memoryImport, importsThreadSpawn, type MemoryImport } from './threads/memory-import';
export type { ThreadHandle };
export type { ProgramEnd };

/**
 * Runs a wasi-threads program (wasm32-wasip1-threads: a shared imported memory and
 * `wasi.thread-spawn`) as `wasmtime run -S threads` does: `_start` and every spawned thread
 * in its own worker, all sharing one WASI (one descriptor table) served from this thread.
 * Resolves with the exit code; a trap in any thread rejects with a WasiTrap. See docs/threads.md.
 */
export async function runThreads(wasm: Uint8Array | ArrayBuffer, options: WASIOptions = {}): Promise<number> {
  const bytes = wasm instanceof Uint8Array ? wasm : new Uint8Array(wasm);
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  // This thread runs no guest code here, so the kernel can live in it.
  return runThreadsWith(new WASI({ ...options, threads: true, [KERNEL_IN_THREAD]: true } as WASIOptions), module, bytes);
}

// refwasi/node: the Node-only parts (host files, host stdio). Re-exports the core too.
export * from './index';
export * from './backends/node';
export { NodeStdin } from './backends/node/stdin';

import { ProcExit } from './abi/errors';
import { NodeDirectory } from './backends/node/directory';
import { NodeStdin } from './backends/node/stdin';
import { NodeStdioHandle } from './backends/node/stdio';
import type { StreamHandle } from './backends/types';
import { checkCommonOptions, CORE_OPTIONS } from './options';
import type { ThreadHandle } from './threads/channel';
import { KERNEL_IN_THREAD, type ProgramEnd } from './threads/kernel';
import { ThreadedProgram } from './threads/threaded-wasi';
import type { Tree } from './backends/memory';
import { WASI as CoreWASI, type InputOption, type OutputOption, type WASIOptions as CoreWASIOptions } from './wasi';

type CorePreopen = NonNullable<CoreWASIOptions['preopens']>[string];

/**
 * The core options, with node:wasi's meanings added: a preopen may be a host path, stdio may
 * be a host fd number (or 'inherit', the process's own), `returnOnExit: false` ends the process
 * on proc_exit. A node:wasi program moves here by changing its import.
 */
export interface WASIOptions extends Omit<CoreWASIOptions, 'stdin' | 'stdout' | 'stderr' | 'preopens'> {
  /** Guest path -> a host directory path (opened as a NodeDirectory) or any core directory. */
  preopens?: Record<string, string | CorePreopen>;
  /** A host fd to read (borrowed: the guest's close leaves it open), 'inherit' (fd 0), or a core input. Default: host fd 0, as node:wasi. */
  stdin?: InputOption | 'inherit' | number;
  /** A host fd to write (borrowed), 'inherit' (fd 1), or a core output. Default: host fd 1, as node:wasi. */
  stdout?: OutputOption | 'inherit' | number;
  /** As stdout; default host fd 2. */
  stderr?: OutputOption | 'inherit' | number;
  /**
   * true (the default, as node:wasi's on Node 20): start() returns proc_exit's code.
   * false: proc_exit closes every descriptor and ends the Node process with that code.
   */
  returnOnExit?: boolean;
}

function hostFd(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new TypeError(`${name} must be a host fd (an integer from 0), not ${value}`);
  return value;
}

function input(value: WASIOptions['stdin']): InputOption {
  if (value === undefined || value === 'inherit') return new NodeStdin(0);
  if (typeof value === 'number') return new NodeStdin(hostFd('stdin', value));
  return value;
}

function output(value: WASIOptions['stdout'], name: 'stdout' | 'stderr'): OutputOption {
  const fd = name === 'stdout' ? 1 : 2;
  if (value === undefined || value === 'inherit') return new NodeStdioHandle(fd) as StreamHandle;
  if (typeof value === 'number') return new NodeStdioHandle(hostFd(name, value), 'write');
  return value;
}

function preopens(given: WASIOptions['preopens']): CoreWASIOptions['preopens'] {
  if (given === undefined) return undefined;
  const out: NonNullable<CoreWASIOptions['preopens']> = {};
  for (const [guest, dir] of Object.entries(given)) {
    if (typeof dir !== 'string') {
      out[guest] = dir;
      continue;
    }
    try {
      out[guest] = new NodeDirectory(dir);
    } catch (e) {
      throw new Error(`preopens['${guest}']: cannot open '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return out;
}

/**
 * The WASI class of refwasi/node: the core one, taking node:wasi's options as node:wasi means
 * them. `import { WASI } from 'refwasi'` stays browser-safe.
 *
 * With `threads: true` the program's kernel (its descriptor table, files and stdio) runs in
 * a worker of its own, and this object's instance reaches it through a channel like every
 * thread that joins with `threadHandle()`: see docs/threads.md.
 */
export class WASI extends CoreWASI {
  private readonly program: ThreadedProgram | null = null;

  constructor(options: WASIOptions = {}) {
    // Checked before any host directory is opened, so a bad option leaves nothing behind.
    checkCommonOptions(options, CORE_OPTIONS);
    if (options.threads && !(KERNEL_IN_THREAD in options)) {
      super({});
      const modules: Record<string, string[]> = {};
      for (const [name, family] of Object.entries(super.getImportObject())) modules[name] = Object.keys(family);
      modules.wasi = ['thread-spawn'];
      this.program = new ThreadedProgram(options, modules);
      return;
    }
    const { stdin, stdout, stderr, returnOnExit, preopens: dirs, ...rest } = options;
    super({ ...rest, stdin: input(stdin), stdout: output(stdout, 'stdout'), stderr: output(stderr, 'stderr'), preopens: preopens(dirs) });
    if (returnOnExit === false) this.exitOnProcExit();
  }

  /** node:wasi's returnOnExit: false, for commands and reactors alike: the process ends inside proc_exit. */
  private exitOnProcExit(): void {
    const preview1 = this.getImportObject().wasi_snapshot_preview1;
    const procExit = preview1.proc_exit as unknown as (code: number) => never;
    preview1.proc_exit = ((code: number): never => {
      try {
        return procExit(code);
      } catch (e) {
        if (!(e instanceof ProcExit)) throw e;
        this.close();
        return process.exit(e.code);
      }
    }) as unknown as typeof preview1.proc_exit;
  }

  override getImportObject(): ReturnType<CoreWASI['getImportObject']> {
    return (this.program?.imports ?? super.getImportObject()) as ReturnType<CoreWASI['getImportObject']>;
  }

  override get wasiImport(): CoreWASI['wasiImport'] {
    return this.program ? this.program.imports.wasi_snapshot_preview1 as unknown as CoreWASI['wasiImport'] : super.wasiImport;
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

  /**
   * Threads (`threads: true`): the trees of the MemoryDirectory preopens as the program has them
   * now, by guest path. The kernel works on its own copies; the MemoryDirectory objects given
   * are made to hold these trees when the program ends.
   */
  async preopenTrees(): Promise<Record<string, Tree>> {
    if (!this.program) throw new TypeError('preopenTrees() is for a WASI made with { threads: true }: without threads the MemoryDirectory you gave is the tree');
    return this.program.preopenTrees();
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

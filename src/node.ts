// refwasi/node: the Node-only parts (host files, host stdio). Re-exports the core too.
export * from './index';
export * from './backends/node';
export { NodeStdin } from './backends/node/stdin';

import { NodeStdin } from './backends/node/stdin';
import { NodeStdioHandle } from './backends/node/stdio';
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
 */
export class WASI extends CoreWASI {
  constructor(options: WASIOptions = {}) {
    const { stdin, stdout, stderr, ...rest } = options;
    super({
      ...rest,
      stdin: stdin === 'inherit' ? new NodeStdin(0) : stdin,
      stdout: stdout === 'inherit' ? new NodeStdioHandle(1) : stdout,
      stderr: stderr === 'inherit' ? new NodeStdioHandle(2) : stderr,
    });
  }
}

import { runThreadsWith } from './threads/run-node';
export { memoryImport, importsThreadSpawn, type MemoryImport } from './threads/memory-import';
export type { ThreadHandle } from './threads/channel';
export type { ProgramEnd } from './threads/kernel';

/**
 * Runs a wasi-threads program (wasm32-wasip1-threads: a shared imported memory and
 * `wasi.thread-spawn`) as `wasmtime run -S threads` does: `_start` and every spawned thread
 * in its own worker, all sharing one WASI (one descriptor table) served from this thread.
 * Resolves with the exit code; a trap in any thread rejects with a WasiTrap. See docs/threads.md.
 */
export async function runThreads(wasm: Uint8Array | ArrayBuffer, options: WASIOptions = {}): Promise<number> {
  const bytes = wasm instanceof Uint8Array ? wasm : new Uint8Array(wasm);
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  return runThreadsWith(new WASI({ ...options, threads: true }), module, bytes);
}

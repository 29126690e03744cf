import { WASI, type WASIOptions } from '../wasi';
import { runProgramThreads } from './runner';
import { browserThreadWorkerSource, type ThreadOutcome } from './worker-source';

/** Why a page cannot run threads, or null if it can. */
export function threadsUnavailable(): string | null {
  if (typeof SharedArrayBuffer !== 'function' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'threads need shared memory, which a browser gives only to a cross-origin isolated page: serve it with '
      + '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" (see docs/threads.md)';
  }
  if (typeof Worker !== 'function') return 'threads need Web Workers, and this context has none';
  return null;
}

/** runProgramThreads with Web Workers (see runner.ts): from a page, or from a dedicated worker (for OPFS). */
export function runThreadsInWorkers(wasi: WASI, module: WebAssembly.Module, bytes: Uint8Array): Promise<number> {
  const url = URL.createObjectURL(new Blob([browserThreadWorkerSource()], { type: 'text/javascript' }));
  return runProgramThreads<Worker>(wasi, module, bytes, {
    create(outcome, failed) {
      const worker = new Worker(url, { name: 'refwasi-thread' });
      worker.onmessage = (e: MessageEvent<ThreadOutcome>) => outcome(e.data);
      worker.onerror = (e) => failed(`a thread's worker failed: ${e.message}`);
      return worker;
    },
    post: (worker, start) => worker.postMessage(start),
    terminate: (worker) => worker.terminate(),
  }).finally(() => URL.revokeObjectURL(url));
}

/**
 * Runs a wasi-threads program in a browser, as `runThreads` of refwasi/node does in Node: a
 * Web Worker per thread (`_start` included), one WASI for all of them, served from this
 * thread, which must be a cross-origin isolated page or a dedicated worker of one (OPFS
 * preopens need the latter). Resolves with the exit code; a trap in any thread rejects with
 * a WasiTrap. Without cross-origin isolation it rejects with a TypeError that says so.
 */
export async function runThreads(wasm: Uint8Array | ArrayBuffer, options: Omit<WASIOptions, 'threads'> = {}): Promise<number> {
  const why = threadsUnavailable();
  if (why !== null) throw new TypeError(why);
  const bytes = wasm instanceof Uint8Array ? wasm : new Uint8Array(wasm);
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  return runThreadsInWorkers(new WASI({ ...options, threads: true }), module, bytes);
}

import { Worker } from 'node:worker_threads';
import type { WASI } from '../wasi';
import { runProgramThreads } from './runner';
import { nodeThreadWorkerSource, type ThreadOutcome } from './worker-source';

/** runProgramThreads with node:worker_threads (see runner.ts). */
export function runThreadsWith(wasi: WASI, module: WebAssembly.Module, bytes: Uint8Array): Promise<number> {
  const source = nodeThreadWorkerSource();
  // The kernel's channels keep the event loop alive while any thread waits on a call;
  // this keeps it alive while threads compute without calling.
  const alive = setInterval(() => {}, 1 << 30);
  return runProgramThreads<Worker>(wasi, module, bytes, {
    create(outcome, failed) {
      const worker = new Worker(source, { eval: true });
      worker.on('message', (m: ThreadOutcome) => outcome(m));
      worker.on('error', (e) => failed(String(e?.message ?? e)));
      worker.unref();
      return worker;
    },
    post: (worker, start) => worker.postMessage(start),
    terminate: (worker) => worker.terminate(),
    ended: () => clearInterval(alive),
  }).finally(() => clearInterval(alive));
}

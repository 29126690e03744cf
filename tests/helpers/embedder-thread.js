// A thread's worker as an embedder such as emnapi / @napi-rs/wasm-runtime makes it: it
// joins the program with WASI.fromThreadHandle and runs wasi_thread_start in a new instance
// over the shared memory. Loaded by tests/threads-embedder.test.ts from the TypeScript sources;
// `WASI.fromThreadHandle(h)` is `new WASIThread(h)`, so only that small file is compiled here.
const { parentPort, workerData } = require('node:worker_threads');
const { WASIThread } = require('../../src/threads/thread-wasi');
const WASI = { fromThreadHandle: (h) => new WASIThread(h) };

const { handle, module: wasmModule, memory, tid, arg } = workerData;
const wasi = WASI.fromThreadHandle(handle);
const imports = { ...wasi.getImportObject(), env: { memory } };
try {
  const instance = new WebAssembly.Instance(wasmModule, imports);
  wasi.initialize({ exports: { memory } });
  instance.exports.wasi_thread_start(tid, arg);
  parentPort.postMessage({ done: true });
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message ? e.message : e), name: e && e.name });
}

// One worker of tests/threads-property.test.ts, kept for every run of the property: for each
// run it joins that run's program by handle, waits for the other workers, and makes its ops
// over the shared memory, posting back what each call gave. Between calls it naps a few
// microseconds (amounts drawn from the run's seed): without that, a worker's calls tend to
// run in one burst before the others wake, and the calls of different workers rarely mix.
const { parentPort, workerData } = require('node:worker_threads');
const { WASIThread } = require('../../src/threads/thread-wasi');
const { runOp } = require('./fd-ops');

const { memory, base } = workerData;
const nap = new Int32Array(new SharedArrayBuffer(4));

parentPort.on('message', ({ handle, ops, barrier, parties, seed }) => {
  try {
    const imports = new WASIThread(handle).getImportObject();
    const gate = new Int32Array(barrier);
    if (Atomics.add(gate, 0, 1) + 1 === parties) Atomics.notify(gate, 0);
    else while (Atomics.load(gate, 0) < parties) Atomics.wait(gate, 0, Atomics.load(gate, 0));
    let r = (seed ^ base) >>> 0;
    const done = ops.map((op) => {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      const ms = ((r >>> 16) % 5) * 0.01;
      if (ms > 0) Atomics.wait(nap, 0, 0, ms);
      return runOp(imports, memory, base, op);
    });
    parentPort.postMessage({ done });
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.stack ? e.stack : e) });
  }
});
